"""The message catalogue: every text a person reads, in Thai and English, in one place.

`t(key, lang, **values)` picks the contact's language and falls back to Thai.
"""

from __future__ import annotations

from typing import Final

DEFAULT_LANGUAGE: Final = "th"
LANGUAGES: Final = ("th", "en")

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "welcome": {
        "th": "สวัสดีค่ะ ยินดีต้อนรับสู่ “เพื่อนครู” ผู้ช่วยของสำนักงานเขตพื้นที่การศึกษา\n"
        "ที่นี่ท่านจะได้รับข่าวประชาสัมพันธ์ แบบสอบถาม และการแจ้งเตือนจากสำนักงาน\n"
        "พิมพ์ /help เพื่อดูสิ่งที่ทำได้",
        "en": "Hello, and welcome to PhuanKru, the district education office's assistant.\n"
        "You will receive the office's announcements, surveys and reminders here.\n"
        "Type /help to see what you can do.",
    },
    "welcome_back": {
        "th": "ยินดีต้อนรับกลับมาค่ะ ท่านจะได้รับข่าวสารจากสำนักงานตามเดิม",
        "en": "Welcome back: you will receive the office's news again.",
    },
    "group_hello": {
        "th": "สวัสดีค่ะ “เพื่อนครู” ของสำนักงานเขตพื้นที่การศึกษาพร้อมส่งข่าวสารในกลุ่มนี้แล้ว\nบอตจะตอบเฉพาะคำสั่งที่ส่งถึงบอตเท่านั้น",
        "en": "Hello! PhuanKru will post the district office's news in this group.\n"
        "It only answers commands addressed to it.",
    },
    "help": {
        "th": "สิ่งที่ทำได้:\n/help – ความช่วยเหลือ\n/start – เริ่มต้นใช้งาน\nปุ่มคำตอบกดได้ หรือพิมพ์หมายเลขตัวเลือกก็ได้",
        "en": "What you can do:\n/help – this help\n/start – get started\n"
        "Tap an answer button, or type the option's number.",
    },
    "unknown_command": {
        "th": "ขออภัยค่ะ ไม่รู้จักคำสั่ง “{command}” พิมพ์ /help เพื่อดูคำสั่งที่ใช้ได้",
        "en": "Sorry, “{command}” is not a command I know. Type /help to see the commands.",
    },
    "not_understood": {
        "th": "ขออภัยค่ะ ยังไม่เข้าใจข้อความนี้ พิมพ์ /help เพื่อดูสิ่งที่ทำได้",
        "en": "Sorry, I did not understand that. Type /help to see what I can do.",
    },
    "media_not_needed": {
        "th": "ได้รับไฟล์แล้วค่ะ แต่ตอนนี้ยังไม่ต้องใช้ไฟล์ พิมพ์ /help เพื่อดูสิ่งที่ทำได้",
        "en": "Thank you, but no file is needed right now. Type /help to see what I can do.",
    },
    "expired_button": {
        "th": "ปุ่มนี้หมดอายุแล้วค่ะ พิมพ์ /help เพื่อเริ่มใหม่",
        "en": "That button has expired. Type /help to start again.",
    },
    "internal_error": {
        "th": "ขออภัยค่ะ ระบบขัดข้องชั่วคราว ข้อความของท่านไม่ได้ถูกบันทึก กรุณาลองใหม่อีกครั้งในภายหลัง",
        "en": "Sorry, something went wrong on our side and nothing was saved. Please try again later.",
    },
    "options_hint": {
        "th": "พิมพ์หมายเลขเพื่อเลือกได้เช่นกัน",
        "en": "You can also type the number of your choice.",
    },
    "cmd_start": {"th": "เริ่มต้นใช้งาน", "en": "Get started"},
    "cmd_help": {"th": "ความช่วยเหลือ", "en": "Help"},
}


def t(key: str, lang: str | None = None, /, **values: object) -> str:
    entry = CATALOGUE[key]
    text = entry.get(lang or DEFAULT_LANGUAGE) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


# The commands shown in Telegram's command menu (and the LINE rich menu), with their catalogue keys.
MENU_COMMANDS: Final[tuple[tuple[str, str], ...]] = (("start", "cmd_start"), ("help", "cmd_help"))
