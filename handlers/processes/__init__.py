"""The manual's work processes: the shipped templates (`templates/*.yaml`, one per process of the seed manual) and the
Thai public holidays, read and checked by `templates.py`; how a process reads in chat, `messages.py`. A new process
template is a YAML file here; the office's actions on processes are `handlers.office.processes`, the conversation
`handlers.chat.processes`."""
