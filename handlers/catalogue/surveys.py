"""The catalogue's survey entries: invitations, the questions' hints, review, staff commands, reports."""

from __future__ import annotations

from typing import Final

from handlers.catalogue.broadcast import CATALOGUE as BROADCAST

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    # --- invitation, reminders, group posts ---------------------------------------------------------
    "sv_invitation": {
        "th": "📋 แบบสอบถาม: {title}",
        "en": "📋 Survey: {title}",
    },
    "sv_invitation_size": {
        "th": "มี {n} ข้อ ใช้เวลาประมาณ {minutes} นาที",
        "en": "{n} questions, about {minutes} min.",
    },
    "sv_closes": {"th": "ปิดรับคำตอบ {when}", "en": "Closes {when}."},
    "sv_no_closing": {"th": "ไม่มีกำหนดปิดรับ", "en": "No closing date."},
    "sv_anonymous_note": {
        "th": "🔒 แบบสอบถามนี้ไม่ระบุตัวตน: รายงานไม่แสดงว่าใครตอบอะไร และส่งแล้วแก้ไขไม่ได้",
        "en": "🔒 Anonymous: reports never show who answered what, and answers cannot be changed once sent.",
    },
    "sv_named_note": {
        "th": "ตอบครบแล้วยังแก้ไขคำตอบได้จนกว่าจะปิดรับ",
        "en": "After answering you can still change your answers until the survey closes.",
    },
    "sv_named_no_changes": {
        "th": "เมื่อตอบครบแล้วจะแก้ไขคำตอบไม่ได้ (ย้อนกลับแก้ไขได้ระหว่างตอบ)",
        "en": "Answers cannot be changed once all are given (you can go back while answering).",
    },
    "sv_invitation_how": {
        "th": "แตะ “เริ่มตอบแบบสอบถาม” หรือพิมพ์ แบบสอบถาม",
        "en": "Tap “Start the survey”, or type /surveys.",
    },
    "sv_reminder": {
        "th": "⏰ ขอเชิญตอบแบบสอบถาม “{title}” ค่ะ ท่านยังตอบไม่ครบ",
        "en": "⏰ A reminder: you have not finished the survey “{title}” yet.",
    },
    "sv_group_post": {
        "th": "📋 ขอเชิญทุกท่านตอบแบบสอบถาม: {title}",
        "en": "📋 Everyone is invited to answer the survey: {title}",
    },
    "sv_group_post_line": {
        "th": "แตะ “ตอบในแชตส่วนตัว” คำถามจะส่งถึงท่านทางแชตส่วนตัวกับบอต (ต้องเพิ่มบอตเป็นเพื่อนก่อน) "
        "หรือพิมพ์ แบบสอบถาม ในแชตส่วนตัวกับบอต คำตอบจะไม่แสดงในกลุ่ม",
        "en": "Tap “Answer privately”: the questions come to your private chat with the bot (add it as a friend "
        "first), or type /surveys there. Answers are never shown in the group.",
    },
    "sv_group_post_telegram": {
        "th": "เปิดลิงก์นี้เพื่อตอบในแชตส่วนตัวกับบอต คำตอบจะไม่แสดงในกลุ่ม:",
        "en": "Open this link to answer in a private chat with the bot; answers are never shown in the group:",
    },
    "sv_btn_start": {"th": "เริ่มตอบแบบสอบถาม", "en": "Start the survey"},
    "sv_btn_start_private": {"th": "ตอบในแชตส่วนตัว", "en": "Answer privately"},
    # --- the questions --------------------------------------------------------------------------------
    "sv_starting": {
        "th": "เริ่มแบบสอบถาม “{title}” ({n} ข้อ)",
        "en": "Starting “{title}” ({n} questions).",
    },
    "sv_resuming": {
        "th": "ทำต่อจากข้อที่ค้างไว้ใน “{title}” ค่ะ",
        "en": "Carrying on with “{title}” where you left off.",
    },
    "sv_progress": {"th": "ข้อ {n}/{total}", "en": "Question {n}/{total}"},
    "sv_progress_change": {"th": "แก้ไขข้อ {n}/{total}", "en": "Changing question {n}/{total}"},
    "sv_level_5": {"th": "มากที่สุด", "en": "Very high"},
    "sv_level_4": {"th": "มาก", "en": "High"},
    "sv_level_3": {"th": "ปานกลาง", "en": "Moderate"},
    "sv_level_2": {"th": "น้อย", "en": "Low"},
    "sv_level_1": {"th": "น้อยที่สุด", "en": "Very low"},
    "sv_hint_likert": {
        "th": "แตะปุ่ม หรือพิมพ์ตัวเลข 1–5 (5 = มากที่สุด, 1 = น้อยที่สุด)",
        "en": "Tap a button, or type a number 1–5 (5 = very high, 1 = very low).",
    },
    "sv_hint_choice": {
        "th": "แตะปุ่ม หรือพิมพ์หมายเลขตัวเลือก",
        "en": "Tap a button, or type the option's number.",
    },
    "sv_hint_multiple": {
        "th": "เลือกได้หลายข้อ: แตะเพื่อเลือกหรือยกเลิก แล้วแตะ “ถัดไป” หรือพิมพ์หมายเลขคั่นด้วยจุลภาค เช่น 1,3 (เลือกแล้ว {n} ข้อ)",
        "en": "Several allowed: tap to tick or untick, then “Next”; or type the numbers, e.g. 1,3 ({n} ticked).",
    },
    "sv_hint_text": {
        "th": "พิมพ์คำตอบได้เลย (ไม่เกิน {limit} ตัวอักษร)",
        "en": "Type your answer (at most {limit} characters).",
    },
    "sv_hint_text_skip": {"th": "ไม่ต้องการตอบ พิมพ์ “ข้าม”", "en": "Nothing to say? Type “skip”."},
    "sv_hint_text_back": {
        "th": "พิมพ์ “ย้อนกลับ” เพื่อกลับไปข้อก่อนหน้า",
        "en": "Type “back” for the previous question.",
    },
    "sv_current_answer": {"th": "คำตอบเดิม: {answer}", "en": "Your answer so far: {answer}"},
    "sv_not_answered": {"th": "(ไม่ได้ตอบ)", "en": "(not answered)"},
    "sv_btn_back": {"th": "ย้อนกลับ", "en": "Back"},
    "sv_word_back": {"th": "กลับ", "en": "previous"},
    "sv_btn_skip": {"th": "ข้าม", "en": "Skip"},
    "sv_btn_next": {"th": "ถัดไป", "en": "Next"},
    "sv_btn_keep": {"th": "ไม่แก้ไข", "en": "Keep it"},
    "sv_hint_likert_again": {
        "th": "ข้อนี้ตอบเป็นระดับค่ะ กรุณาแตะปุ่ม หรือพิมพ์ตัวเลข 1–5",
        "en": "This question takes a level: tap a button, or type a number 1–5.",
    },
    "sv_hint_choice_again": {
        "th": "กรุณาแตะปุ่ม หรือพิมพ์หมายเลขตัวเลือก 1–{n} ค่ะ",
        "en": "Please tap a button, or type an option's number, 1–{n}.",
    },
    "sv_hint_multiple_again": {
        "th": "กรุณาพิมพ์หมายเลขตัวเลือก 1–{n} คั่นด้วยจุลภาค เช่น 1,3 หรือแตะปุ่มค่ะ",
        "en": "Please type option numbers 1–{n} separated by commas, e.g. 1,3, or tap the buttons.",
    },
    "sv_hint_media": {
        "th": "ข้อนี้ตอบด้วยข้อความหรือปุ่มค่ะ",
        "en": "This question takes typed text or a button.",
    },
    "sv_hint_confirm": {
        "th": "กรุณาแตะ “ส่งคำตอบ” หรือ “ย้อนกลับ” ค่ะ",
        "en": "Please tap “Send my answers” or “Back”.",
    },
    "sv_text_too_long": {
        "th": "คำตอบยาวเกินไปค่ะ ข้อนี้ตอบได้ไม่เกิน {limit} ตัวอักษร (พิมพ์มา {length}) กรุณาตอบให้สั้นลง",
        "en": "That answer is too long: at most {limit} characters here (you sent {length}). Please shorten it.",
    },
    "sv_required": {"th": "ข้อนี้จำเป็นต้องตอบค่ะ", "en": "This question needs an answer."},
    "sv_pick_one": {"th": "กรุณาเลือกอย่างน้อย 1 ข้อค่ะ", "en": "Please tick at least one option."},
    "sv_stale": {
        "th": "ปุ่มนี้เป็นของคำถามก่อนหน้าหรือแบบสอบถามอื่นค่ะ ไม่มีการเปลี่ยนแปลงคำตอบ",
        "en": "That button belongs to an earlier question or another survey: nothing was changed.",
    },
    "sv_confirm_anonymous": {
        "th": "ตอบครบ {n} ข้อแล้วค่ะ แบบสอบถามนี้ไม่ระบุตัวตน เมื่อส่งแล้วจะแก้ไขไม่ได้ ส่งคำตอบเลยไหมคะ",
        "en": "All {n} questions answered. This survey is anonymous: once sent, answers cannot be changed. Send them?",
    },
    "sv_btn_submit": {"th": "ส่งคำตอบ", "en": "Send my answers"},
    "sv_thanks": {
        "th": "ขอบคุณที่ตอบแบบสอบถามค่ะ 🙏",
        "en": "Thank you for answering! 🙏",
    },
    "sv_thanks_anonymous": {
        "th": "ส่งคำตอบแล้ว ขอบคุณค่ะ 🙏 คำตอบของท่านไม่ถูกเชื่อมโยงกับตัวท่าน",
        "en": "Sent, thank you! 🙏 Your answers are not linked to you.",
    },
    "sv_thanks_changes": {
        "th": "ขอบคุณที่ตอบแบบสอบถามค่ะ 🙏 ตรวจทานหรือแก้ไขคำตอบได้ถึง {until}",
        "en": "Thank you for answering! 🙏 You can review or change your answers until {until}.",
    },
    "sv_thanks_changes_open": {
        "th": "ขอบคุณที่ตอบแบบสอบถามค่ะ 🙏 ตรวจทานหรือแก้ไขคำตอบได้จนกว่าจะปิดรับ",
        "en": "Thank you for answering! 🙏 You can review or change your answers until the survey closes.",
    },
    "sv_btn_review": {"th": "ตรวจทาน/แก้ไขคำตอบ", "en": "Review or change"},
    "sv_already_done": {
        "th": "ท่านตอบแบบสอบถาม “{title}” แล้วค่ะ ขอบคุณค่ะ",
        "en": "You have already answered “{title}”. Thank you!",
    },
    "sv_closed": {
        "th": "ขออภัยค่ะ แบบสอบถาม “{title}” ปิดรับคำตอบแล้ว ขอบคุณที่สนใจค่ะ",
        "en": "Sorry, the survey “{title}” has closed. Thank you for your interest.",
    },
    "sv_not_invited": {
        "th": "แบบสอบถามนี้ไม่ได้ส่งถึงท่านค่ะ พิมพ์ แบบสอบถาม เพื่อดูแบบสอบถามของท่าน",
        "en": "This survey was not sent to you. Type /surveys to see yours.",
    },
    # --- review and change -----------------------------------------------------------------------------
    "sv_review": {"th": "คำตอบของท่าน: {title}", "en": "Your answers: {title}"},
    "sv_review_how": {
        "th": "แตะหมายเลขข้อ (หรือพิมพ์ตัวเลข) เพื่อแก้ไข หรือแตะ “เสร็จสิ้น”",
        "en": "Tap a question's number (or type it) to change it, or tap “Done”.",
    },
    "sv_btn_item": {"th": "ข้อ {n}", "en": "Q{n}"},
    "sv_btn_review_done": {"th": "เสร็จสิ้น", "en": "Done"},
    "sv_hint_review": {
        "th": "กรุณาพิมพ์หมายเลขข้อที่ต้องการแก้ไข หรือ “เสร็จสิ้น” ค่ะ",
        "en": "Please type the number of the question to change, or “Done”.",
    },
    "sv_changed": {"th": "แก้ไขคำตอบแล้วค่ะ", "en": "Answer changed."},
    "sv_review_done": {
        "th": "เรียบร้อยค่ะ คำตอบของท่านบันทึกไว้แล้ว",
        "en": "Done: your answers are saved.",
    },
    "sv_changes_closed": {
        "th": "หมดเวลาแก้ไขคำตอบแล้วค่ะ คำตอบที่ส่งไว้ยังนับตามเดิม",
        "en": "Answers can no longer be changed; the ones you sent still count.",
    },
    # --- a person's list -------------------------------------------------------------------------------
    "sv_none_open": {
        "th": "ขณะนี้ไม่มีแบบสอบถามที่รอคำตอบจากท่านค่ะ",
        "en": "No survey is waiting for your answers right now.",
    },
    "sv_open_list": {
        "th": "แบบสอบถามที่เปิดอยู่ ({n}) เลือกเพื่อตอบหรือแก้ไขค่ะ",
        "en": "Open surveys ({n}): choose one to answer or change.",
    },
    "sv_btn_change_title": {"th": "แก้ไข: {title}", "en": "Change: {title}"},
    "sv_pick_hint": {
        "th": "พิมพ์ แบบสอบถาม เพื่อดูรายการแบบสอบถามอีกครั้งค่ะ",
        "en": "Type /surveys to see the list of surveys again.",
    },
    "sv_private_only": {
        "th": "คำสั่งแบบสอบถามใช้ในแชตส่วนตัวกับบอตค่ะ",
        "en": "Survey commands work in a private chat with the bot.",
    },
    # --- staff -----------------------------------------------------------------------------------------
    "sv_staff_usage": {
        "th": "คำสั่งแบบสอบถามสำหรับเจ้าหน้าที่:\n"
        "/survey list – รายการแบบสอบถามและรอบที่ส่ง\n"
        "/survey send KEY กลุ่มเป้าหมาย… [closes=2026-01-31] [remind=2d] [reminders=2] [changes=no]\n"
        "/survey results รอบที่ [by=school|role] [bands=0.80]\n"
        "/survey close รอบที่\n"
        "/surveys – แบบสอบถามของฉัน",
        "en": "Survey commands for staff:\n"
        "/survey list – surveys and campaigns\n"
        "/survey send KEY AUDIENCE… [closes=2026-01-31] [remind=2d] [reminders=2] [changes=no]\n"
        "/survey results CAMPAIGN [by=school|role] [bands=0.80]\n"
        "/survey close CAMPAIGN\n"
        "/surveys – my surveys",
    },
    "sv_send_usage": {
        "th": "วิธีใช้: /survey send KEY กลุ่มเป้าหมาย… [closes=วันเวลา] [remind=2d] [reminders=2] [changes=no]\n"
        "กลุ่มเป้าหมาย เช่น all, role:teacher, school:รหัสโรงเรียน, tag:ป้าย, group:เลขกลุ่ม",
        "en": "Usage: /survey send KEY AUDIENCE… [closes=WHEN] [remind=2d] [reminders=2] [changes=no]\n"
        "AUDIENCE: all, role:teacher, school:CODE, tag:TAG, group:ID",
    },
    "sv_results_usage": {
        "th": "วิธีใช้: /survey results รอบที่ [by=school|role] [bands=0.50|0.80]",
        "en": "Usage: /survey results CAMPAIGN [by=school|role] [bands=0.50|0.80]",
    },
    "sv_close_usage": {"th": "วิธีใช้: /survey close รอบที่", "en": "Usage: /survey close CAMPAIGN"},
    "sv_send_preview": {
        "th": "พร้อมส่งแบบสอบถาม “{title}” (ฉบับที่ {version}, {n} ข้อ)\n"
        "ถึง {people} คน (LINE {line}, Telegram {telegram}) และ {groups} กลุ่ม\n"
        "ปิดรับ: {closes}\nเตือนผู้ยังไม่ตอบ: {reminders} ครั้ง\nยืนยันการส่งไหมคะ",
        "en": "Ready to send “{title}” (version {version}, {n} questions)\n"
        "to {people} people (LINE {line}, Telegram {telegram}) and {groups} groups.\n"
        "Closes: {closes}\nReminders to non-respondents: {reminders}\nSend it?",
    },
    "sv_never": {"th": "ไม่กำหนด", "en": "never"},
    "sv_btn_send": {"th": "ยืนยันส่ง", "en": "Send"},
    "sv_send_cancelled": {"th": "ยกเลิกการส่งแล้วค่ะ", "en": "Not sent."},
    "sv_sent": {
        "th": "ส่งแบบสอบถามแล้วค่ะ รอบที่ {campaign}: เชิญ {people} คน และโพสต์ใน {groups} กลุ่ม\n"
        "ดูผล: /survey results {campaign}",
        "en": "Survey sent: campaign {campaign}, {people} people invited and {groups} groups.\n"
        "Results: /survey results {campaign}",
    },
    "sv_closed_now": {
        "th": "ปิดรับแบบสอบถาม “{title}” (รอบที่ {campaign}) แล้วค่ะ ตอบแล้ว {n} จาก {invited} คน\n"
        "ดูผล: /survey results {campaign}",
        "en": "The survey “{title}” (campaign {campaign}) is closed: {n} of {invited} answered.\n"
        "Results: /survey results {campaign}",
    },
    "sv_already_closed": {"th": "รอบที่ {campaign} ปิดไปแล้วค่ะ", "en": "Campaign {campaign} is closed already."},
    "sv_list_surveys": {"th": "แบบสอบถาม ({n})", "en": "Surveys ({n})"},
    "sv_list_campaigns": {"th": "รอบที่ส่งล่าสุด", "en": "Latest campaigns"},
    "sv_version": {"th": "ฉบับที่ {version}", "en": "version {version}"},
    "sv_questions": {"th": "ข้อ", "en": "questions"},
    "sv_status_open": {"th": "เปิดรับ", "en": "open"},
    "sv_status_closed": {"th": "ปิดแล้ว", "en": "closed"},
    # --- errors a person can put right (chat and CLI) ---------------------------------------------------
    "sv_unknown_survey": {
        "th": "ไม่พบแบบสอบถาม “{key}” (ดูรายการด้วย /survey list)",
        "en": "No survey “{key}” (see `survey list`).",
    },
    "sv_unknown_campaign": {"th": "ไม่พบรอบที่ {campaign}", "en": "No campaign {campaign}."},
    "sv_closes_in_past": {
        "th": "เวลาปิดรับต้องอยู่ในอนาคตค่ะ",
        "en": "The closing time must be in the future.",
    },
    "sv_changes_in_past": {
        "th": "เวลาสิ้นสุดการแก้ไขคำตอบต้องอยู่ในอนาคตค่ะ",
        "en": "The end of changes must be in the future.",
    },
    "sv_bad_reminders": {
        "th": "การเตือนต้องมีระยะห่างมากกว่า 0 และจำนวนครั้งไม่ติดลบค่ะ",
        "en": "Reminders need a positive interval and a count of zero or more.",
    },
    "sv_bad_moment": {
        "th": "อ่านวันเวลา “{value}” ไม่ออกค่ะ ตัวอย่าง: 31/1/2569, 31 ม.ค. 2569 16:30, 2026-01-31 หรือ 2026-01-31T16:30",
        "en": "Cannot read the time “{value}”. Examples: 31/1/2569, 31 Jan 2026 16:30, 2026-01-31 or 2026-01-31T16:30.",
    },
    "sv_bad_duration": {
        "th": "อ่านระยะเวลา “{value}” ไม่ออกค่ะ ตัวอย่าง: 2d (2 วัน), 12h (12 ชั่วโมง), 1d12h",
        "en": "Cannot read the interval “{value}”. Examples: 2d, 12h, 1d12h.",
    },
    "sv_audience_empty": {
        "th": "กลุ่มเป้าหมายนี้ไม่มีผู้รับเลยค่ะ",
        "en": "That audience reaches nobody.",
    },
    "sv_audience_bad_spec": {
        "th": "ไม่เข้าใจกลุ่มเป้าหมาย “{value}” (ใช้ all, role:…, tag:…, school:…, group:…, channel:…)",
        "en": "Unknown audience “{value}” (use all, role:…, tag:…, school:…, group:…, channel:…).",
    },
    "sv_audience_bad_role": {
        "th": "ไม่รู้จักตำแหน่ง “{value}” (teacher, director, personnel, other, staff, officer, admin)",
        "en": "Unknown role “{value}” (teacher, director, personnel, other, staff, officer, admin).",
    },
    "sv_audience_bad_channel": {
        "th": "ไม่รู้จักช่องทาง “{value}” (line หรือ telegram)",
        "en": "Unknown channel “{value}” (line or telegram).",
    },
    # The same refusal as an announcement's: one text, read by handlers/office/audience_words.py for both.
    "sv_audience_unknown_word": BROADCAST["audience_unknown_word"],
    "sv_audience_unknown_school": {"th": "ไม่พบโรงเรียน “{value}”", "en": "No school “{value}”."},
    "sv_audience_unknown_group": {
        "th": "ไม่พบกลุ่ม “{value}” ที่บอตอยู่",
        "en": "The bot is in no group “{value}”.",
    },
    "sv_audience_empty_spec": {"th": "ต้องระบุกลุ่มเป้าหมาย{value}", "en": "An audience is needed{value}."},
    "sv_results_by_anonymous": {
        "th": "แบบสอบถามไม่ระบุตัวตนไม่แยกผลตามโรงเรียนหรือตำแหน่งค่ะ (อาจทำให้ระบุตัวผู้ตอบได้)",
        "en": "An anonymous survey's results are not split by school or role (that could identify respondents).",
    },
    # --- reports (Thai tables: the English entries are for English readers of the CLI and chat) ----------
    "sv_report_title": {"th": "ผลการสำรวจ", "en": "Survey results"},
    "sv_report_ref": {
        "th": "แบบสอบถาม {key} ฉบับที่ {version} รอบที่ {campaign}",
        "en": "Survey {key} version {version}, campaign {campaign}",
    },
    "sv_report_rate": {
        "th": "ผู้ตอบ {n} คน จากผู้ได้รับเชิญ {invited} คน (ร้อยละ {rate})",
        "en": "{n} respondents of {invited} invited ({rate} %)",
    },
    "sv_report_respondents": {"th": "ผู้ตอบ {n} คน", "en": "{n} respondents"},
    "sv_report_bands": {"th": "เกณฑ์การแปลผล ({scheme})", "en": "Interpretation bands ({scheme})"},
    "sv_report_anonymous": {
        "th": "แบบสอบถามไม่ระบุตัวตน: ไม่มีข้อมูลเชื่อมโยงคำตอบกับผู้ตอบ",
        "en": "Anonymous survey: no answer is linked to a respondent.",
    },
    "sv_section_total": {"th": "รวม{section}", "en": "{section}: total"},
    "sv_overall": {"th": "ภาพรวม", "en": "Overall"},
    "sv_text_heading": {"th": "{text} ({n} คำตอบ)", "en": "{text} ({n} answers)"},
    "sv_chart_by": {"th": "ค่าเฉลี่ยภาพรวมแยกตาม{by}", "en": "overall mean by {by}"},
    "sv_answered_by": {"th": "ตอบ {n} คน", "en": "{n} answered"},
    "sv_by_school": {"th": "โรงเรียน", "en": "school"},
    "sv_by_role": {"th": "ตำแหน่ง", "en": "role"},
    "sv_group_unknown": {"th": "(ไม่ระบุ)", "en": "(not known)"},
    "sv_chart_item": {"th": "ข้อ {number}", "en": "Q{number}"},
    "sv_chart_mean_axis": {"th": "ค่าเฉลี่ย (เต็ม 5)", "en": "Mean (out of 5)"},
    "sv_chart_percent_axis": {"th": "ร้อยละ", "en": "Percent"},
    "sv_chat_results": {
        "th": "📊 ผลแบบสอบถาม “{title}” (รอบที่ {campaign})",
        "en": "📊 Results of “{title}” (campaign {campaign})",
    },
    "sv_chat_rate": {
        "th": "ตอบแล้ว {n} จาก {invited} คน (ร้อยละ {rate})",
        "en": "{n} of {invited} answered ({rate} %)",
    },
    "sv_chat_respondents": {"th": "ตอบแล้ว {n} คน", "en": "{n} answered"},
    "sv_chat_overall": {
        "th": "ภาพรวม: x̄ = {mean}, S.D. = {sd} ระดับ{level}",
        "en": "Overall: mean {mean}, S.D. {sd}: {level}",
    },
    "sv_chat_best": {
        "th": "สูงสุด: ข้อ {number} {text} ({mean})",
        "en": "Highest: Q{number} {text} ({mean})",
    },
    "sv_chat_worst": {
        "th": "ต่ำสุด: ข้อ {number} {text} ({mean})",
        "en": "Lowest: Q{number} {text} ({mean})",
    },
    "sv_chat_choice": {
        "th": "{text}: ตอบ “{option}” มากที่สุด (ร้อยละ {percent})",
        "en": "{text}: most chose “{option}” ({percent} %)",
    },
    "sv_chat_texts": {"th": "ข้อเสนอแนะ {n} รายการ", "en": "{n} typed answers"},
    "sv_chat_files": {
        "th": "ตารางฉบับเต็ม (xlsx): phuankru survey results {campaign} --format xlsx",
        "en": "Full table (xlsx): phuankru survey results {campaign} --format xlsx",
    },
}
