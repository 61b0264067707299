"""Conversation logic, free of any platform SDK: registration, broadcast, surveys, process steps."""
