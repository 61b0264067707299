"""Channel adapters: thin translators between a platform and the internal model of `core.model`."""
