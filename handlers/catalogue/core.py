"""The catalogue's core: welcome, help, registration, privacy, roles. Merged into `handlers.texts`."""

from __future__ import annotations

from typing import Final

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
        "th": "สิ่งที่ทำได้:\n/register – ลงทะเบียนหรือแก้ไขข้อมูล\n/mydata – ดูข้อมูลของฉัน\n"
        "/privacy – ประกาศความเป็นส่วนตัว\n/forgetme – ลบข้อมูลของฉัน\n/lang – เปลี่ยนภาษา (th/en)\n"
        "/link – เชื่อมบัญชี LINE กับ Telegram\n"
        "พิมพ์เป็นคำก็ได้ เช่น “ลงทะเบียน” “ข้อมูลของฉัน” และทุกคำถามที่มีปุ่ม พิมพ์หมายเลขตัวเลือกแทนได้",
        "en": "What you can do:\n/register – register or edit your details\n/mydata – what is stored about me\n"
        "/privacy – privacy notice\n/forgetme – erase my data\n/lang – language (th/en)\n"
        "/link – link LINE and Telegram\n"
        "Every question with buttons also accepts the option's number, typed.",
    },
    # /help adds the part of each role the person holds (admins see staff's and officers' parts too).
    "help_staff": {
        "th": "สำหรับเจ้าหน้าที่:\n/broadcast – ส่งประกาศ (เลือกผู้รับด้วยปุ่ม)\n/broadcasts – ประกาศล่าสุดและผลการส่ง\n"
        "/survey – ส่งแบบสอบถาม ดูผล ปิดรับคำตอบ\n/inbox – เรื่องที่ครูส่งถึงสำนักงาน\n/reply เลขเรื่อง ข้อความ – ตอบเรื่อง\n"
        "/faqs, /faq_add – คำตอบอัตโนมัติ\n/groups – กลุ่มที่บอตอยู่",
        "en": "For staff:\n/broadcast – send an announcement (audience by buttons)\n/broadcasts – recent ones and "
        "their reports\n/survey – send a survey, see results, close it\n/inbox – what teachers sent the office\n"
        "/reply N text – answer a thread\n/faqs, /faq_add – automatic answers\n/groups – the bot's groups",
    },
    "help_officer": {
        "th": "สำหรับผู้รับผิดชอบกระบวนงาน:\n/processes – กระบวนงานของฉัน ขั้นตอนที่ถึงกำหนดและที่เลยกำหนด",
        "en": "For process officers:\n/processes – my processes, the steps due and late",
    },
    "help_admin": {
        "th": "สำหรับผู้ดูแลระบบ:\n/grant ผู้ใช้ บทบาท – ให้บทบาท (staff, officer, admin, teacher)",
        "en": "For administrators:\n/grant PERSON ROLE – give a role (staff, officer, admin, teacher)",
    },
    "help_console": {
        "th": "/console – ลิงก์เข้าเว็บคอนโซลของสำนักงาน (หรือพิมพ์ “เข้าระบบ”)",
        "en": "/console – a sign-in link to the office's web console",
    },
    "unknown_command": {
        "th": "ขออภัยค่ะ ไม่รู้จักคำสั่ง “{command}” พิมพ์ /help เพื่อดูคำสั่งที่ใช้ได้",
        "en": "Sorry, “{command}” is not a command I know. Type /help to see the commands.",
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
    "privacy_notice": {
        "th": "ประกาศความเป็นส่วนตัว (ฉบับ {version})\n"
        "ผู้ควบคุมข้อมูล: {office}\n"
        "วัตถุประสงค์: ส่งข่าวประชาสัมพันธ์ แบบสอบถาม และการแจ้งเตือนงานของสำนักงานถึงท่าน\n"
        "ข้อมูลที่เก็บ: รหัสผู้ใช้และชื่อที่แสดงใน LINE/Telegram ภาษา และหากท่านลงทะเบียน: ชื่อ ตำแหน่ง โรงเรียน "
        "และเบอร์โทรศัพท์ (ไม่บังคับ) รวมถึงคำตอบแบบสอบถามและบันทึกการส่งข้อความ\n"
        "ระยะเวลาเก็บ: ตลอดเวลาที่ท่านใช้บริการ ข้อความดิบที่ส่งเข้ามาเก็บไม่เกิน {days} วัน "
        "เมื่อท่านขอลบ ข้อมูลส่วนบุคคลจะถูกลบทันที ส่วนคำตอบแบบสอบถามจะเหลือเฉพาะแบบไม่ระบุตัวตน\n"
        "ผู้รับข้อมูล: เจ้าหน้าที่ของสำนักงานที่เกี่ยวข้องเท่านั้น ไม่เปิดเผยแก่บุคคลภายนอก "
        "ข้อความส่งผ่านบริการของ LINE หรือ Telegram\n"
        "สิทธิของท่านตาม พ.ร.บ.คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562: ขอดูข้อมูล (/mydata) ขอแก้ไข (/register) "
        "ขอลบ (/forgetme) ถอนความยินยอม และร้องเรียนต่อสำนักงานคณะกรรมการคุ้มครองข้อมูลส่วนบุคคล\n"
        "ติดต่อ: {contact} หรือพิมพ์ข้อความถึงบอตนี้",
        "en": "Privacy notice (version {version})\n"
        "Data controller: {office}\n"
        "Purpose: to send you the office's announcements, surveys and work reminders.\n"
        "Data kept: your LINE/Telegram user id and display name, your language, and if you register: your name, "
        "position, school and (optionally) phone number; your survey answers and a log of messages sent.\n"
        "Retention: while you use the service; raw incoming messages at most {days} days. When you ask for "
        "erasure, personal data is deleted at once and survey answers are kept only anonymised.\n"
        "Recipients: only the office's staff concerned; messages travel through LINE or Telegram.\n"
        "Your rights under Thailand's PDPA (2019): see your data (/mydata), correct it (/register), erase it "
        "(/forgetme), withdraw consent, and complain to the Personal Data Protection Committee.\n"
        "Contact: {contact}, or write to this bot.",
    },
    "consent_question": {
        "th": "ท่านยินยอมให้สำนักงานเก็บและใช้ข้อมูลตามประกาศข้างต้นหรือไม่คะ",
        "en": "Do you consent to the office keeping and using your data as described above?",
    },
    "btn_consent_yes": {"th": "ยินยอม", "en": "I consent"},
    "btn_consent_no": {"th": "ไม่ยินยอม", "en": "I do not consent"},
    "consent_thanks": {
        "th": "ขอบคุณค่ะ บันทึกความยินยอมแล้ว\nลงทะเบียนเลยไหมคะ (ใช้เวลาไม่ถึง 1 นาที) จะได้รับข่าวตรงกับโรงเรียนและตำแหน่งของท่าน",
        "en": "Thank you, your consent is recorded.\nRegister now? (under a minute) You will get the news "
        "meant for your school and position.",
    },
    "consent_declined": {
        "th": "รับทราบค่ะ ไม่มีการบันทึกข้อมูลเพิ่มเติม ท่านยังรับข่าวประกาศทั่วไปของสำนักงานได้ตามปกติ\nหากเปลี่ยนใจ พิมพ์ /register ได้ทุกเมื่อ",
        "en": "Understood: nothing more is recorded. You still receive the office's general announcements.\n"
        "If you change your mind, type /register at any time.",
    },
    "consent_needed": {
        "th": "ก่อนลงทะเบียน ขอความยินยอมตามประกาศความเป็นส่วนตัวก่อนนะคะ",
        "en": "Before registering, please give your consent under the privacy notice.",
    },
    "btn_register": {"th": "ลงทะเบียน", "en": "Register"},
    "btn_later": {"th": "ไว้ภายหลัง", "en": "Later"},
    "btn_cancel": {"th": "ยกเลิก", "en": "Cancel"},
    "btn_skip": {"th": "ข้าม", "en": "Skip"},
    "btn_confirm": {"th": "ยืนยัน", "en": "Confirm"},
    "btn_edit": {"th": "แก้ไข", "en": "Edit"},
    "later_ok": {
        "th": "ได้ค่ะ พิมพ์ /register หรือ “ลงทะเบียน” เมื่อสะดวก",
        "en": "Fine: type /register whenever it suits you.",
    },
    "reg_name": {
        "th": "ขั้นที่ 1/4 ขอทราบชื่อ-นามสกุลของท่านค่ะ (พิมพ์ได้เลย)",
        "en": "Step 1/4: your full name, please (just type it).",
    },
    "btn_use_name": {"th": "ใช้ชื่อ {name}", "en": "Use {name}"},
    "reg_name_bad": {
        "th": "ชื่อควรยาว 2–100 ตัวอักษรค่ะ กรุณาพิมพ์ชื่อ-นามสกุลอีกครั้ง",
        "en": "A name is 2–100 characters. Please type your full name again.",
    },
    "reg_position": {"th": "ขั้นที่ 2/4 ท่านมีตำแหน่งใดคะ", "en": "Step 2/4: what is your position?"},
    "pos_teacher": {"th": "ครู", "en": "Teacher"},
    "pos_director": {"th": "ผู้บริหารสถานศึกษา", "en": "School director"},
    "pos_personnel": {"th": "บุคลากรทางการศึกษา", "en": "Education personnel"},
    "pos_other": {"th": "อื่น ๆ", "en": "Other"},
    "reg_pick_hint": {
        "th": "กรุณาเลือกจากปุ่ม หรือพิมพ์หมายเลข 1–{n} ค่ะ",
        "en": "Please tap a button, or type a number from 1 to {n}.",
    },
    "reg_school": {
        "th": "ขั้นที่ 3/4 พิมพ์ชื่อโรงเรียนของท่าน (บางส่วนก็ได้ เช่น “โพนงาม”)",
        "en": "Step 3/4: type your school's name (part of it is enough).",
    },
    "reg_school_found": {
        "th": "พบโรงเรียนต่อไปนี้ค่ะ เลือกโรงเรียนของท่าน",
        "en": "These schools match. Choose yours.",
    },
    "reg_school_many": {
        "th": "พบหลายโรงเรียน แสดง {n} แห่งแรก หากไม่พบ พิมพ์ชื่อให้เจาะจงขึ้นได้ค่ะ",
        "en": "Many schools match; the first {n} are shown. Type more of the name to narrow it.",
    },
    "reg_school_none": {
        "th": "ไม่พบ “{query}” ในรายชื่อโรงเรียนของสำนักงานค่ะ ใช้ชื่อนี้ไปก่อนได้ (เจ้าหน้าที่จะตรวจสอบให้) หรือค้นหาใหม่",
        "en": "“{query}” is not in the office's school list. Use it as typed (staff will check it) or search again.",
    },
    "btn_use_typed": {"th": "ใช้ชื่อที่พิมพ์", "en": "Use as typed"},
    "btn_not_listed": {"th": "ไม่อยู่ในรายการ", "en": "Not in the list"},
    "btn_search_again": {"th": "ค้นหาใหม่", "en": "Search again"},
    "reg_school_bad": {
        "th": "กรุณาพิมพ์ชื่อโรงเรียน 2–200 ตัวอักษรค่ะ",
        "en": "Please type a school name of 2–200 characters.",
    },
    "reg_phone": {
        "th": "ขั้นที่ 4/4 เบอร์โทรศัพท์สำหรับติดต่อ (ไม่บังคับ) พิมพ์เบอร์ หรือกด “ข้าม”",
        "en": "Step 4/4: a phone number to reach you (optional). Type it, or tap Skip.",
    },
    "reg_phone_bad": {
        "th": "เบอร์โทรศัพท์ไม่ถูกต้องค่ะ ตัวอย่างที่ใช้ได้: 081-234-5678 หรือ 045-123456 หรือกด “ข้าม”",
        "en": "That phone number is not valid. Examples: 081-234-5678 or 045-123456, or tap Skip.",
    },
    "reg_summary": {
        "th": "ตรวจสอบข้อมูลค่ะ\nชื่อ: {name}\nตำแหน่ง: {position}\nโรงเรียน: {school}\nโทรศัพท์: {phone}",
        "en": "Please check:\nName: {name}\nPosition: {position}\nSchool: {school}\nPhone: {phone}",
    },
    "reg_unlisted_mark": {"th": "(รอเจ้าหน้าที่ตรวจสอบ)", "en": "(to be checked by staff)"},
    "none_given": {"th": "-", "en": "-"},
    "reg_done": {
        "th": "ลงทะเบียนเรียบร้อยแล้วค่ะ ขอบคุณค่ะ 🙏 แก้ไขได้ทุกเมื่อด้วย /register",
        "en": "You are registered, thank you! Type /register any time to edit.",
    },
    "reg_cancelled": {
        "th": "ยกเลิกแล้วค่ะ ไม่มีการเปลี่ยนแปลงข้อมูล",
        "en": "Cancelled: nothing was changed.",
    },
    "step_again_hint": {
        "th": "ขั้นตอนนี้ต้องการคำตอบเป็นข้อความหรือปุ่มค่ะ",
        "en": "This step needs a typed answer or a button.",
    },
    "mydata": {
        "th": "ข้อมูลของท่านที่บันทึกไว้\nช่องทาง: {channel}\nชื่อ: {name}\nตำแหน่ง: {position}\nโรงเรียน: {school}\n"
        "โทรศัพท์: {phone}\nภาษา: {language}\nบทบาทในระบบ: {role}\nกลุ่ม/ป้าย: {tags}\n"
        "ให้ความยินยอม: {consent}\nลงทะเบียน: {registered}\nบัญชีที่เชื่อมไว้: {linked}\n"
        "ข้อความถึงสำนักงาน: {threads}",
        "en": "What is stored about you\nChannel: {channel}\nName: {name}\nPosition: {position}\nSchool: {school}\n"
        "Phone: {phone}\nLanguage: {language}\nRole: {role}\nTags: {tags}\nConsent: {consent}\n"
        "Registered: {registered}\nLinked accounts: {linked}\nMessages to the office: {threads}",
    },
    "mydata_threads": {"th": "{n} เรื่อง ({messages} ข้อความ)", "en": "{n} threads ({messages} messages)"},
    "forget_confirm": {
        "th": "ยืนยันการลบข้อมูลส่วนบุคคลของท่านทั้งหมดหรือไม่คะ\n"
        "ชื่อ ตำแหน่ง โรงเรียน เบอร์โทร และข้อความที่ส่งเข้ามาจะถูกลบ คำตอบแบบสอบถามจะเหลือแบบไม่ระบุตัวตน "
        "และท่านจะไม่ได้รับข่าวจากบอตนี้อีกจนกว่าจะเริ่มใหม่",
        "en": "Erase all your personal data?\nYour name, position, school, phone and incoming messages will be "
        "deleted; survey answers are kept only anonymised; you will receive nothing more until you start again.",
    },
    "btn_forget_yes": {"th": "ยืนยันลบข้อมูล", "en": "Erase my data"},
    "forget_done": {
        "th": "ลบข้อมูลส่วนบุคคลของท่านเรียบร้อยแล้วค่ะ หากต้องการใช้งานอีก พิมพ์ /start",
        "en": "Your personal data has been erased. Type /start to use the service again.",
    },
    "lang_pick": {"th": "เลือกภาษา / Choose a language", "en": "เลือกภาษา / Choose a language"},
    "lang_set": {"th": "ตั้งค่าภาษาไทยแล้วค่ะ", "en": "Language set to English."},
    "lang_bad": {
        "th": "ภาษาที่ใช้ได้: th (ไทย) หรือ en (English) เช่น /lang en",
        "en": "Available languages: th (Thai) or en (English), e.g. /lang th",
    },
    "link_code": {
        "th": "รหัสเชื่อมบัญชีของท่านคือ {code}\nเปิดบอตเพื่อนครูในอีกแอป (LINE หรือ Telegram) แล้วพิมพ์ /link {code} "
        "ภายใน 10 นาที (ตัวพิมพ์เล็กหรือใหญ่ก็ได้ จะเว้นวรรคหรือไม่ใส่ขีดก็ได้ค่ะ) ข่าวจะส่งถึงท่านเพียงครั้งเดียว\n"
        "โปรดอย่าบอกรหัสนี้แก่ผู้อื่น ผู้ที่ได้รหัสจะได้รับข่าวแทนท่านค่ะ",
        "en": "Your link code is {code}.\nOpen PhuanKru in the other app (LINE or Telegram) and type /link {code} "
        "within 10 minutes (upper or lower case, with or without the dash); you will then get each announcement "
        "once.\nDo not share this code: whoever types it receives your announcements.",
    },
    "link_done": {
        "th": "เชื่อมบัญชี LINE และ Telegram ของท่านแล้วค่ะ",
        "en": "Your LINE and Telegram accounts are now linked.",
    },
    "link_bad": {
        "th": "รหัสไม่ถูกต้องหรือหมดอายุแล้วค่ะ พิมพ์ /link ในอีกแอปเพื่อขอรหัสใหม่",
        "en": "That code is wrong or has expired. Type /link in the other app for a new one.",
    },
    "link_locked": {
        "th": "ท่านพิมพ์รหัสเชื่อมบัญชีผิดหลายครั้งแล้วค่ะ เพื่อความปลอดภัย กรุณารอ {minutes} นาทีแล้วลองใหม่ "
        "และตรวจรหัสจากอีกแอปให้ตรงทุกตัวค่ะ",
        "en": "Too many wrong link codes from this account. For your safety, please wait {minutes} minutes and "
        "try again, copying the code from the other app exactly.",
    },
    "link_busy": {
        "th": "ขณะนี้มีการพิมพ์รหัสเชื่อมบัญชีผิดจำนวนมาก ระบบจึงหยุดรับรหัสชั่วคราวค่ะ กรุณาลองใหม่ในอีก {minutes} นาทีค่ะ",
        "en": "Many wrong link codes have been tried just now, so linking is paused for a while. Please try again "
        "in {minutes} minutes.",
    },
    "link_same_channel": {
        "th": "รหัสนี้ต้องพิมพ์ในอีกแอปหนึ่งค่ะ (ถ้าขอจาก LINE ให้พิมพ์ใน Telegram และกลับกัน)",
        "en": "Type this code in the other app (LINE if you asked in Telegram, and the other way round).",
    },
    "refused": {
        "th": "ขออภัยค่ะ คำสั่งนี้สำหรับ{roles}เท่านั้น หากท่านเป็นเจ้าหน้าที่ กรุณาติดต่อผู้ดูแลระบบของสำนักงาน",
        "en": "Sorry, this command is for {roles} only. If you are office staff, ask the office's administrator.",
    },
    "role_staff": {"th": "เจ้าหน้าที่", "en": "staff"},
    "role_officer": {"th": "ผู้รับผิดชอบกระบวนงาน", "en": "process officers"},
    "role_admin": {"th": "ผู้ดูแลระบบ", "en": "administrators"},
    "role_teacher": {"th": "ผู้ใช้ทั่วไป", "en": "members"},
    "or": {"th": " หรือ", "en": " or "},
    "grant_usage": {
        "th": "วิธีใช้: /grant ผู้ใช้ บทบาท\nผู้ใช้ = line:USERID, telegram:USERID หรือเลขที่ผู้ติดต่อ\n"
        "บทบาท = staff, officer, admin หรือ teacher",
        "en": "Usage: /grant CONTACT ROLE\nCONTACT = line:USERID, telegram:USERID or a contact id\n"
        "ROLE = staff, officer, admin or teacher",
    },
    "grant_done": {"th": "ให้บทบาท {role} แก่ {who} แล้วค่ะ", "en": "{who} is now {role}."},
    "grant_unknown": {
        "th": "ไม่พบผู้ติดต่อ “{who}” ค่ะ (ผู้ใช้ต้องเคยทักบอตก่อน)",
        "en": "No contact “{who}” (the person must have written to the bot first).",
    },
    "groups_list": {"th": "กลุ่มและช่องที่บอตอยู่ ({n})", "en": "Groups and channels the bot is in ({n})"},
    "groups_none": {"th": "บอตยังไม่ได้อยู่ในกลุ่มใดค่ะ", "en": "The bot is in no group yet."},
    "cmd_start": {"th": "เริ่มต้นใช้งาน", "en": "Get started"},
    "cmd_help": {"th": "ความช่วยเหลือ", "en": "Help"},
    "cmd_register": {"th": "ลงทะเบียน / แก้ไขข้อมูล", "en": "Register / edit my details"},
    "cmd_privacy": {"th": "ประกาศความเป็นส่วนตัว", "en": "Privacy notice"},
    "cmd_mydata": {"th": "ข้อมูลของฉัน", "en": "What is stored about me"},
    "cmd_forgetme": {"th": "ลบข้อมูลของฉัน", "en": "Erase my data"},
    "cmd_lang": {"th": "เปลี่ยนภาษา", "en": "Change language"},
    "cmd_link": {"th": "เชื่อมบัญชี LINE กับ Telegram", "en": "Link LINE and Telegram"},
    "cmd_surveys": {"th": "แบบสอบถามที่รอตอบ", "en": "Surveys waiting for me"},
}


