"""Texts of announcements (broadcasts): the staff's conversation, previews, reports."""

from __future__ import annotations

from typing import Final

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    "bc_who": {
        "th": "ประกาศถึงใครคะ (เลือกได้หลายกลุ่ม)",
        "en": "Who is this announcement for? (you can add several groups)",
    },
    "bc_all": {"th": "ทุกคน", "en": "Everyone"},
    "bc_teachers": {"th": "ครู", "en": "Teachers"},
    "bc_directors": {"th": "ผู้บริหาร", "en": "Directors"},
    "bc_by_tag": {"th": "ตามแท็ก", "en": "By tag"},
    "bc_by_school": {"th": "ตามโรงเรียน", "en": "By school"},
    "bc_groups": {"th": "กลุ่ม/ช่อง", "en": "Groups/channels"},
    "bc_line_followers": {"th": "ผู้ติดตาม LINE OA", "en": "LINE OA followers"},
    "bc_pick_tag": {"th": "เลือกแท็ก", "en": "Choose a tag"},
    "bc_no_tags": {"th": "ยังไม่มีแท็กค่ะ (ตั้งได้ด้วย phuankru contacts tag)", "en": "No tags yet."},
    "bc_pick_group": {"th": "เลือกกลุ่มหรือช่อง", "en": "Choose a group or channel"},
    "bc_no_groups": {"th": "บอตยังไม่ได้อยู่ในกลุ่มใดค่ะ", "en": "The bot is in no group yet."},
    "bc_type_school": {"th": "พิมพ์ชื่อโรงเรียน (บางส่วนก็ได้)", "en": "Type the school's name (part is enough)"},
    "bc_no_school": {"th": "ไม่พบโรงเรียน “{query}” ลองพิมพ์ใหม่ค่ะ", "en": "No school matches “{query}”; try again."},
    "bc_chosen": {
        "th": "กลุ่มเป้าหมาย: {audience}\nผู้รับ: {counts}",
        "en": "Audience: {audience}\nRecipients: {counts}",
    },
    "bc_add_more": {"th": "เพิ่มกลุ่ม", "en": "Add a group"},
    "bc_next": {"th": "ถัดไป", "en": "Next"},
    "bc_content": {
        "th": "พิมพ์ข้อความประกาศ หรือส่งรูป/ไฟล์เอกสาร (PDF, Word, Excel) ได้เลยค่ะ\n"
        "หรือวางลิงก์รูป https://… (.jpg หรือ .png) ไว้บรรทัดแรกของข้อความ",
        "en": "Type the announcement, or send a picture or a document (PDF, Word, Excel).\n"
        "Or put a picture's https://… link (.jpg or .png) on the first line of the text.",
    },
    "bc_content_empty": {"th": "ข้อความว่างเปล่าค่ะ กรุณาพิมพ์ข้อความประกาศ", "en": "The text is empty; please type it."},
    "bc_preview": {
        "th": "ตัวอย่างด้านบนคือสิ่งที่ผู้รับจะเห็นค่ะ\nกลุ่มเป้าหมาย: {audience}\nผู้รับ: {counts}",
        "en": "Above is what recipients will see.\nAudience: {audience}\nRecipients: {counts}",
    },
    "bc_send_now": {"th": "ส่งทันที", "en": "Send now"},
    "bc_schedule": {"th": "ตั้งเวลาส่ง", "en": "Schedule"},
    "bc_ask_time": {
        "th": "พิมพ์วันและเวลาที่จะส่ง เช่น 5 ธ.ค. 2569 09:00 หรือ พรุ่งนี้ 08:30",
        "en": "Type when to send it, e.g. 5 Dec 2026 09:00 or tomorrow 08:30",
    },
    "bc_time_bad": {
        "th": "อ่านวันเวลาไม่ได้ค่ะ ตัวอย่าง: 5 ธ.ค. 2569 09:00, 5/12/2569 9.00 น., 2026-12-05 09:00, พรุ่งนี้ 08:30",
        "en": "That is not a date and time I can read. Examples: 5 Dec 2026 09:00, 5/12/2026 9.00, 2026-12-05 09:00, "
        "tomorrow 08:30",
    },
    "bc_time_needs_time": {
        "th": "กรุณาระบุเวลาด้วยค่ะ เช่น 5 ธ.ค. 2569 09:00 หรือ 5/12/2569 9.00 น.",
        "en": "Please add the time too, e.g. 5 Dec 2026 09:00 or 5/12/2026 9.00.",
    },
    "bc_time_past": {"th": "เวลานั้นผ่านไปแล้วค่ะ กรุณาระบุเวลาในอนาคต", "en": "That time has passed; give a future time."},
    "bc_queued": {
        "th": "กำลังส่งประกาศหมายเลข {id} ถึงผู้รับ {total} ราย จะแจ้งผลเมื่อส่งครบค่ะ",
        "en": "Sending announcement {id} to {total} recipients; you will get the report when it is done.",
    },
    "bc_scheduled": {
        "th": "ตั้งเวลาส่งประกาศหมายเลข {id} แล้ว: {when}",
        "en": "Announcement {id} is scheduled for {when}.",
    },
    "bc_cancel_scheduled": {"th": "ยกเลิกประกาศนี้", "en": "Cancel it"},
    "bc_cancelled": {
        "th": "ยกเลิกประกาศหมายเลข {id} แล้วค่ะ (ที่ส่งไปแล้วยังคงอยู่)",
        "en": "Announcement {id} is cancelled (what was already sent stays sent).",
    },
    "bc_not_cancellable": {
        "th": "ประกาศหมายเลข {id} ยกเลิกไม่ได้แล้วค่ะ",
        "en": "Announcement {id} can no longer be cancelled.",
    },
    "bc_not_found": {"th": "ไม่พบประกาศหมายเลข {id}", "en": "No announcement {id}."},
    "bc_empty_audience": {
        "th": "ไม่มีผู้รับในกลุ่มเป้าหมายนี้ค่ะ ไม่มีการส่ง",
        "en": "Nobody is in that audience: nothing was sent.",
    },
    "bc_bad_audience": {"th": "กลุ่มเป้าหมายไม่ถูกต้อง: {value}", "en": "Not a valid audience: {value}"},
    "audience_unknown_word": {
        "th": "ไม่พบกลุ่มเป้าหมาย “{value}” ค่ะ พิมพ์ได้เช่น ทุกคน, ครู, ผู้บริหาร, บุคลากร, ชื่อหรือรหัสโรงเรียน, ชื่อกลุ่ม หรือแท็ก",
        "en": "No audience “{value}”: type e.g. everyone, teachers, directors, personnel, a school's name or code, "
        "a group's name or a tag.",
    },
    # More words people type for an audience (handlers/office/audience_words.py), besides the buttons' labels.
    "audience_word_all": {"th": "ทั้งหมด", "en": "all people"},
    "audience_word_teachers": {"th": "คุณครู", "en": "teacher"},
    "audience_word_directors": {"th": "ผู้อำนวยการ", "en": "director"},
    "audience_word_personnel": {"th": "บุคลากร", "en": "personnel"},
    "audience_word_line": {"th": "ไลน์", "en": "LINE"},
    "audience_word_telegram": {"th": "เทเลแกรม", "en": "Telegram"},
    "bc_report": {
        "th": "ผลการส่งประกาศหมายเลข {id}\n"
        "ส่งสำเร็จ {sent} | ไม่สำเร็จ {failed} | ถูกบล็อก {blocked} | ยกเลิก {cancelled}\n{per_channel}{note}",
        "en": "Report of announcement {id}\n"
        "Sent {sent} | failed {failed} | blocked {blocked} | cancelled {cancelled}\n{per_channel}{note}",
    },
    "bc_missed": {
        "th": "ประกาศหมายเลข {id} ไม่ได้ส่ง เพราะระบบหยุดทำงานเกินเวลาที่กำหนด (ควรส่ง {when}) กรุณาส่งใหม่หากยังต้องการ",
        "en": "Announcement {id} was not sent: the service was down past its time ({when}). "
        "Send it again if still needed.",
    },
    "bc_details": {"th": "รายละเอียด", "en": "Details"},
    "bc_problems": {"th": "ผู้รับที่ส่งไม่สำเร็จ ({n})", "en": "Recipients not reached ({n})"},
    "bc_no_problems": {"th": "ส่งถึงผู้รับทุกรายค่ะ", "en": "Every recipient was reached."},
    "bc_not_reached": {
        "th": "ผู้รับที่ยังไม่ได้รับ {n} ราย (รายการที่ {first}–{last})",
        "en": "{n} recipients not reached yet (lines {first}–{last})",
    },
    "bc_not_reached_line": {
        "th": "{i}. {name}{school} · {platform} — {state}",
        "en": "{i}. {name}{school} · {platform} — {state}",
    },
    "bc_more_lines": {"th": "ดูรายการถัดไป", "en": "Next lines"},
    "bc_sheet_caption": {
        "th": "รายชื่อผู้รับทั้งหมดของประกาศหมายเลข {id} (Excel)",
        "en": "Every recipient of announcement {id} (Excel)",
    },
    "bc_state_sent": {"th": "ส่งแล้ว", "en": "sent"},
    "bc_state_failed": {"th": "ส่งไม่สำเร็จ", "en": "failed"},
    "bc_state_blocked": {"th": "ถูกบล็อก", "en": "blocked"},
    "bc_state_pending": {"th": "รอส่ง", "en": "waiting"},
    "bc_state_cancelled": {"th": "ยกเลิก", "en": "cancelled"},
    "bc_erased_person": {"th": "(ลบข้อมูลตามคำขอแล้ว)", "en": "(erased on request)"},
    "bc_unnamed": {"th": "ผู้รับ …{id}", "en": "recipient …{id}"},
    "bc_sheet_title": {"th": "ประกาศ {id}", "en": "Announcement {id}"},
    "bc_col_name": {"th": "ชื่อ", "en": "Name"},
    "bc_col_school": {"th": "โรงเรียน", "en": "School"},
    "bc_col_platform": {"th": "ช่องทาง", "en": "Platform"},
    "bc_col_state": {"th": "ผลการส่ง", "en": "Outcome"},
    "bc_col_sent_at": {"th": "เวลาที่ส่งถึง", "en": "Sent at"},
    "bc_col_error": {"th": "สาเหตุ", "en": "Reason"},
    "bc_late_note": {
        "th": "ส่งช้ากว่ากำหนด {minutes} นาที เพราะระบบหยุดทำงานในเวลานั้น",
        "en": "sent {minutes} min late: the service was down at the time",
    },
    "platform_line": {"th": "LINE", "en": "LINE"},
    "platform_telegram": {"th": "Telegram", "en": "Telegram"},
    "platform_web": {"th": "เว็บทดลอง", "en": "web sandbox"},
    "bc_list": {"th": "ประกาศล่าสุด", "en": "Recent announcements"},
    "bc_none": {"th": "ยังไม่มีประกาศค่ะ", "en": "No announcements yet."},
    "bc_people": {"th": "{n} คน", "en": "{n} people"},
    "bc_groups_n": {"th": "{n} กลุ่ม", "en": "{n} groups"},
    "file_empty": {"th": "ไฟล์ว่างเปล่าค่ะ", "en": "The file is empty."},
    "file_unreachable": {
        "th": "ขออภัยค่ะ ดึงไฟล์นี้จากแชตไม่สำเร็จ กรุณาส่งใหม่อีกครั้ง",
        "en": "Sorry, the file could not be fetched from the chat. Please send it again.",
    },
    "bc_content_kinds": {
        "th": "ประกาศส่งได้เป็นข้อความ รูป (JPEG/PNG) หรือเอกสาร (PDF/Office) ค่ะ",
        "en": "An announcement can be text, a picture (JPEG/PNG) or a document (PDF/Office).",
    },
    "bc_ask_caption": {
        "th": "ได้รับไฟล์แล้วค่ะ พิมพ์ข้อความประกอบได้เลย หรือกด “ไม่มีข้อความ”",
        "en": "File received. Type the text to go with it, or tap “No text”.",
    },
    "bc_no_caption": {"th": "ไม่มีข้อความ", "en": "No text"},
    "file_too_large": {"th": "ไฟล์ใหญ่เกิน {limit_mb} MB ค่ะ", "en": "The file is larger than {limit_mb} MB."},
    "file_wrong_type": {
        "th": "ไฟล์ {name} ไม่ใช่รูป JPEG/PNG หรือเอกสาร PDF/Office ค่ะ",
        "en": "{name} is not a JPEG/PNG picture or a PDF/Office document.",
    },
    # The sandbox page's 📎 button (bot/sandbox.py upload): what a refused upload says in the chat.
    "file_missing": {
        "th": "ไม่พบไฟล์ที่แนบมาค่ะ กรุณาเลือกรูปหรือไฟล์อีกครั้ง",
        "en": "No file came with the upload. Please choose the picture or file again.",
    },
    "file_private_only": {
        "th": "ส่งรูปหรือไฟล์ถึงบอตได้ในแชตส่วนตัวเท่านั้นค่ะ ในกลุ่มบอตจะไม่รับไฟล์",
        "en": "Pictures and files can be sent to the bot in a private chat only; in a group it does not take files.",
    },
    "file_not_stored": {
        "th": "ขออภัยค่ะ บันทึกไฟล์ไม่สำเร็จ กรุณาส่งใหม่อีกครั้ง",
        "en": "Sorry, the file could not be saved. Please send it again.",
    },
    "url_not_https": {"th": "ลิงก์รูปต้องขึ้นต้นด้วย https:// ค่ะ", "en": "A picture link must start with https://"},
    "url_not_image": {
        "th": "ลิงก์รูปต้องลงท้ายด้วย .jpg .jpeg หรือ .png ค่ะ",
        "en": "A picture link must end in .jpg, .jpeg or .png",
    },
    "cmd_broadcast": {"th": "ส่งประกาศ (เจ้าหน้าที่)", "en": "Send an announcement (staff)"},
}
