"""`phuankru survey`: import and list definitions, open a campaign for an audience, results, closing.

Mounted in `bot/cli.py` with `cli.add_command(cli_surveys.survey)`. Mistakes a person can put right (a bad file,
an unknown survey, an audience that names nothing) end with one line on stderr and change nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from bot.cli_support import EXIT_USAGE, checked, clock_of, emit_json, fail, settings_from_env, with_database
from core.actor import Actor
from core.clock import SystemClock
from core.thaidate import thai_datetime
from handlers.office.campaigns import SendRequest, close_campaign, open_campaign
from handlers.surveys import report as survey_report
from handlers.surveys.definitions import SurveyDefinitionError, builtin_templates, load_definition
from handlers.surveys.typed import parse_duration, parse_moment
from handlers.texts import t
from storage import surveys
from storage.audiences import AudienceError
from storage.db import Database
from storage.survey_results import GROUPINGS
from storage.surveys import SurveyError

FORMATS = ("table", "json", "csv", "xlsx", "png")
BINARY_FORMATS = ("xlsx", "png")
AUDIENCE_HELP = "all, role:R, tag:T, school:S, group:ID or channel:line|telegram; repeat for a union."


def _fail_for(exc: Exception) -> NoReturn:
    if isinstance(exc, SurveyDefinitionError):
        fail("the survey definition has problems:\n" + "\n".join(exc.lines()), EXIT_USAGE)
    if isinstance(exc, SurveyError):
        fail(t(exc.code, "en", **exc.values), EXIT_USAGE)
    if isinstance(exc, AudienceError):
        fail(t(f"sv_audience_{exc.code}", "en", value=exc.value), EXIT_USAGE)
    raise exc


class SurveyCommands(click.Group):
    """A person's mistakes become one line on stderr, also when this group runs on its own (tests)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SurveyDefinitionError, SurveyError, AudienceError) as exc:
            _fail_for(exc)


@click.group(cls=SurveyCommands)
def survey() -> None:
    """Satisfaction surveys in chat: definitions, campaigns and results."""


@survey.command("import")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--builtin", is_flag=True, help="Import the surveys shipped with PhuanKru.")
@click.option("--json", "as_json", is_flag=True)
def survey_import(files: tuple[Path, ...], builtin: bool, as_json: bool) -> None:
    """Import survey definitions (YAML). A version a campaign has used never changes: a changed file becomes the
    next version."""
    paths = [*files, *(builtin_templates() if builtin else [])]
    if not paths:
        fail("name a YAML file, or use --builtin", EXIT_USAGE)
    for path in paths:
        if not path.is_file():
            fail(f"no such file: {path}", EXIT_USAGE)
    specs = [(path, load_definition(path)) for path in paths]  # every file is checked before anything is stored
    settings = settings_from_env()
    now = SystemClock().now()

    async def work(db: Database) -> list[dict[str, Any]]:
        async with db.sessions() as session, session.begin():
            done = []
            for path, spec in specs:
                outcome = await surveys.import_definition(session, spec, now=now, source=path.name)
                done.append(
                    {
                        "key": outcome.definition.key,
                        "version": outcome.definition.version,
                        "questions": len(spec.questions),
                        "action": outcome.action,
                        "file": str(path),
                    }
                )
            return done

    results = with_database(settings, checked(work))
    if as_json:
        emit_json(results)
        return
    for r in results:
        click.echo(f"{r['key']} version {r['version']}: {r['action']} ({r['questions']} questions, {r['file']})")


@survey.command("list")
@click.option("--json", "as_json", is_flag=True)
def survey_list(as_json: bool) -> None:
    """Survey definitions (latest versions) and the latest campaigns."""
    settings = settings_from_env()
    tz = settings.timezone

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session:
            definitions = await surveys.list_definitions(session)
            campaigns = await surveys.list_campaigns(session)
            return {
                "surveys": [
                    {
                        "key": d.key,
                        "version": d.version,
                        "title": d.title,
                        "questions": d.questions,
                        "anonymous": d.anonymous,
                        "campaigns": d.campaigns,
                        "open_campaigns": d.open_campaigns,
                    }
                    for d in definitions
                ],
                "campaigns": [
                    {
                        "id": c.id,
                        "survey": c.definition.key,
                        "version": c.definition.version,
                        "status": c.status,
                        "invited": c.invited,
                        "completed": completed,
                        "opened_at": c.opened_at.isoformat(),
                        "closes_at": c.closes_at.isoformat() if c.closes_at else None,
                        "opened": thai_datetime(c.opened_at, tz),
                        "closes": thai_datetime(c.closes_at, tz) if c.closes_at else "-",
                    }
                    for c, completed in campaigns
                ],
            }

    listing = with_database(settings, checked(work))
    if as_json:
        emit_json(listing)
        return
    if not listing["surveys"]:
        click.echo("no surveys yet: phuankru survey import FILE.yaml (or --builtin)")
    for d in listing["surveys"]:
        anonymous = ", anonymous" if d["anonymous"] else ""
        click.echo(
            f"{d['key']}  v{d['version']}  {d['questions']} questions{anonymous}  "
            f"campaigns: {d['campaigns']} ({d['open_campaigns']} open)  {d['title']}"
        )
    if listing["campaigns"]:
        click.echo("\ncampaign  survey  status  answered/invited  opened  closes")
    for c in listing["campaigns"]:
        click.echo(
            f"{c['id']}  {c['survey']}@{c['version']}  {c['status']}  {c['completed']}/{c['invited']}  "
            f"{c['opened']}  {c['closes']}"
        )


