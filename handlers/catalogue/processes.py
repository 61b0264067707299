"""The catalogue's process entries: step reminders, /processes, the step buttons, and the refusals of bad input
(templates, holidays, dates) that the chat and the CLI share. Merged into `handlers.texts`."""

from __future__ import annotations

from typing import Final

CATALOGUE: Final[dict[str, dict[str, str]]] = {
    # --- buttons ---
    "btn_proc_done": {"th": "เสร็จแล้ว", "en": "Done"},
    "btn_proc_snooze": {"th": "เลื่อน", "en": "Snooze"},
    "btn_proc_skip": {"th": "ข้าม", "en": "Skip"},
    "btn_proc_evidence": {"th": "แนบหลักฐาน", "en": "Add evidence"},
    "btn_proc_survey": {"th": "เปิดแบบสอบถาม", "en": "Open the survey"},
    "btn_proc_survey_report": {"th": "แนบรายงานผลแบบสอบถาม", "en": "Attach the survey report"},
    "btn_proc_snooze_days": {"th": "{n} วันทำการ", "en": "{n} working day(s)"},
    "btn_proc_snooze_date": {"th": "เลือกวันที่", "en": "Choose a date"},
    "btn_proc_evidence_end": {"th": "แนบครบแล้ว", "en": "No more evidence"},
    "btn_proc_set_end": {"th": "กำหนดวันสิ้นสุดเอง", "en": "Set the end date"},
    "btn_rem_item": {"th": "รายการที่ {i}", "en": "Item {i}"},
    # --- a step and its status ---
    "proc_status_upcoming": {"th": "อีก {n} วันทำการ", "en": "in {n} working day(s)"},
    "proc_status_due": {"th": "ถึงกำหนดวันนี้", "en": "due today"},
    "proc_status_overdue": {"th": "⚠️ เลยกำหนด {n} วันทำการ", "en": "⚠️ {n} working day(s) late"},
    "proc_status_done": {"th": "เสร็จแล้ว", "en": "done"},
    "proc_status_skipped": {"th": "ข้ามแล้ว", "en": "skipped"},
    "proc_step_line": {"th": "ขั้นที่ {n}/{total}: {title}", "en": "Step {n}/{total}: {title}"},
    "proc_due_line": {"th": "กำหนดเสร็จ {due} ({status})", "en": "Due {due} ({status})"},
    "proc_due_only": {"th": "กำหนดเสร็จ {due}", "en": "Due {due}"},
    "proc_next_line": {"th": "ถัดไป: ขั้นที่ {n} {title}\n   กำหนด {due}", "en": "Next: step {n} {title}\n   due {due}"},
    "proc_late_count": {"th": "   ขั้นตอนที่เลยกำหนด {n} ขั้น", "en": "   {n} steps are late"},
    "proc_done_on": {"th": "เสร็จเมื่อ {when}", "en": "done on {when}"},
    "proc_skipped_because": {"th": "ข้าม: {reason}", "en": "skipped: {reason}"},
    "proc_current": {"th": "ขั้นตอนปัจจุบัน", "en": "Current step"},
    "proc_nobody": {"th": "(ไม่มีผู้รับผิดชอบ)", "en": "(no officer)"},
    "proc_survey_hint": {
        "th": "ขั้นนี้ใช้แบบสอบถาม “{survey}” แตะ “เปิดแบบสอบถาม” เพื่อเปิดให้กลุ่มเป้าหมายตอบ",
        "en": "This step uses the survey “{survey}”: tap “Open the survey” to open it for an audience.",
    },
    "proc_survey_report_hint": {
        "th": "ขั้นนี้แนบรายงานผลแบบสอบถาม “{survey}” (แตะ “แนบรายงานผลแบบสอบถาม” หรือแนบให้เองเมื่อกด “เสร็จแล้ว”)"
        " รายงานกระบวนงาน: phuankru process report {id} --format xlsx",
        "en": "This step attaches the report of the survey “{survey}” (tap “Attach the survey report”, or it is"
        " attached when you tap “Done”). This process's report: phuankru process report {id} --format xlsx",
    },
    "proc_sv_who": {
        "th": "เปิดแบบสอบถาม “{survey}” ให้ใครตอบคะ\n"
        "แตะเลือกกลุ่ม หรือพิมพ์กลุ่มเป้าหมายเอง เช่น role:teacher school:ชื่อโรงเรียน tag:ป้าย",
        "en": "Who should answer the survey “{survey}”?\n"
        "Tap a group, or type the audience, e.g. role:teacher school:NAME tag:TAG",
    },
    "proc_sv_type_audience": {
        "th": "พิมพ์กลุ่มเป้าหมาย เช่น all, role:teacher, school:ชื่อโรงเรียน, tag:ป้าย หรือแตะยกเลิก",
        "en": "Type the audience, e.g. all, role:teacher, school:NAME, tag:TAG, or tap Cancel.",
    },
    "proc_sv_preview": {
        "th": "พร้อมเปิดแบบสอบถาม “{title}” ({n} ข้อ)\n"
        "ถึง {people} คน (LINE {line}, Telegram {telegram}) และ {groups} กลุ่ม\nปิดรับ: {closes}\nยืนยันไหมคะ",
        "en": "Ready to open “{title}” ({n} questions)\n"
        "for {people} people (LINE {line}, Telegram {telegram}) and {groups} groups.\nCloses: {closes}\nOpen it?",
    },
    "proc_sv_opened": {
        "th": "เปิดแบบสอบถามแล้วค่ะ รอบที่ {campaign}: เชิญ {people} คน และ {groups} กลุ่ม "
        "(บันทึกในขั้นที่ {n} แล้ว ขั้นสรุปผลจะแนบรายงานของรอบนี้)\nดูผล: /survey results {campaign}",
        "en": "Survey opened: campaign {campaign}, {people} people and {groups} groups invited "
        "(noted in step {n}; the closing step attaches this campaign's report).\nResults: /survey results {campaign}",
    },
    "proc_sv_already": {
        "th": "แบบสอบถามของกระบวนงานนี้เปิดไปแล้วค่ะ รอบที่ {campaign} (เชิญ {invited} คน)\nดูผล: /survey results {campaign}",
        "en": "This process's survey is already open: campaign {campaign} ({invited} invited).\n"
        "Results: /survey results {campaign}",
    },
    "proc_sv_none": {
        "th": "ยังไม่ได้เปิดแบบสอบถาม “{survey}” จากกระบวนงานนี้ค่ะ เปิดได้ที่ขั้นที่ใช้แบบสอบถาม (ปุ่ม “เปิดแบบสอบถาม”)",
        "en": "The survey “{survey}” was not opened from this process yet: open it at its step (“Open the survey”).",
    },
    "proc_sv_attached": {
        "th": "แนบรายงานผลแบบสอบถาม รอบที่ {campaign} เป็นหลักฐานของขั้นที่ {n} แล้วค่ะ (สรุป แผนภูมิ และไฟล์ Excel)",
        "en": "The report of campaign {campaign} is attached to step {n} (summary, chart and Excel file).",
    },
    "proc_forms": {"th": "แบบฟอร์มที่ใช้:\n{forms}", "en": "Forms used:\n{forms}"},
    # --- starting ---
    "proc_assigned": {
        "th": "ท่านได้รับมอบหมายเป็นผู้รับผิดชอบ {name}",
        "en": "You are the officer responsible for {name}.",
    },
    "proc_period": {"th": "ช่วงเวลา: {start} – {end}", "en": "Period: {start} – {end}"},
    "proc_no_end": {"th": "ตามระยะเวลาของแต่ละขั้นตอน", "en": "by each step's duration"},
    "proc_plan_line": {"th": "{n}. {title} — กำหนด {due}", "en": "{n}. {title} — due {due}"},
    "proc_pick_template": {
        "th": "เลือกกระบวนงานที่จะเริ่ม (แตะปุ่มหรือพิมพ์หมายเลข)",
        "en": "Choose the process to start (tap, or type its number).",
    },
    "proc_preview": {
        "th": "เริ่ม {name}\nผู้รับผิดชอบ: {officer}\nตรวจสอบกำหนดการ แล้วแตะ “ยืนยัน”",
        "en": "Start {name}\nOfficer: {officer}\nCheck the schedule, then tap Confirm.",
    },
    "proc_ask_end": {
        "th": "พิมพ์วันสิ้นสุดของกระบวนงาน เช่น 30/9/2569",
        "en": "Type the process's last day, e.g. 30/9/2026.",
    },
    "proc_started": {"th": "เริ่มกระบวนงาน #{id} แล้วค่ะ", "en": "Process #{id} has started."},
    "proc_started_for": {
        "th": "เริ่มกระบวนงาน #{id} แล้ว และแจ้ง {officer} แล้วค่ะ",
        "en": "Process #{id} has started and {officer} has been told.",
    },
    "proc_start_usage": {
        "th": "วิธีใช้: /process_start หรือ /process_start แม่แบบ [ผู้รับผิดชอบ]\n"
        "ผู้รับผิดชอบ (สำหรับผู้ดูแลระบบ) = line:USERID, telegram:USERID หรือเลขที่ผู้ติดต่อ",
        "en": "Usage: /process_start, or /process_start TEMPLATE [OFFICER]\n"
        "OFFICER (admins only) = line:USERID, telegram:USERID or a contact id",
    },
    "proc_start_left": {
        "th": "ยังไม่ได้เริ่มกระบวนงานค่ะ แตะ “ยืนยัน” หรือพิมพ์ /process_start เพื่อเริ่มใหม่",
        "en": "Nothing was started. Tap Confirm, or type /process_start to begin again.",
    },
    # --- lists and pages ---
    "proc_list_mine": {"th": "กระบวนงานของท่านที่กำลังดำเนินการ ({n})", "en": "Your processes under way ({n})"},
    "proc_list_all": {"th": "กระบวนงานที่กำลังดำเนินการทั้งหมด ({n})", "en": "All processes under way ({n})"},
    "proc_list_more": {
        "th": "…และอีก {n} กระบวนงาน (ดูทั้งหมดด้วย phuankru process status)",
        "en": "…and {n} more (see phuankru process status)",
    },
    "proc_list_hint": {
        "th": "แตะเลขกระบวนงาน หรือพิมพ์ /process ตามด้วยเลข เพื่อดูรายละเอียดและบันทึกขั้นตอน",
        "en": "Tap a process number, or type /process and the number, to see it and record its steps.",
    },
    "proc_none": {
        "th": "ท่านยังไม่มีกระบวนงานที่กำลังดำเนินการค่ะ เริ่มได้ด้วย /process_start",
        "en": "You have no process under way. Start one with /process_start.",
    },
    "proc_none_admin": {
        "th": "ยังไม่มีกระบวนงานที่กำลังดำเนินการค่ะ เริ่มได้ด้วย /process_start",
        "en": "No process is under way. Start one with /process_start.",
    },
    "proc_page_usage": {
        "th": "วิธีใช้: /process เลขกระบวนงาน เช่น /process 12 (ดูเลขได้จาก /processes)",
        "en": "Usage: /process ID, e.g. /process 12 (see /processes for the numbers)",
    },
    "proc_unknown": {"th": "ไม่พบกระบวนงาน #{id} ค่ะ", "en": "There is no process #{id}."},
    "proc_not_yours": {
        "th": "ขออภัยค่ะ กระบวนงาน #{id} มีผู้รับผิดชอบท่านอื่น เฉพาะผู้รับผิดชอบหรือผู้ดูแลระบบเท่านั้นที่บันทึกได้",
        "en": "Sorry, process #{id} has another officer: only they or an administrator can record its steps.",
    },
    # --- the step buttons ---
    "proc_done_ok": {
        "th": "บันทึกแล้วค่ะ ✅ ขั้นที่ {n} {title} เสร็จแล้ว",
        "en": "Recorded ✅ Step {n} {title} is done.",
    },
    "proc_finished_ok": {
        "th": "🎉 {name} ครบทุกขั้นตอนแล้วค่ะ\nรายงานสรุปประเมินผลการดำเนินงาน: phuankru process report {id} --format xlsx",
        "en": "🎉 {name}: every step is finished.\nThe closing report: phuankru process report {id} --format xlsx",
    },
    "proc_next_period": {
        "th": "เริ่มรอบถัดไปให้แล้ว (#{id}) ตั้งแต่ {start}",
        "en": "The next period's run (#{id}) is set up, from {start}.",
    },
    "proc_ask_snooze": {
        "th": "เลื่อนขั้นที่ {n} (กำหนดเดิม {due}) ออกไปเท่าไรคะ",
        "en": "Snooze step {n} (due {due}) by how long?",
    },
    "proc_ask_date": {
        "th": "พิมพ์วันที่ใหม่ เช่น 15/2/2569 หรือ 15/2",
        "en": "Type the new date, e.g. 15/2/2026 or 15/2.",
    },
    "proc_date_bad": {
        "th": "อ่านวันที่ไม่ได้ค่ะ ตัวอย่างที่ใช้ได้: 15/2/2569, 15/2 หรือ 2026-02-15",
        "en": "That is not a date I can read. Examples: 15/2/2026, 15/2 or 2026-02-15.",
    },
    "proc_moved_to_working_day": {
        "th": "{wanted} เป็นวันหยุด จึงเลื่อนเป็น {due} ซึ่งเป็นวันทำการถัดไปค่ะ",
        "en": "{wanted} is not a working day, so it moves to the next one, {due}.",
    },
    "proc_snoozed": {
        "th": "เลื่อนขั้นที่ {n} เป็น {due} แล้วค่ะ จะเตือนอีกครั้งตามกำหนดใหม่",
        "en": "Step {n} now falls due on {due}; the reminders follow the new date.",
    },
    "proc_ask_reason": {
        "th": "ข้ามขั้นที่ {n} เพราะอะไรคะ พิมพ์เหตุผลสั้น ๆ (จะบันทึกไว้ในรายงาน)",
        "en": "Why skip step {n}? Type a short reason (it goes in the report).",
    },
    "proc_skipped_ok": {"th": "บันทึกการข้ามขั้นที่ {n} แล้วค่ะ", "en": "Step {n} is recorded as skipped."},
    "proc_ask_evidence": {
        "th": "ส่งหลักฐานของขั้นที่ {n} ได้เลยค่ะ: พิมพ์บันทึก หรือส่งรูปภาพ/เอกสาร",
        "en": "Send the evidence for step {n}: type a note, or send a photo or a document.",
    },
    "proc_evidence_saved": {
        "th": "บันทึกหลักฐานของขั้นที่ {n} แล้ว (รวม {count} ชิ้น) ส่งเพิ่มได้อีก หรือแตะปุ่มด้านล่าง",
        "en": "Evidence for step {n} recorded ({count} so far). Send more, or tap a button.",
    },
    "proc_evidence_end": {"th": "เรียบร้อยค่ะ", "en": "All set."},
    "proc_cancelled": {"th": "ยกเลิกแล้วค่ะ ไม่มีการเปลี่ยนแปลง", "en": "Cancelled: nothing was changed."},
    # --- reminders ---
    "rem_before": {
        "th": "🔔 เตือนล่วงหน้า: อีก {n} วันทำการถึงกำหนด",
        "en": "🔔 Coming up: due in {n} working day(s)",
    },
    "rem_due": {"th": "📌 ถึงกำหนดวันนี้", "en": "📌 Due today"},
    "rem_overdue": {
        "th": "⚠️ เลยกำหนดมาแล้ว {n} วันทำการ (เตือนครั้งที่ {k}/{limit})",
        "en": "⚠️ {n} working day(s) late (reminder {k} of {limit})",
    },
    "rem_overdue_last": {
        "th": "หากยังไม่บันทึกภายในวันทำการถัดไป ระบบจะแจ้งผู้ดูแลระบบ",
        "en": "If it is not recorded by the next working day, the administrators will be told.",
    },
    "rem_many": {
        "th": "🔔 งานที่ต้องติดตาม {n} รายการ (แตะรายการเพื่อบันทึก)",
        "en": "🔔 {n} steps need you (tap an item to record it)",
    },
    "rem_many_line": {
        "th": "{i}. {name}\n   ขั้นที่ {n} {title}\n   กำหนด {due} · {status}",
        "en": "{i}. {name}\n   step {n} {title}\n   due {due} · {status}",
    },
    "rem_escalation": {
        "th": "🚨 แจ้งผู้ดูแลระบบ: ขั้นตอนที่เลยกำหนดและเตือนครบแล้ว {n} รายการ",
        "en": "🚨 For the administrators: {n} step(s) still late after every reminder",
    },
    "rem_escalation_line": {
        "th": "{i}. {name}\n   ขั้นที่ {n} {title}\n   ผู้รับผิดชอบ {officer} · กำหนด {due} · {status}",
        "en": "{i}. {name}\n   step {n} {title}\n   officer {officer} · due {due} · {status}",
    },
    "rem_more": {"th": "…และอีก {n} รายการ ดูทั้งหมดด้วย /processes", "en": "…and {n} more: see /processes"},
    # --- refusals: processes ---
    "proc_unknown_template": {
        "th": "ไม่พบแม่แบบกระบวนงาน “{template}” ค่ะ ดูรายชื่อด้วย /process_start หรือ phuankru process list",
        "en": "There is no process template “{template}”; see /process_start or phuankru process list.",
    },
    "proc_no_contact": {
        "th": "ไม่พบผู้ติดต่อ “{who}” ค่ะ (ผู้ใช้ต้องเคยทักบอตก่อน)",
        "en": "No contact “{who}” (the person must have written to the bot first).",
    },
    "proc_not_officer": {
        "th": "“{who}” ยังไม่มีบทบาทผู้รับผิดชอบกระบวนงาน (officer) ให้บทบาทก่อนด้วย phuankru staff add ... --role officer",
        "en": "“{who}” does not have the officer role; grant it first with phuankru staff add ... --role officer.",
    },
    "proc_end_before_start": {
        "th": "วันสิ้นสุด ({end}) อยู่ก่อนวันเริ่ม ({start}) ไม่มีการเปลี่ยนแปลงใด ๆ",
        "en": "The end ({end}) is before the start ({start}); nothing was changed.",
    },
    "proc_due_before_start": {
        "th": "กำหนดของขั้นที่ {n} ({due}) อยู่ก่อนวันเริ่มกระบวนงาน ({start}) ไม่มีการเปลี่ยนแปลงใด ๆ",
        "en": "Step {n}'s due date ({due}) is before the process starts ({start}); nothing was changed.",
    },
    "proc_no_such_step": {
        "th": "ไม่มีขั้นที่ {n} ในกระบวนงานนี้ (มี {steps} ขั้น)",
        "en": "There is no step {n} in this process (it has {steps}).",
    },
    "proc_no_working_day": {
        "th": "ไม่มีวันทำการเลยระหว่าง {start} ถึง {end} ตรวจสอบวันเริ่ม วันสิ้นสุด และวันหยุด",
        "en": "There is no working day from {start} to {end}: check the dates and the holidays.",
    },
    "proc_no_step": {
        "th": "ไม่พบขั้นตอนนี้แล้วค่ะ พิมพ์ /processes เพื่อดูงานปัจจุบัน",
        "en": "That step no longer exists. Type /processes to see the current work.",
    },
    "proc_finished": {
        "th": "กระบวนงาน #{id} ปิดไปแล้วค่ะ ปุ่มนี้ใช้ไม่ได้ และไม่มีการเปลี่ยนแปลงใด ๆ",
        "en": "Process #{id} is closed: this button no longer works and nothing was changed.",
    },
    "proc_step_finished": {
        "th": "ขั้นที่ {n} บันทึกว่าเสร็จหรือข้ามไปแล้วค่ะ ไม่มีการเปลี่ยนแปลงใด ๆ",
        "en": "Step {n} is already done or skipped; nothing was changed.",
    },
    "proc_snooze_past": {
        "th": "เลื่อนไปวันที่ {due} ไม่ได้ค่ะ ต้องเป็นวันหลังจากวันนี้ ({today})",
        "en": "Cannot snooze to {due}: pick a day after today ({today}).",
    },
    "proc_reason_bad": {
        "th": "เหตุผลควรยาว 2–{max} ตัวอักษรค่ะ",
        "en": "A reason is 2–{max} characters.",
    },
    "proc_note_bad": {
        "th": "บันทึกหลักฐานควรยาวไม่เกิน {max} ตัวอักษรค่ะ",
        "en": "An evidence note is at most {max} characters.",
    },
    # --- refusals: template files ---
    "tpl_bad_yaml": {
        "th": "{where} บรรทัด {line}: ไม่ใช่ YAML ที่ถูกต้อง ({error})",
        "en": "{where} line {line}: not valid YAML ({error})",
    },
    "tpl_not_mapping": {
        "th": "{where}: แม่แบบต้องเป็นชุดข้อมูล key/title/steps",
        "en": "{where}: a template is a mapping with key, title and steps",
    },
    "tpl_unknown_field": {
        "th": "{where} บรรทัด {line}: ไม่รู้จักหัวข้อ “{field}”",
        "en": "{where} line {line}: unknown field “{field}”",
    },
    "tpl_bad_key": {
        "th": "{where} บรรทัด {line}: key ต้องเป็นอักษรอังกฤษตัวเล็ก ตัวเลข - หรือ _ ยาวไม่เกิน 32 ตัว",
        "en": "{where} line {line}: the key is 1-32 of a-z, 0-9, - and _",
    },
    "tpl_no_title": {
        "th": "{where} บรรทัด {line}: ไม่มีชื่อกระบวนงาน (title)",
        "en": "{where} line {line}: the template has no title",
    },
    "tpl_bad_recurrence": {
        "th": "{where} บรรทัด {line}: recurrence ต้องเป็น yearly, monthly หรือ none",
        "en": "{where} line {line}: recurrence is yearly, monthly or none",
    },
    "tpl_no_steps": {
        "th": "{where} บรรทัด {line}: ต้องมีขั้นตอน (steps) 1–{max} ขั้น",
        "en": "{where} line {line}: a template has 1-{max} steps",
    },
    "tpl_step_not_mapping": {
        "th": "{where} บรรทัด {line}: ขั้นตอนที่ {index} ต้องมี number และ title",
        "en": "{where} line {line}: step {index} needs a number and a title",
    },
    "tpl_step_no_title": {
        "th": "{where} บรรทัด {line}: ขั้นตอนที่ {index} ไม่มีชื่อขั้นตอน (title)",
        "en": "{where} line {line}: step {index} has no title",
    },
    "tpl_bad_number": {
        "th": "{where} บรรทัด {line}: เลขขั้นตอนที่ {index} ต้องเป็นจำนวนเต็ม 1–999",
        "en": "{where} line {line}: step {index}'s number must be a whole number 1-999",
    },
    "tpl_step_duplicate": {
        "th": "{where} บรรทัด {line}: เลขขั้นตอน {n} ซ้ำกับบรรทัด {first}",
        "en": "{where} line {line}: step number {n} is already used on line {first}",
    },
    "tpl_bad_days": {
        "th": "{where} บรรทัด {line}: days ต้องเป็นจำนวนวันทำการ 1–{max}",
        "en": "{where} line {line}: days is a number of working days, 1-{max}",
    },
    "tpl_bad_survey": {
        "th": "{where} บรรทัด {line}: ชื่อแบบสอบถามต้องเป็นอักษรอังกฤษ ตัวเลข . - หรือ _",
        "en": "{where} line {line}: a survey key is letters, digits, '.', '-' and '_'",
    },
    "tpl_bad_list": {
        "th": "{where} บรรทัด {line}: {field} ต้องเป็นรายการข้อความ",
        "en": "{where} line {line}: {field} must be a list of texts",
    },
    "tpl_bad_text": {
        "th": "{where} บรรทัด {line}: {field} ต้องเป็นข้อความ",
        "en": "{where} line {line}: {field} must be a text",
    },
    "tpl_bad_reminders": {
        "th": "{where} บรรทัด {line}: reminders มีได้ before (วันทำการ 1–30), overdue_limit (0–30) และ time (HH:MM)",
        "en": "{where} line {line}: reminders takes before (1-30 working days), overdue_limit (0-30) and time (HH:MM)",
    },
    # --- refusals: holiday files ---
    "hol_not_utf8": {
        "th": "{where} บรรทัด {line}: ไม่ใช่ข้อความ UTF-8 (บันทึกจาก Excel เป็น “CSV UTF-8”)",
        "en": "{where} line {line}: not UTF-8 text (save it from Excel as “CSV UTF-8”)",
    },
    "hol_bad_header": {
        "th": "{where}: แถวหัวตารางต้องมีคอลัมน์ date (วันที่) และ name (ชื่อ)",
        "en": "{where}: the header row needs a date column and a name column",
    },
    "hol_bad_date": {
        "th": "{where} บรรทัด {line}: “{value}” ไม่ใช่วันที่ (ใช้ 2569-03-03, 3/3/2569 หรือ 03-03 สำหรับทุกปี)",
        "en": "{where} line {line}: “{value}” is not a date (use 2026-03-03, 3/3/2569, or 03-03 for every year)",
    },
    "hol_bad_name": {
        "th": "{where} บรรทัด {line}: ชื่อวันหยุดต้องยาว 1–{max} ตัวอักษร",
        "en": "{where} line {line}: a holiday's name is 1-{max} characters",
    },
    "hol_duplicate": {
        "th": "{where} บรรทัด {line}: วันที่ {value} ซ้ำกับบรรทัด {first}",
        "en": "{where} line {line}: the day {value} is already on line {first}",
    },
    "hol_bad_csv": {"th": "{where} บรรทัด {line}: {error}", "en": "{where} line {line}: {error}"},
    "hol_empty": {
        "th": "{where}: ไม่มีวันหยุดในไฟล์ (แถวหัวตาราง แล้วบรรทัดละหนึ่งวัน)",
        "en": "{where}: no holidays in the file (a header row, then one day a line)",
    },
}
