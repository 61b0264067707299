"""Everything `serve` runs besides the web routes: channels, event processing, delivery, polling.

Built once per process from the settings (or from explicit parts in tests), started and stopped with the app.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog

from bot import metrics
from bot.channels.console import ConsoleChannel
from bot.channels.line import LineChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.web import WebChannel
from bot.config import Settings
from bot.ingest import InboundWriter
from bot.polling import poll_telegram
from bot.processing import Download, EventProcessor, Translator
from core.calendar import OfficeCalendar
from core.clock import Clock
from core.model import Channel, Event
from handlers.chat.context import HandlerConfig
from handlers.surveys import messages as survey_messages
from scheduler.broadcast_jobs import BroadcastJobs
from scheduler.delivery import ChannelSender, DeliveryWorker
from scheduler.reminders import ProcessReminders
from scheduler.survey_jobs import SurveyDueWork
from scheduler.ticker import Ticker
from storage import media
from storage.db import Database

log = structlog.get_logger("phuankru.services")

STOP_TIMEOUT_S = 10.0


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    line: LineChannel | None
    telegram: TelegramChannel | None
    console: ConsoleChannel | None
    writer: InboundWriter
    processor: EventProcessor
    worker: DeliveryWorker
    ticker: Ticker
    calendar: OfficeCalendar
    web: WebChannel | None = None  # the sandbox chat page's channel (bot/sandbox.py), when it is on
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self, *, background: bool = True) -> None:
        for adapter in (self.line, self.telegram, self.console, self.web):
            if adapter is None:
                continue
            try:
                await adapter.start()
            except Exception as exc:
                log.error("channel.start_failed", channel=adapter.channel.value, error=str(exc)[:300])
        await self._register_webhooks()
        recovered = await self.processor.recover()
        if recovered:
            log.info("processing.recovered", events=recovered)
        if background:
            self.tasks.append(asyncio.create_task(self.processor.run(self.stop), name="processor"))
            self.tasks.append(asyncio.create_task(self.worker.run(self.stop), name="delivery"))
            self.ticker.start()
            if self.telegram is not None and self.settings.telegram_mode == "polling":
                poller = poll_telegram(self.telegram, self.writer, self.processor, self.clock, self.stop)
                self.tasks.append(asyncio.create_task(poller, name="telegram-polling"))

    async def _register_webhooks(self) -> None:
        public = self.settings.phuankru_public_url
        if self.line is not None:
            where = f"{public}/webhooks/line" if public else "https://YOUR-ADDRESS/webhooks/line"
            log.info("line.webhook_url", url=where, hint="paste it in the LINE Developers console, then press Verify")
        if self.telegram is None:
            return
        try:
            await self.telegram.set_command_menu()
            if public and self.settings.telegram_mode == "webhook":
                url = await self.telegram.register_webhook(public)
                log.info("telegram.webhook_registered", url=url)
        except Exception as exc:
            log.error("telegram.setup_failed", error=str(exc)[:300])

    async def close(self) -> None:
        """Stop taking work, let the delivery batch in flight finish, then close the channels."""
        self.stop.set()
        self.ticker.shutdown()
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=STOP_TIMEOUT_S)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self.tasks.clear()
        for adapter in (self.line, self.telegram, self.console, self.web):
            if adapter is not None:
                await adapter.close()


def channels_from_settings(settings: Settings, clock: Clock) -> tuple[LineChannel | None, TelegramChannel | None]:
    line = telegram = None
    if settings.line_channel_secret is not None and settings.line_channel_access_token is not None:
        line = LineChannel(
            channel_secret=settings.line_channel_secret.get_secret_value(),
            access_token=settings.line_channel_access_token.get_secret_value(),
            api_base_url=settings.line_api_base_url,
            clock=clock,
        )
    if settings.telegram_bot_token is not None:
        secret = settings.telegram_webhook_secret
        telegram = TelegramChannel(
            token=settings.telegram_bot_token.get_secret_value(),
            api_base_url=settings.telegram_api_base_url,
            webhook_secret=secret.get_secret_value() if secret is not None else None,
        )
    return line, telegram


def build_services(
    settings: Settings,
    db: Database,
    clock: Clock,
    *,
    line: LineChannel | None = None,
    telegram: TelegramChannel | None = None,
    console: ConsoleChannel | None = None,
    web: WebChannel | None = None,
    from_settings: bool = True,
    worker_options: dict[str, object] | None = None,
) -> Services:
    if from_settings and line is None and telegram is None and console is None and web is None:
        line, telegram = channels_from_settings(settings, clock)
        if settings.sandbox_enabled:
            web = WebChannel(db, clock=clock, public_url=settings.phuankru_public_url or "")
    translators: dict[str, Translator] = {}
    senders: dict[Channel, ChannelSender] = {}
    if line is not None:
        translators["line"], senders[Channel.LINE] = line, line
    if telegram is not None:
        translators["telegram"], senders[Channel.TELEGRAM] = telegram, telegram
    if console is not None:
        translators["console"], senders[Channel.CONSOLE] = console, console
    if web is not None:
        translators["web"], senders[Channel.WEB] = web, web

    async def acknowledge(event: Event) -> None:
        if telegram is not None and event.channel is Channel.TELEGRAM and event.callback_id:
            await telegram.answer_callback(event.callback_id)

    worker = DeliveryWorker(
        db,
        senders,
        clock,
        on_outcome=lambda channel, outcome: metrics.OUTBOX_RESULTS.labels(channel, outcome).inc(),
        **(worker_options or {}),  # type: ignore[arg-type]
    )
    config = HandlerConfig(
        admins=frozenset((a.channel, a.user_id) for a in settings.admins),
        timezone=settings.phuankru_timezone,
        office_hours=settings.office_hours,
        workdays=settings.workdays,
        public_url=settings.phuankru_public_url or "",
    )
    # SQLite has one writer: parallel handlers would only queue on its lock (and could time out under load).
    workers = 1 if db.backend == "sqlite" else 4
    writer = InboundWriter(db, clock)
    downloads: dict[str, Download] = {}
    if line is not None:
        downloads["line"] = line.download
    if telegram is not None:
        downloads["telegram"] = telegram.download
        telegram.media_loader = media.loader(db)
    processor = EventProcessor(
        db,
        clock,
        translators,
        on_outbox=worker.wake,
        acknowledge=acknowledge,
        config=config,
        concurrency=workers,
        downloads=downloads,
        public_url=settings.phuankru_public_url or "",
        busy=lambda: writer.busy,
    )
    calendar = OfficeCalendar(timezone=settings.timezone, hours=settings.office_hours, workdays=settings.workdays)
    ticker = Ticker()
    # The chat side of surveys is told where links and charts point (the Telegram username is known once started).
    survey_messages.configure(
        public_url=settings.phuankru_public_url,
        telegram_username=lambda: telegram.username if telegram is not None else None,
    )
    ticker.add("surveys", SurveyDueWork(db, clock, calendar, wake=worker.wake))
    ticker.add("process-reminders", ProcessReminders(db, clock, calendar, wake=worker.wake, admins=config.admins))
    ticker.add("broadcasts", BroadcastJobs(db, clock, worker.wake).tick)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        line=line,
        telegram=telegram,
        console=console,
        writer=writer,
        processor=processor,
        worker=worker,
        ticker=ticker,
        calendar=calendar,
        web=web,
    )
