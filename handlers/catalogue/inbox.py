"""Texts of the office inbox: acknowledgements, forwards to staff, replies, FAQ answers."""

from __future__ import annotations

from typing import Final

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "inbox_ack_open": {
        "th": "ได้รับข้อความของท่านแล้วค่ะ เจ้าหน้าที่จะตอบกลับในเวลาทำการ ({hours})",
        "en": "Your message has reached the office; staff will answer during office hours ({hours}).",
    },
    "inbox_ack_closed": {
        "th": "ได้รับข้อความของท่านแล้วค่ะ ขณะนี้อยู่นอกเวลาทำการ เจ้าหน้าที่จะตอบกลับตั้งแต่ {when}",
        "en": "Your message has reached the office. It is outside office hours: staff will answer from {when}.",
    },
    "inbox_forward": {
        "th": "📩 เรื่องที่ {thread} จาก {who}\n{about}\n— {content}",
        "en": "📩 Thread {thread} from {who}\n{about}\n— {content}",
    },
    "inbox_forward_hint": {
        "th": "ตอบโดยตอบกลับ (reply) ข้อความนี้ หรือกดปุ่ม ตอบ หรือพิมพ์ /reply {thread} ข้อความ",
        "en": "Answer by replying to this message, the Reply button, or /reply {thread} text",
    },
    "inbox_always_open": {"th": "ตลอด 24 ชั่วโมง", "en": "around the clock"},
    "btn_inbox_reply": {"th": "ตอบ", "en": "Reply"},
    "btn_inbox_close": {"th": "ปิดเรื่อง", "en": "Close"},
    "btn_inbox_assign": {"th": "มอบหมาย", "en": "Assign"},
    "inbox_type_reply": {
        "th": "พิมพ์คำตอบถึง {who} (เรื่องที่ {thread}) ได้เลยค่ะ",
        "en": "Type your answer to {who} (thread {thread}).",
    },
    "inbox_reply_sent": {"th": "ส่งคำตอบเรื่องที่ {thread} ถึง {who} แล้วค่ะ", "en": "Answer to {who} (thread {thread}) sent."},
    "inbox_from_office": {"th": "💬 ตอบจากสำนักงาน:\n{text}", "en": "💬 From the office:\n{text}"},
    "inbox_closed": {"th": "ปิดเรื่องที่ {thread} แล้วค่ะ", "en": "Thread {thread} closed."},
    "inbox_assigned": {"th": "มอบหมายเรื่องที่ {thread} ให้ {who} แล้วค่ะ", "en": "Thread {thread} assigned to {who}."},
    "inbox_assigned_to_you": {
        "th": "ท่านได้รับมอบหมายเรื่องที่ {thread} จาก {who}",
        "en": "You have been assigned thread {thread} from {who}.",
    },
    "inbox_pick_staff": {"th": "มอบหมายเรื่องที่ {thread} ให้ใคร", "en": "Assign thread {thread} to whom?"},
    "inbox_no_thread": {
        "th": "ไม่พบเรื่องที่ {thread} หรือเรื่องนี้ปิดไปแล้วค่ะ ไม่มีการส่งข้อความ",
        "en": "Thread {thread} does not exist or is closed: nothing was sent.",
    },
    "inbox_empty_reply": {"th": "คำตอบว่างเปล่าค่ะ ไม่มีการส่ง", "en": "The answer is empty: nothing was sent."},
    "inbox_reply_usage": {"th": "วิธีใช้: /reply เลขเรื่อง ข้อความ", "en": "Usage: /reply THREAD text"},
    "inbox_open_list": {"th": "เรื่องที่ยังเปิดอยู่ ({n})", "en": "Open threads ({n})"},
    "inbox_open_page": {
        "th": "เรื่องที่ยังเปิดอยู่ {n} เรื่อง (แสดงเรื่องที่ {first}–{last}) กด “ตอบ” ใต้เรื่องที่ต้องการได้เลยค่ะ",
        "en": "{n} open threads (showing {first}–{last}). Tap “Reply” under the one to answer.",
    },
    "inbox_card": {
        "th": "เรื่องที่ {thread} · {who}\n{about}\nล่าสุด {when} ({waited})\n“{text}”",
        "en": "Thread {thread} · {who}\n{about}\nLast {when} ({waited})\n“{text}”",
    },
    "inbox_waited_minutes": {"th": "รอ {n} นาที", "en": "waiting {n} min"},
    "inbox_waited_hours": {"th": "รอ {n} ชั่วโมง", "en": "waiting {n} h"},
    "inbox_waited_days": {"th": "รอ {n} วัน", "en": "waiting {n} days"},
    "btn_inbox_more": {"th": "ดูเรื่องถัดไป", "en": "More threads"},
    "inbox_more_hint": {"th": "ยังมีเรื่องอื่นอีกค่ะ", "en": "There are more threads."},
    "inbox_none": {"th": "ไม่มีเรื่องค้างค่ะ", "en": "No open threads."},
    "inbox_not_answered": {"th": "ยังไม่ได้คำตอบ", "en": "Not answered"},
    "inbox_faq_forwarded": {
        "th": "ส่งคำถามของท่านถึงเจ้าหน้าที่แล้วค่ะ",
        "en": "Your question has been passed to the staff.",
    },
    "media_image": {"th": "[รูปภาพ]", "en": "[picture]"},
    "media_file": {"th": "[ไฟล์]", "en": "[file]"},
    "media_sticker": {"th": "[สติกเกอร์]", "en": "[sticker]"},
    "media_location": {"th": "[ตำแหน่งที่ตั้ง]", "en": "[location]"},
    "media_other": {"th": "[สื่อ]", "en": "[media]"},
    "inbox_file_not_kept": {
        "th": "(ดึงไฟล์ไม่สำเร็จ ขอให้ผู้ส่งส่งใหม่)",
        "en": "(the file could not be fetched; ask for it again)",
    },
    "faq_added": {"th": "เพิ่มคำตอบอัตโนมัติหมายเลข {id} แล้วค่ะ", "en": "Auto-reply {id} added."},
    "faq_usage": {
        "th": "วิธีใช้: /faq_add คำถาม1; คำถาม2 | คำตอบ",
        "en": "Usage: /faq_add phrase1; phrase2 | answer",
    },
    "faq_list": {"th": "คำตอบอัตโนมัติ ({n})", "en": "Auto-replies ({n})"},
    "mention_hint": {
        "th": "สวัสดีค่ะ หากมีคำถามถึงสำนักงาน ทักแชตส่วนตัวกับบอตได้เลย หรือพิมพ์ /help",
        "en": "Hello! For questions to the office, write to the bot in a private chat, or type /help.",
    },
}
