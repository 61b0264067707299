"""The web console's texts: the sign-in link in chat, and every page of /console/."""

from __future__ import annotations

from typing import Final

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "console_link": {
        "th": "ลิงก์เข้าระบบหน้าเว็บสำหรับเจ้าหน้าที่ค่ะ ใช้ได้ครั้งเดียว ภายใน {minutes} นาที\n{url}\nอย่าส่งต่อลิงก์นี้ให้ผู้อื่นนะคะ",
        "en": "Your sign-in link to the staff console: one use, valid {minutes} minutes.\n{url}\n"
        "Please do not forward it.",
    },
    "console_no_url": {
        "th": "ขออภัยค่ะ ระบบยังไม่ได้ตั้งค่าที่อยู่เว็บ (PHUANKRU_PUBLIC_URL) โปรดแจ้งผู้ดูแลระบบค่ะ",
        "en": "Sorry, the web address (PHUANKRU_PUBLIC_URL) is not set up yet. Please tell the administrator.",
    },
    "console_title": {"th": "เพื่อนครู · หน้าเจ้าหน้าที่", "en": "PhuanKru · staff console"},
    "console_nav_home": {"th": "หน้าหลัก", "en": "Home"},
    "console_nav_announcements": {"th": "ประกาศ", "en": "Announcements"},
    "console_nav_surveys": {"th": "แบบสอบถาม", "en": "Surveys"},
    "console_nav_processes": {"th": "งานตามขั้นตอน", "en": "Processes"},
    "console_nav_inbox": {"th": "กล่องข้อความ", "en": "Inbox"},
    "console_nav_people": {"th": "รายชื่อ", "en": "People"},
    "console_nav_settings": {"th": "ตั้งค่า", "en": "Settings"},
    "console_nav_audit": {"th": "บันทึกการใช้งาน", "en": "Audit log"},
    "console_signed_in_as": {"th": "เข้าระบบในชื่อ {name}", "en": "Signed in as {name}"},
    "console_sign_out": {"th": "ออกจากระบบ", "en": "Sign out"},
    "console_sign_out_all": {"th": "ออกจากระบบทุกอุปกรณ์", "en": "Sign out everywhere"},
    "console_switch_lang": {"th": "English", "en": "ภาษาไทย"},
    "console_signin_heading": {"th": "เข้าระบบหน้าเจ้าหน้าที่", "en": "Sign in to the staff console"},
    "console_signin_how": {
        "th": "ส่งคำสั่ง /console ถึงบอตเพื่อนครูใน LINE หรือ Telegram (ใน LINE พิมพ์ “เข้าระบบ” ก็ได้) "
        "บอตจะตอบด้วยลิงก์เข้าระบบที่ใช้ได้ครั้งเดียวภายใน 10 นาทีค่ะ",
        "en": "Send /console to the PhuanKru bot on LINE or Telegram (on LINE you may also type “เข้าระบบ”). "
        "The bot answers with a one-time sign-in link, valid for 10 minutes.",
    },
    "console_signin_bad": {
        "th": "ลิงก์นี้ใช้ไม่ได้แล้วค่ะ (ใช้ไปแล้ว หมดอายุ หรือไม่ถูกต้อง) โปรดขอลิงก์ใหม่ค่ะ",
        "en": "This link no longer works (already used, expired or unknown). Please ask for a new one.",
    },
    "console_forbidden_heading": {"th": "ไม่มีสิทธิ์เข้าหน้านี้ค่ะ", "en": "You may not open this page"},
    "console_forbidden": {
        "th": "หน้านี้สำหรับ{roles}เท่านั้นค่ะ หากต้องใช้งาน โปรดติดต่อผู้ดูแลระบบของสำนักงานค่ะ",
        "en": "This page is for {roles} only. Please ask the office's administrator if you need it.",
    },
    "console_csrf": {
        "th": "คำขอนี้ไม่มีรหัสยืนยันของหน้าเว็บ จึงไม่ได้ดำเนินการใด ๆ ค่ะ โปรดโหลดหน้าใหม่แล้วลองอีกครั้งค่ะ",
        "en": "This request did not carry the page's check code, so nothing was done. Reload the page and try again.",
    },
    "console_coming": {
        "th": "หน้านี้กำลังจะมาในรุ่นถัดไปค่ะ ระหว่างนี้ใช้คำสั่งในแชตหรือ phuankru ได้ค่ะ",
        "en": "This page is coming in a later version; until then, use the chat commands or phuankru.",
    },
    "console_home_heading": {"th": "สิ่งที่ต้องดูวันนี้", "en": "Needs attention today"},
    "console_home_scheduled": {"th": "ประกาศที่ตั้งเวลาไว้", "en": "Scheduled announcements"},
    "console_home_recent": {"th": "ประกาศล่าสุด", "en": "Latest announcements"},
    "console_home_surveys": {"th": "แบบสอบถามที่เปิดอยู่", "en": "Open surveys"},
    "console_home_overdue": {"th": "ขั้นตอนงานที่เลยกำหนด", "en": "Overdue process steps"},
    "console_home_inbox": {"th": "ข้อความที่ยังไม่ปิด", "en": "Open inbox threads"},
    "console_none": {"th": "ไม่มีค่ะ", "en": "None."},
    "console_count": {"th": "{n} รายการ", "en": "{n}"},
    "console_rate": {"th": "ตอบแล้ว {done}/{total} ({pct}%)", "en": "{done}/{total} answered ({pct}%)"},
    "console_delivery": {
        "th": "ส่งแล้ว {sent} · ไม่สำเร็จ {failed} · รอส่ง {pending} จาก {total}",
        "en": "{sent} sent · {failed} failed · {pending} pending of {total}",
    },
    "console_bc_heading": {"th": "ประกาศ", "en": "Announcements"},
    "console_bc_new": {"th": "เขียนประกาศใหม่", "en": "New announcement"},
    "console_bc_text": {"th": "ข้อความประกาศ", "en": "Announcement text"},
    "console_bc_audience": {"th": "ผู้รับ", "en": "Audience"},
    "console_bc_audience_help": {
        "th": "เช่น all, role:teacher, school:ชื่อโรงเรียน, tag:ป้าย, channel:line, followers:line (คั่นด้วยจุลภาค)",
        "en": "e.g. all, role:teacher, school:NAME, tag:TAG, channel:line, followers:line (comma-separated)",
    },
    "console_bc_at": {"th": "เวลาส่ง (เว้นว่าง = ส่งทันที)", "en": "Send at (empty = now)"},
    "console_bc_at_help": {"th": "เช่น 5 ธ.ค. 2569 09:00", "en": "e.g. 5 ธ.ค. 2569 09:00"},
    "console_bc_submit": {"th": "ส่งประกาศ", "en": "Send announcement"},
    "console_bc_created": {"th": "บันทึกประกาศที่ {id} แล้วค่ะ ({n} ผู้รับ)", "en": "Announcement {id} saved ({n} recipients)."},
    "console_text_too_long": {
        "th": "ข้อความยาวเกิน {limit} ตัวอักษรที่ LINE รับได้ค่ะ",
        "en": "The text is longer than LINE's {limit} characters.",
    },
    "console_counter": {"th": "LINE {line}/5000 · Telegram {tg}/4096", "en": "LINE {line}/5000 · Telegram {tg}/4096"},
    "console_bc_cancel": {"th": "ยกเลิกประกาศนี้", "en": "Cancel this announcement"},
    "console_bc_all_states": {"th": "ทุกสถานะ", "en": "All states"},
    "console_bc_filter": {"th": "กรอง", "en": "Filter"},
    "console_bc_errors": {"th": "โปรดแก้ไขช่องที่มีข้อความแจ้งค่ะ", "en": "Please correct the fields marked below."},
    "console_bc_col_id": {"th": "ที่", "en": "No."},
    "console_bc_col_state": {"th": "สถานะ", "en": "State"},
    "console_bc_col_author": {"th": "ผู้ส่ง", "en": "Author"},
    "console_bc_col_when": {"th": "เวลา", "en": "Time"},
    "console_bc_col_audience": {"th": "ผู้รับ", "en": "Audience"},
    "console_bc_col_counts": {"th": "ผลการส่ง", "en": "Delivery"},
    "console_bc_state_scheduled": {"th": "ตั้งเวลาไว้", "en": "scheduled"},
    "console_bc_state_sending": {"th": "กำลังส่ง", "en": "sending"},
    "console_bc_state_done": {"th": "ส่งครบแล้ว", "en": "done"},
    "console_bc_state_cancelled": {"th": "ยกเลิกแล้ว", "en": "cancelled"},
    "console_bc_state_missed": {"th": "เลยเวลาส่ง", "en": "missed"},
}
