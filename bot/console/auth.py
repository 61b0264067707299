"""Who is asking: the session cookie, the role a page needs, and the CSRF token of every state-changing request.

Everything is read from the database on every request (sessions are rows), so any replica can answer and a
role taken away or a session ended counts at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import CLOCK, DATABASE, SETTINGS
from core.actor import Actor
from handlers.office.console_links import CONSOLE_ROLES
from handlers.texts import t
from storage import audit, console
from storage.console_models import ConsoleSession
from storage.models import Contact, Role

COOKIE = "phuankru_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
JINJA = web.AppKey("console_jinja", jinja2.Environment)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

STAFF_PAGES = frozenset({Role.STAFF.value, Role.ADMIN.value})  # as the chat's /broadcast: staff (admins imply it)
ADMIN_PAGES = frozenset({Role.ADMIN.value})


@dataclass
class Principal:
    """The signed-in person, for one request, inside its transaction."""

    contact: Contact
    row: ConsoleSession
    session_id: str
    session: AsyncSession
    now: datetime

    @property
    def lang(self) -> str:
        return self.contact.language or "th"

    @property
    def actor(self) -> str:
        return f"{self.contact.channel}:{self.contact.platform_user_id}"

    @property
    def as_actor(self) -> Actor:
        """The signed-in person as an office action's actor."""
        return Actor(self.actor, self.contact.id, self.contact.role, via="console")

    def audit(self, action: str, target: str | None = None, *, allowed: bool = True, **detail: Any) -> None:
        audit.record(
            self.session,
            at=self.now,
            actor=self.actor,
            action=action,
            target=target,
            allowed=allowed,
            actor_contact_id=self.contact.id,
            detail=detail,
        )


Page = Callable[[web.Request, Principal], Awaitable[web.StreamResponse]]


def see_other(location: str, *, sign_out: bool = False) -> web.Response:
    """A 303, returned (not raised): raising would roll back the page's transaction."""
    response = web.Response(status=303, headers={"Location": location})
    if sign_out:
        response.del_cookie(COOKIE, path="/console")
    return response


def render(
    request: web.Request, template: str, principal: Principal | None, status: int = 200, **values: Any
) -> web.Response:
    lang = principal.lang if principal else "th"
    context = {
        "t": lambda key, **kw: t(key, lang, **kw),
        "lang": lang,
        "me": principal,
        "csrf": principal.row.csrf_token if principal else "",
        "path": request.path,
        **values,
    }
    return aiohttp_jinja2.render_template(template, request, context, status=status, app_key=JINJA)


def _roles_text(roles: frozenset[str], lang: str) -> str:
    return t("or", lang).join(t(f"role_{r}", lang) for r in sorted(roles))


def guarded(
    roles: frozenset[str], action: str
) -> Callable[[Page], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """A console route: 303 to /console/signin without a live session, 403 without the role or the CSRF token."""

    def wrap(page: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            session_id = request.cookies.get(COOKIE)
            if not session_id:
                return see_other("/console/signin")
            now = request.app[CLOCK].now()
            async with request.app[DATABASE].sessions() as session, session.begin():
                found = await console.find_session(session, session_id, now=now)
                if found is None:
                    return see_other("/console/signin", sign_out=True)
                row, contact = found
                principal = Principal(contact, row, session_id, session, now=now)
                if contact.role not in CONSOLE_ROLES:
                    # The role went some other way than grant_role (a direct edit): the sessions go now.
                    await console.end_all_sessions(session, contact.id)
                    principal.audit(action, allowed=False, reason="role", has=contact.role)
                    return see_other("/console/signin", sign_out=True)
                held = {contact.role} | ({Role.STAFF.value} if contact.role == Role.ADMIN.value else set())
                if not held & roles:
                    principal.audit(action, request.path, allowed=False, needs=sorted(roles), has=contact.role)
                    return render(
                        request,
                        "forbidden.html",
                        principal,
                        status=403,
                        message=t("console_forbidden", principal.lang, roles=_roles_text(roles, principal.lang)),
                    )
                if request.method not in SAFE_METHODS and not await _csrf_ok(request, row):
                    principal.audit(action, request.path, allowed=False, reason="csrf")
                    return render(
                        request, "forbidden.html", principal, status=403, message=t("console_csrf", principal.lang)
                    )
                return await page(request, principal)

        return handler

    return wrap


async def _csrf_ok(request: web.Request, row: ConsoleSession) -> bool:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        value = (await request.post()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return given is not None and secrets.compare_digest(given.encode(), row.csrf_token.encode())


def cookie_secure(request: web.Request) -> bool:
    url = request.app[SETTINGS].phuankru_public_url or ""
    return url.startswith("https://")
