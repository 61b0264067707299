"""The console's pages. Each guarded page gets the signed-in `Principal`, inside the request's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot.app import CLOCK, DATABASE, SETTINGS
from bot.console import announce
from bot.console.auth import COOKIE, Principal, cookie_secure, render, see_other
from core.model import OutMessage
from core.thaidate import parse_moment, thai_datetime
from handlers.office.acting import Refused
from handlers.texts import CATALOGUE, t
from storage import console
from storage.audiences import AudienceError
from storage.broadcast_models import Broadcast, BroadcastState
from storage.broadcasts import BroadcastError
from storage.inbox_models import InboxThread
from storage.process_models import ProcessStep, StepState
from storage.survey_models import SurveyCampaign

TEXT_MAX = 5000  # LINE's limit (UTF-16 units); Telegram's 4,096 splits into pieces, as in chat


async def to_home(request: web.Request) -> web.StreamResponse:
    return see_other("/console/")


async def signin(request: web.Request) -> web.StreamResponse:
    return render(request, "signin.html", None)


async def redeem(request: web.Request) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    async with request.app[DATABASE].sessions() as session, session.begin():
        opened = await console.redeem_link(session, request.match_info["token"], now=now)
    if opened is None:
        return render(request, "signin.html", None, status=410, bad_link=True)
    response = see_other("/console/")
    response.set_cookie(
        COOKIE,
        opened.session_id,
        path="/console",
        max_age=int(console.MAX_SESSION.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=cookie_secure(request),
    )
    return response


async def font(request: web.Request) -> web.StreamResponse:
    from core.fonts import FONT_DIR

    name = request.match_info["name"]
    if name not in ("Laksaman.ttf", "Laksaman-Bold.ttf"):
        raise web.HTTPNotFound()
    return web.FileResponse(FONT_DIR / name, headers={"Cache-Control": "public, max-age=86400"})


def _signed_out() -> web.StreamResponse:
    return see_other("/console/signin", sign_out=True)


async def signout(request: web.Request, me: Principal) -> web.StreamResponse:
    await console.end_session(me.session, me.session_id)
    me.audit("console.signout")
    return _signed_out()


async def signout_all(request: web.Request, me: Principal) -> web.StreamResponse:
    ended = await console.end_all_sessions(me.session, me.contact.id)
    me.audit("console.signout_all", sessions=ended)
    return _signed_out()


async def switch_lang(request: web.Request, me: Principal) -> web.StreamResponse:
    me.contact.language = "en" if me.lang == "th" else "th"
    me.audit("console.lang", language=me.contact.language)
    back = request.headers.get("Referer", "")
    return see_other(back if back.startswith(_base(request) + "/console/") else "/console/")


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _when(request: web.Request, value: datetime | None, lang: str) -> str:
    return thai_datetime(value, request.app[SETTINGS].timezone, lang) if value else ""


async def _row(request: web.Request, me: Principal, b: Broadcast) -> dict[str, Any]:
    status = await announce.status(me.session, b.id)
    totals = {s: status.total(s) if status else 0 for s in ("sent", "failed", "blocked", "pending", "cancelled")}
    total = max(1, sum(totals.values()))
    return {
        "id": b.id,
        "state": b.state,
        "author": b.author,
        "audience": ", ".join(b.audience),
        "when": _when(request, b.scheduled_at, me.lang),
        "text": (b.content.get("text") or "")[:80],
        "totals": totals,
        "total": sum(totals.values()),
        "sent_pct": round(100 * totals["sent"] / total),
        "failed_pct": round(100 * (totals["failed"] + totals["blocked"]) / total),
    }


async def home(request: web.Request, me: Principal) -> web.StreamResponse:
    s = me.session
    scheduled = (
        await s.execute(
            select(Broadcast).where(Broadcast.state == BroadcastState.SCHEDULED.value).order_by(Broadcast.scheduled_at)
        )
    ).scalars()
    recent = [b for b in await announce.recent(s, limit=5) if b.state != BroadcastState.SCHEDULED.value]
    campaigns = list((await s.execute(select(SurveyCampaign).where(SurveyCampaign.status == "open"))).scalars())
    overdue = int(
        (
            await s.execute(
                select(func.count())
                .select_from(ProcessStep)
                .where(ProcessStep.state == StepState.PENDING.value, ProcessStep.due_on < me.now.date())
            )
        ).scalar_one()
    )
    open_threads = int(
        (await s.execute(select(func.count()).select_from(InboxThread).where(InboxThread.state == "open"))).scalar_one()
    )
    return render(
        request,
        "home.html",
        me,
        scheduled=[await _row(request, me, b) for b in scheduled],
        recent=[await _row(request, me, b) for b in recent],
        campaigns=[
            {"id": c.id, "invited": c.invited, "closes": _when(request, c.closes_at, me.lang)} for c in campaigns
        ],
        overdue=overdue,
        open_threads=open_threads,
    )


async def announcements(request: web.Request, me: Principal, **form: Any) -> web.StreamResponse:
    state = request.query.get("state", "")
    rows = [await _row(request, me, b) for b in await announce.recent(me.session, limit=100)]
    if state:
        rows = [r for r in rows if r["state"] == state]
    return render(
        request,
        "announcements.html",
        me,
        status=form.pop("status", 200),
        rows=rows,
        state=state,
        states=[s.value for s in BroadcastState],
        form=form,
    )


async def announcement_create(request: web.Request, me: Principal) -> web.StreamResponse:
    data = await request.post()
    text = str(data.get("text") or "").strip()
    audience = [a.strip() for a in str(data.get("audience") or "").split(",") if a.strip()]
    at_text = str(data.get("at") or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = t("bc_content_empty", me.lang)
    elif len(text.encode("utf-16-le")) // 2 > TEXT_MAX:
        errors["text"] = t("console_text_too_long", me.lang, limit=TEXT_MAX)
    at = None
    if at_text:
        at = parse_moment(at_text, request.app[SETTINGS].timezone, me.now)
        if at is None:
            errors["at"] = t("bc_time_bad", me.lang)
        elif at <= me.now:
            errors["at"] = t("bc_time_past", me.lang)
    if not audience:
        errors["audience"] = t("bc_empty_audience", me.lang)
    if not errors:
        try:
            # A savepoint: a refused audience rolls back only the attempt, and the refusal's audit row stays.
            async with me.session.begin_nested():
                created = await announce.create(me, audience, OutMessage(text=text), at=at)
            return see_other(f"/console/announcements/{created.id}")
        except Refused:
            raise web.HTTPForbidden() from None  # the routes check roles first: only a role taken away mid-request
        except AudienceError as exc:
            key = "audience_unknown_word" if exc.code == "unknown_word" else "bc_bad_audience"
            errors["audience"] = t(key, me.lang, value=exc.value or exc.code)
        except BroadcastError as exc:
            key = f"bc_{exc.code}" if f"bc_{exc.code}" in CATALOGUE else "bc_time_past"
            errors["audience" if "audience" in exc.code else "at"] = t(key, me.lang, **exc.values)
    me.audit("broadcast.create", allowed=False, errors=sorted(errors), via="console")
    return await announcements(
        request, me, status=422, errors=errors, text=text, audience=", ".join(audience), at=at_text
    )


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def announcement_detail(request: web.Request, me: Principal) -> web.StreamResponse:
    status = await announce.status(me.session, _id(request))
    if status is None:
        raise web.HTTPNotFound()
    b = status.broadcast
    return render(
        request,
        "announcement.html",
        me,
        row=await _row(request, me, b),
        content=b.content.get("text") or "",
        cancellable=b.state in (BroadcastState.SCHEDULED.value, BroadcastState.SENDING.value),
    )


async def announcement_cancel(request: web.Request, me: Principal) -> web.StreamResponse:
    try:
        async with me.session.begin_nested():
            await announce.cancel(me, _id(request))
    except Refused:
        raise web.HTTPForbidden() from None
    except BroadcastError as exc:
        if exc.code == "not_found":
            raise web.HTTPNotFound() from None
        me.audit("broadcast.cancel", f"broadcast:{_id(request)}", allowed=False, reason=exc.code, via="console")
    return see_other(f"/console/announcements/{_id(request)}")


def placeholder(name: str) -> Callable[[web.Request, Principal], Awaitable[web.StreamResponse]]:
    async def page(request: web.Request, me: Principal) -> web.StreamResponse:
        return render(request, "coming.html", me, heading=t(f"console_nav_{name}", me.lang))

    return page
