"""The manual's work processes: the shipped templates (`templates/*.yaml`, one per process of the seed manual) and the
Thai public holidays. A new process template is a YAML file here; the conversation is `handlers.chat.processes`."""
