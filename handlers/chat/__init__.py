"""The conversations: one module per job, each with a `Router` of its commands, buttons and flows.

`dispatch` takes one event and routes it; `context` is what a handler gets; `asked` remembers the buttons of the last
question. A new chat command goes into the module of its job (or a new module, added to `dispatch.ROUTERS`). What a
conversation *does* to the office (open a campaign, grant a role, issue a console link…) is one function that
the CLI and the console call too: a conversation parses and renders.
"""