def _moment(value: str | None, option: str, settings_tz: Any, now: datetime) -> datetime | None:
    if value is None:
        return None
    moment = parse_moment(value, settings_tz, now)
    if moment is None:
        fail(f"{option}: {t('sv_bad_moment', 'en', value=value)}", EXIT_USAGE)
    return moment


@survey.command("send")
@click.argument("key")
@click.option("--audience", "audience", multiple=True, required=True, help=AUDIENCE_HELP)
@click.option(
    "--closes-at",
    help="Close at this time: '5 ธ.ค. 2569 16:30', '5/12/2569 16.30 น.', '2026-12-05T16:30', or a day alone "
    "('5 ธ.ค. 2569', '2026-12-05': closes at its end), office time zone.",
)
@click.option("--remind-after", help="Remind non-respondents after this long, e.g. 2d, 12h, 1d12h.")
@click.option("--max-reminders", type=click.IntRange(0, 20), default=None, help="Reminders at most (default 1).")
@click.option("--changes-until", help="People may change answers until then (default: until closing).")
@click.option("--no-changes", is_flag=True, help="Answers cannot be changed once submitted.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def survey_send(
    ctx: click.Context,
    key: str,
    audience: tuple[str, ...],
    closes_at: str | None,
    remind_after: str | None,
    max_reminders: int | None,
    changes_until: str | None,
    no_changes: bool,
    as_json: bool,
) -> None:
    """Open a campaign of survey KEY (or KEY@VERSION): invitations to everyone in the audience."""
    settings = settings_from_env()
    tz = settings.timezone
    clock = clock_of(ctx)
    remind: timedelta | None = None
    if remind_after is not None:
        remind = parse_duration(remind_after)
        if remind is None:
            fail(f"--remind-after: {t('sv_bad_duration', 'en', value=remind_after)}", EXIT_USAGE)
    if max_reminders and remind is None:
        fail("--max-reminders needs --remind-after", EXIT_USAGE)
    request = SendRequest(
        survey=key,
        audience=audience,
        closes_at=_moment(closes_at, "--closes-at", tz, clock.now()),
        remind_every=remind,
        max_reminders=(1 if max_reminders is None else max_reminders) if remind else 0,
        changes_allowed=not no_changes,
        changes_until=_moment(changes_until, "--changes-until", tz, clock.now()),
    )

    async def work(db: Database) -> dict[str, Any]:
        async with db.sessions() as session, session.begin():
            now = clock.now()
            opened = await open_campaign(session, Actor.operator(), request, now=now, tz=tz)
            preview, campaign = opened.preview, opened.campaign
            return {
                "campaign": campaign.id,
                "survey": preview.definition.key,
                "version": preview.definition.version,
                "people": len(preview.audience.people),
                "groups": len(preview.audience.groups),
                "per_channel": dict(preview.audience.per_channel()),
                "closes_at": campaign.closes_at.astimezone(UTC).isoformat() if campaign.closes_at else None,
                "reminders": campaign.max_reminders,
            }

    sent = with_database(settings, checked(work))
    if as_json:
        emit_json(sent)
        return
    click.echo(
        f"campaign {sent['campaign']}: {sent['survey']} version {sent['version']} to {sent['people']} people "
        f"and {sent['groups']} groups; invitations queued (a running `phuankru serve` delivers them)"
    )


@survey.command("results")
@click.argument("campaign", type=int)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--by", type=click.Choice(GROUPINGS), help="Also per school or per role (named surveys).")
@click.option("--bands", type=click.Choice(sorted(survey_report.BAND_SCHEMES)), help="Interpretation bands.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
def survey_results(campaign: int, fmt: str, by: str | None, bands: str | None, out: Path | None) -> None:
    """n, count and % per level, mean, S.D., interpretation and rank; choices; typed answers; response rate."""
    settings = settings_from_env()

    async def work(db: Database) -> survey_report.Report:
        async with db.sessions() as session:
            return await survey_report.build_report(session, campaign, bands=bands, by=by)

    report = with_database(settings, checked(work))
    if fmt in BINARY_FORMATS:
        data = survey_report.to_xlsx(report) if fmt == "xlsx" else survey_report.render_chart(report).png
        target = out or Path(f"survey-{campaign}.{fmt}")
        target.write_bytes(data)
        click.echo(f"wrote {target} ({len(data):,} bytes)")
        return
    if fmt == "json":
        text = json.dumps(survey_report.to_json(report), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = survey_report.to_csv(report)
    else:
        text = survey_report.to_table(report) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    # A BOM, so that Excel opens a Thai CSV as UTF-8.
    out.write_text(("\ufeff" if fmt == "csv" else "") + text, encoding="utf-8")
    click.echo(f"wrote {out}")


@survey.command("close")
@click.argument("campaign", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print {campaign, closed} as JSON.")
def survey_close(campaign: int, as_json: bool) -> None:
    """Close a campaign now (late taps get a polite "closed")."""
    settings = settings_from_env()
    clock = SystemClock()

    async def work(db: Database) -> bool:
        async with db.sessions() as session, session.begin():
            return (await close_campaign(session, Actor.operator(), campaign, now=clock.now())).closed

    closed = with_database(settings, checked(work))
    if as_json:
        emit_json({"campaign": campaign, "closed": closed})
        return
    click.echo(f"campaign {campaign} closed" if closed else f"campaign {campaign} was closed already")
