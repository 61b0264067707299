"""Survey tables (definitions, campaigns, responses, answers). Filled in by the surveys feature."""
