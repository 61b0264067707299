"""The staff web console under /console/: server-rendered pages (Jinja2), htmx for what updates in place.

Routes are added to `serve`'s own application; every page is wrapped by `auth.guarded`, which reads the session
row, the role and the CSRF token from the database on every request.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import pages
from bot.console.auth import ADMIN_PAGES, JINJA, STAFF_PAGES, guarded
from handlers.office.console_links import CONSOLE_ROLES

HERE = Path(__file__).parent


# (path, roles, action name) of the placeholder pages: the contract's paths, "coming" until parts 2 and 3.
PLACEHOLDERS = (
    ("/console/surveys", CONSOLE_ROLES, "surveys"),
    ("/console/processes", CONSOLE_ROLES, "processes"),
    ("/console/inbox", CONSOLE_ROLES, "inbox"),
    ("/console/people", CONSOLE_ROLES, "people"),
    ("/console/settings", ADMIN_PAGES, "settings"),
    ("/console/audit", ADMIN_PAGES, "audit"),
)


def add_routes(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        app_key=JINJA,
        autoescape=jinja2.select_autoescape(["html"]),
    )
    r = app.router
    r.add_get("/console", pages.to_home)
    r.add_get("/console/signin", pages.signin)
    r.add_get("/console/signin/{token}", pages.redeem)
    r.add_static("/console/static", HERE / "static")
    r.add_get("/console/fonts/{name}", pages.font)
    r.add_get("/console/", guarded(CONSOLE_ROLES, "console.home")(pages.home))
    r.add_post("/console/signout", guarded(CONSOLE_ROLES, "console.signout")(pages.signout))
    r.add_post("/console/signout-all", guarded(CONSOLE_ROLES, "console.signout_all")(pages.signout_all))
    r.add_post("/console/lang", guarded(CONSOLE_ROLES, "console.lang")(pages.switch_lang))
    r.add_get("/console/announcements", guarded(STAFF_PAGES, "console.announcements")(pages.announcements))
    r.add_post("/console/announcements", guarded(STAFF_PAGES, "broadcast.create")(pages.announcement_create))
    r.add_get(
        "/console/announcements/{id:\\d+}", guarded(STAFF_PAGES, "console.announcement")(pages.announcement_detail)
    )
    r.add_post(
        "/console/announcements/{id:\\d+}/cancel", guarded(STAFF_PAGES, "broadcast.cancel")(pages.announcement_cancel)
    )
    for path, roles, name in PLACEHOLDERS:
        r.add_get(path, guarded(roles, f"console.{name}")(pages.placeholder(name)))


# Every guarded (method, path) pair, for the tests that check none answers without a session or the role.
GUARDED_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/console/"),
    ("POST", "/console/signout"),
    ("POST", "/console/signout-all"),
    ("POST", "/console/lang"),
    ("GET", "/console/announcements"),
    ("POST", "/console/announcements"),
    ("GET", "/console/announcements/1"),
    ("POST", "/console/announcements/1/cancel"),
    *(("GET", path) for path, _, _ in PLACEHOLDERS),
)
