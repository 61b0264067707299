"""Facts about the office that its texts name. An office adopting PhuanKru edits these lines."""

from __future__ import annotations

from typing import Final

OFFICE_NAME_TH: Final = "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาอุบลราชธานี เขต 4"
OFFICE_NAME_EN: Final = "Ubon Ratchathani Primary Educational Service Area Office 4"
# Who answers questions about personal data (PDPA): the unit that runs PhuanKru.
DATA_CONTACT_TH: Final = "กลุ่มงานข้อมูลสารสนเทศเพื่อการบริหารและการจัดการศึกษา " + OFFICE_NAME_TH
DATA_CONTACT_EN: Final = "the Information Group of the " + OFFICE_NAME_EN
# Bumped whenever the privacy notice changes: consent is given to one version.
PRIVACY_NOTICE_VERSION: Final = "2026-11"
# How long the raw text of incoming messages is kept before it is deleted.
RAW_MESSAGE_RETENTION_DAYS: Final = 90
