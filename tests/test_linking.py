"""/link through the webhooks: codes that cannot be guessed, tries limited per account and overall, audited."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from handlers.chat import linking
from handlers.texts import t
from storage.db import Database
from storage.models import AuditLog
from tests.events import tg_message
from tests.harness import Harness, running
from tests.test_registration import LinePerson, TelegramPerson, contact

CODE = re.compile(r"/link ([0-9A-Z]{5}-[0-9A-Z]{5}) ")
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


async def ask_code(person: TelegramPerson) -> str:
    reply = await person.say("/link")
    assert len(reply) == 1
    found = CODE.search(reply[0])
    assert found is not None, reply
    assert reply[0] == t("link_code", code=found.group(1))
    return found.group(1)


def wrong_code(right: str) -> str:
    code = linking.shown(linking.new_code())
    assert code != right
    return code


async def audit_rows(h: Harness) -> list[tuple[str, bool, str, int | None, dict[str, object]]]:
    async with h.db.sessions() as session:
        rows = await session.execute(
            select(AuditLog.action, AuditLog.allowed, AuditLog.actor, AuditLog.actor_contact_id, AuditLog.detail)
            .where(AuditLog.action.like("link.%"))
            .order_by(AuditLog.id)
        )
        return [tuple(r) for r in rows]


async def test_a_code_is_ten_unambiguous_symbols_and_may_be_typed_loosely(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "8101")
        line_id = await h.known_person("line", "Uloose")
        tg, line = TelegramPerson(h, 8101), LinePerson(h, "Uloose")
        code = await ask_code(tg)
        assert set(code.replace("-", "")) <= set(linking.ALPHABET)
        # Lower case, a space for the dash, Thai digits: what a teacher may type on a phone.
        typed = code.lower().replace("-", " ").translate(THAI_DIGITS)
        assert await line.say(f"/link {typed}") == [t("link_done")]
        tg_contact, line_contact = await contact(h, "telegram", "8101"), await contact(h, "line", "Uloose")
        assert tg_contact.person_id is not None
        assert tg_contact.person_id == line_contact.person_id
        assert await audit_rows(h) == [
            ("link.done", True, "line:Uloose", line_id, {"other": f"contact:{tg_contact.id}"}),
        ]


async def test_wrong_codes_are_refused_then_the_account_is_locked_out_and_audited(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "8201")
        guesser_id = await h.known_person("line", "Uguess")
        tg, line = TelegramPerson(h, 8201), LinePerson(h, "Uguess")
        code = await ask_code(tg)
        for _ in range(linking.ACCOUNT_FAILURES):
            assert await line.say(f"/link {wrong_code(code)}") == [t("link_bad")]
        # The sixth try is refused before the code is looked at: even the right code tells a guesser nothing.
        assert await line.say(f"/link {code}") == [t("link_locked", minutes=10)]
        assert (await contact(h, "line", "Uguess")).person_id is None
        assert (await contact(h, "telegram", "8201")).person_id is None
        failed = ("link.failed", False, "line:Uguess", guesser_id, {"reason": "unknown"})
        locked = ("link.locked", False, "line:Uguess", guesser_id, {"scope": "account"})
        assert await audit_rows(h) == [failed] * linking.ACCOUNT_FAILURES + [locked]

        # Once the window has moved on, a fresh code works again.
        h.clock.advance(linking.FAILURE_WINDOW + timedelta(seconds=1))
        fresh = await ask_code(tg)
        assert await line.say(f"/link {fresh}") == [t("link_done")]
        assert (await contact(h, "line", "Uguess")).person_id == (await contact(h, "telegram", "8201")).person_id


async def test_an_expired_code_is_a_failed_try(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "8301")
        late_id = await h.known_person("line", "Ulate")
        tg, line = TelegramPerson(h, 8301), LinePerson(h, "Ulate")
        code = await ask_code(tg)
        h.clock.advance(linking.CODE_TTL)
        assert await line.say(f"/link {code}") == [t("link_bad")]
        assert (await contact(h, "line", "Ulate")).person_id is None
        assert await audit_rows(h) == [("link.failed", False, "line:Ulate", late_id, {"reason": "expired"})]


async def test_the_global_limit_holds_across_accounts(db: Database) -> None:
    async with running(db) as h:
        await h.known_person("telegram", "8400")
        await h.known_person("line", "Uvictim")
        code = await ask_code(TelegramPerson(h, 8400))
        # Many accounts, each staying under its own limit, together use up the global budget.
        per_account = linking.ACCOUNT_FAILURES - 1
        accounts = [8401 + i for i in range(-(-linking.GLOBAL_FAILURES // per_account))]
        for user_id in accounts:
            await h.known_person("telegram", str(user_id))
        tries = [accounts[i // per_account] for i in range(linking.GLOBAL_FAILURES)]
        for user_id in tries:
            assert (await h.post_telegram(tg_message(user_id, f"/link {wrong_code(code)}"))).status == 200
        await h.settle()
        answers = [text for user_id in accounts for text in h.telegram.sent_texts(user_id)]
        assert answers == [t("link_bad")] * linking.GLOBAL_FAILURES

        # Now even an account that never failed, with the right code, is paused.
        assert await LinePerson(h, "Uvictim").say(f"/link {code}") == [t("link_busy", minutes=10)]
        assert (await contact(h, "line", "Uvictim")).person_id is None
        rows = await audit_rows(h)
        assert [r[0] for r in rows].count("link.failed") == linking.GLOBAL_FAILURES
        assert rows[-1][:3] == ("link.locked", False, "line:Uvictim")
        assert rows[-1][4] == {"scope": "global"}

        h.clock.advance(linking.FAILURE_WINDOW + timedelta(seconds=1))
        fresh = await ask_code(TelegramPerson(h, 8400))
        assert await LinePerson(h, "Uvictim").say(f"/link {fresh}") == [t("link_done")]
