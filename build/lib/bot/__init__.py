"""Wiring: configuration, the aiohttp application, the CLI and the channel adapters."""