# The commands shown in Telegram's command menu (and the LINE rich menu), with their catalogue keys.
MENU_COMMANDS: Final[tuple[tuple[str, str], ...]] = (
    ("start", "cmd_start"),
    ("help", "cmd_help"),
    ("register", "cmd_register"),
    ("privacy", "cmd_privacy"),
    ("mydata", "cmd_mydata"),
    ("forgetme", "cmd_forgetme"),
    ("lang", "cmd_lang"),
    ("link", "cmd_link"),
    ("surveys", "cmd_surveys"),
)

# Words that work like commands when typed alone (LINE PC users and the LINE rich menu send these).
TEXT_COMMANDS: Final[dict[str, str]] = {
    "ช่วยเหลือ": "help",
    "help": "help",
    "เริ่มต้น": "start",
    "ลงทะเบียน": "register",
    "แก้ไขข้อมูล": "register",
    "ข้อมูลของฉัน": "mydata",
    "ความเป็นส่วนตัว": "privacy",
    "ลบข้อมูลของฉัน": "forgetme",
    "เปลี่ยนภาษา": "lang",
    "ภาษา": "lang",
    "เชื่อมบัญชี": "link",
    "ประกาศ": "broadcast",
    "เข้าระบบ": "console",
    "แบบสอบถาม": "surveys",
    "ยกเลิก": "cancel",
    "cancel": "cancel",
}
