"""Process tables (templates, running processes, steps, reminders, holidays). Filled in by the processes feature."""
