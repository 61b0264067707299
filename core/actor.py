"""Who does an office action: the name the audit log gives them, their contact and role, and the front they used."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    name: str  # as the audit log writes it: "telegram:9001", "line:U…", "cli", "demo", "system"
    contact_id: int | None = None  # the person, when the actor is one (chat, console)
    role: str | None = None  # their role; the operator at a terminal is "admin"
    via: str = "chat"  # chat | cli | console | system: which front asked, kept in the audit row's detail

    @classmethod
    def operator(cls, name: str = "cli") -> Actor:
        """Whoever runs `phuankru` on the server: they hold the database itself, so every action is theirs."""
        return cls(name, None, "admin", via="cli" if name == "cli" else "system")
