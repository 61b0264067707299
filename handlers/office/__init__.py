"""The office's actions: announce, open and close a survey campaign, start a process, answer a thread, grant a role,
issue a console link, erase a person. Each is one function here with its checks, its audit row and its messages;
the chat handlers, the CLI and the console only parse their input, call it, and render what it returns.

Every action takes the `Actor` (core/actor.py) who does it and the open transaction: the audit row joins the action's
own transaction, so both commit or neither does. A refusal raises `Refused` after writing its audit row; the front
says no politely and lets the transaction commit so that the refusal stays on record.
"""
