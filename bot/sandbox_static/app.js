// The sandbox chat page. Everything the bot or a person wrote is put on the page with textContent, never as
// HTML: names and messages are stored verbatim (Thai, emoji, quotes, things that look like tags).
"use strict";

const $ = (id) => document.getElementById(id);
const ROLE_LABELS = { teacher: "ครู", staff: "เจ้าหน้าที่", officer: "ผู้รับผิดชอบกระบวนงาน", admin: "ผู้ดูแลระบบ" };
const STATE_LABELS = {
  sent: "ส่งแล้ว", pending: "รอส่ง", failed: "ไม่สำเร็จ", blocked: "ถูกบล็อก", cancelled: "ยกเลิก",
  scheduled: "ตั้งเวลาไว้", sending: "กำลังส่ง", done: "เสร็จ", missed: "พลาดเวลา",
};
// As the server checks it (bot/sandbox.py upload): a larger file is refused before it is sent.
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const UPLOAD_FAILED = "ขออภัยค่ะ ส่งไฟล์ไม่สำเร็จ กรุณาลองใหม่อีกครั้ง";
const STEP_LABELS = { done: "เสร็จแล้ว", skipped: "ข้าม", upcoming: "ยังไม่ถึงกำหนด", due: "ครบกำหนดวันนี้", overdue: "เลยกำหนด" };

const state = {
  persona: null,
  group: null,
  socket: null,
  pending: new Map(), // frames sent and not yet acknowledged: sent again, with the same id, after a reconnect
  retry: 0,
  personas: [],
  groups: [],
};

function newId() {
  // crypto.randomUUID needs a secure context; a demo opened by LAN address over http is not one.
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function safeUrl(url) {
  // Only web addresses and the server's own files become links or pictures: no javascript: or data: URLs,
  // and no "//host/..." (another site's address that merely looks like one of this server's paths).
  if (typeof url !== "string") return null;
  if (url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\")) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch (e) {
    return null;
  }
}

function localTime(iso) {
  try {
    return new Date(iso).toLocaleTimeString("th-TH", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Bangkok" });
  } catch (e) {
    return "";
  }
}

// --- personas and rooms ------------------------------------------------------------------------------

function personaLabel(p) {
  const role = ROLE_LABELS[p.role] || p.role;
  const name = p.name || p.id;
  const school = p.school ? " · " + p.school : "";
  return role + ": " + name + school + (p.registered ? "" : " (ยังไม่ลงทะเบียน)");
}

async function loadPersonas() {
  const response = await fetch("/sandbox/api/personas");
  const data = await response.json();
  state.personas = data.personas;
  state.groups = data.groups;
  const select = $("persona");
  select.replaceChildren();
  const known = new Set();
  for (const p of state.personas) {
    const option = el("option", null, personaLabel(p));
    option.value = p.id;
    select.append(option);
    known.add(p.id);
  }
  if (state.persona && !known.has(state.persona)) {
    const option = el("option", null, "ครูคนใหม่: " + state.persona);
    option.value = state.persona;
    select.append(option);
  }
  const room = $("room");
  room.replaceChildren();
  const privateRoom = el("option", null, "แชตส่วนตัวกับบอท");
  privateRoom.value = "";
  room.append(privateRoom);
  for (const g of state.groups) {
    const option = el("option", null, "กลุ่ม: " + g.title);
    option.value = g.id;
    room.append(option);
  }
}

function chooseFromUrl() {
  const params = new URLSearchParams(window.location.search);
  state.persona = params.get("as") || null;
  state.group = params.get("group") || null;
}

function go(persona, group) {
  const params = new URLSearchParams();
  params.set("as", persona);
  if (group) params.set("group", group);
  window.history.replaceState(null, "", "?" + params.toString());
  state.persona = persona;
  state.group = group || null;
  state.pending.clear();
  connect();
  showWho();
}

function showWho() {
  const p = state.personas.find((x) => x.id === state.persona);
  const g = state.groups.find((x) => x.id === state.group);
  $("whoami").textContent = "กำลังคุยในนาม " + (p ? personaLabel(p) : state.persona) + (g ? " ในกลุ่ม " + g.title : "");
  $("chat-title").textContent = g ? g.title : "เพื่อนครู";
  // As on LINE and Telegram, the bot takes photos and files in a private chat only.
  $("attach").hidden = Boolean(g || state.group);
  $("persona").value = state.persona;
  $("room").value = state.group || "";
}

// --- the conversation ----------------------------------------------------------------------------------

function connect() {
  if (state.socket) {
    state.socket.onclose = null;
    state.socket.close();
  }
  $("messages").replaceChildren();
  setStatus("กำลังเชื่อมต่อ…");
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const query = new URLSearchParams({ as: state.persona });
  if (state.group) query.set("group", state.group);
  const socket = new WebSocket(scheme + "//" + window.location.host + "/sandbox/ws?" + query.toString());
  state.socket = socket;
  socket.onmessage = (event) => onFrame(JSON.parse(event.data));
  socket.onclose = () => {
    setStatus("หลุดการเชื่อมต่อ กำลังต่อใหม่…");
    state.retry = Math.min(state.retry + 1, 5);
    setTimeout(() => {
      if (state.socket === socket) connect();
    }, 500 * state.retry);
  };
}

function setStatus(text) {
  $("chat-status").textContent = text;
}

function onFrame(frame) {
  if (frame.type === "hello") {
    state.retry = 0;
    setStatus("ออนไลน์");
    $("messages").replaceChildren();
    for (const item of frame.history) addItem(item);
    for (const pending of state.pending.values()) state.socket.send(JSON.stringify(pending));
    // Opening a private chat for the first time is "adding the bot as a friend", as on LINE.
    if (!state.group && frame.history.length === 0 && state.pending.size === 0) {
      send({ type: "follow" });
    }
    document.body.dataset.ready = "1";
  } else if (frame.type === "message") {
    addItem(frame.item);
  } else if (frame.type === "ack") {
    state.pending.delete(frame.id);
  } else if (frame.type === "error") {
    addNote(frame.message);
  } else if (frame.type === "reload" || frame.type === "closing") {
    setStatus("กำลังโหลดใหม่…");
  }
}

function send(frame) {
  frame.id = newId();
  state.pending.set(frame.id, frame);
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
}

function addNote(text) {
  const li = el("li", "msg bot");
  li.append(el("div", "bubble", "⚠️ " + text));
  $("messages").append(li);
  scrollDown();
}

function addItem(item) {
  const list = $("messages");
  const mine = item.from === state.persona;
  const fromBot = item.from === "bot";
  const li = el("li", "msg " + (fromBot ? "bot" : mine ? "me" : "other") + (item.tap ? " tap" : ""));
  li.dataset.seq = item.seq;
  li.dataset.from = fromBot ? "bot" : mine ? "me" : "other";
  if (!fromBot && !mine) li.append(el("div", "who", item.name || item.from));
  const bubble = el("div", "bubble");
  bubble.dataset.testid = "bubble";
  const attachment = item.attachment;
  if (attachment) {
    const url = safeUrl(attachment.url);
    if (url && attachment.kind === "image") {
      const img = el("img");
      img.src = url;
      img.alt = attachment.filename ? "รูปภาพ " + attachment.filename : "รูปภาพ";
      img.loading = "lazy";
      bubble.append(img);
    } else if (url) {
      const a = el("a", null, "📎 " + (attachment.filename || url));
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      bubble.append(a);
    }
  }
  if (item.text) bubble.append(document.createTextNode(item.text));
  if (item.link) {
    const url = safeUrl(item.link);
    if (item.text) bubble.append(document.createTextNode("\n"));
    if (url) {
      const a = el("a", null, item.link);
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      bubble.append(a);
    } else {
      bubble.append(document.createTextNode(item.link));
    }
  }
  li.append(bubble);
  if (Array.isArray(item.buttons) && item.buttons.length) {
    // Older chips stay tappable (as a Telegram keyboard does); the handlers say politely when one is stale.
    for (const old of list.querySelectorAll(".chips")) old.classList.add("old");
    const chips = el("div", "chips");
    item.buttons.forEach((b, i) => {
      const chip = el("button", "chip", b.label);
      chip.type = "button";
      chip.title = "หรือพิมพ์ " + (i + 1);
      chip.addEventListener("click", () => send({ type: "tap", data: b.data, label: b.label }));
      chips.append(chip);
    });
    li.append(chips);
  }
  li.append(el("div", "time", localTime(item.at)));
  list.append(li);
  scrollDown();
}

// --- photos and files -----------------------------------------------------------------------------------

async function sendFile(file) {
  // What a phone does with the 📎 of LINE or Telegram: the file goes up, then shows in the chat as the person's
  // message (it comes back over the socket, like a typed one); a refusal is said politely in the chat.
  if (!file) return;
  if (state.group) return addNote("ส่งรูปหรือไฟล์ถึงบอตได้ในแชตส่วนตัวเท่านั้นค่ะ");
  if (file.size > MAX_UPLOAD_BYTES) return addNote("ไฟล์ " + file.name + " ใหญ่เกิน 20 MB ค่ะ");
  const form = new FormData();
  form.append("id", newId());
  form.append("file", file, file.name);
  const button = $("attach");
  button.disabled = true;
  try {
    const query = new URLSearchParams({ as: state.persona });
    const response = await fetch("/sandbox/api/upload?" + query.toString(), { method: "POST", body: form });
    if (!response.ok) {
      let said = null;
      try {
        said = (await response.json()).error;
      } catch (e) {
        /* not JSON: the general sentence below */
      }
      addNote(typeof said === "string" && said ? said : UPLOAD_FAILED);
    }
  } catch (e) {
    addNote(UPLOAD_FAILED);
  } finally {
    button.disabled = false;
  }
}

function scrollDown() {
  const list = $("messages");
  list.scrollTop = list.scrollHeight;
}

// --- the staff view ------------------------------------------------------------------------------------

function table(headers, rows, numeric) {
  const t = el("table");
  const head = el("tr");
  headers.forEach((h, i) => head.append(el("th", numeric.includes(i) ? "num" : null, h)));
  t.append(head);
  for (const row of rows) {
    const tr = el("tr");
    row.forEach((cell, i) => tr.append(el("td", numeric.includes(i) ? "num" : null, cell)));
    t.append(tr);
  }
  return t;
}

function renderBroadcasts(items) {
  const box = $("staff-broadcasts");
  box.replaceChildren();
  if (!items.length) return box.append(el("p", "empty", "ยังไม่มีประกาศ"));
  const rows = items.map((b) => [
    "#" + b.id,
    (b.text || (b.image ? "🖼 รูปภาพ" : b.file ? "📎 " + b.file : "")).slice(0, 80),
    STATE_LABELS[b.state] || b.state,
    b.counts.sent,
    b.counts.pending,
    b.counts.failed + b.counts.blocked,
  ]);
  const t = table(["ที่", "ข้อความ", "สถานะ", "ส่งแล้ว", "รอส่ง", "ไม่สำเร็จ"], rows, [3, 4, 5]);
  t.dataset.testid = "broadcast-table";
  box.append(t);
}

function renderSurveys(items) {
  const box = $("staff-surveys");
  box.replaceChildren();
  if (!items.length) return box.append(el("p", "empty", "ยังไม่มีแบบสอบถามที่ส่งออกไป"));
  for (const s of items) {
    const card = el("div", "survey");
    card.dataset.campaign = s.campaign;
    card.append(el("div", "survey-title", s.title + " (ชุดที่ " + s.campaign + ")"));
    const report = s.report;
    const overall = report && report.overall;
    card.append(
      el(
        "div",
        "survey-meta",
        "ตอบแล้ว " + s.completed + " จาก " + s.invited + " คน" +
          (overall && overall.mean_2dp ? " · ภาพรวม x̄ = " + overall.mean_2dp + " (" + overall.level + ")" : "") +
          (s.status === "closed" ? " · ปิดแล้ว" : ""),
      ),
    );
    if (report && report.items.length) {
      const rows = report.items.map((i) => [i.number, i.text, i.n, i.mean_2dp || "-", i.sd_2dp || "-", i.level || "-"]);
      if (overall) rows.push(["", "ภาพรวม", overall.n, overall.mean_2dp || "-", overall.sd_2dp || "-", overall.level || "-"]);
      const t = table(["ข้อ", "รายการ", "n", "x̄", "S.D.", "ระดับ"], rows, [2, 3, 4]);
      t.dataset.testid = "survey-table";
      card.append(t);
    }
    if (s.completed > 0) {
      const img = el("img");
      img.alt = "แผนภูมิผลแบบสอบถาม " + s.title;
      img.src = s.chart + "?n=" + s.completed;
      card.append(img);
    }
    box.append(card);
  }
}

function renderProcesses(items) {
  const box = $("staff-processes");
  box.replaceChildren();
  if (!items.length) return box.append(el("p", "empty", "ไม่มีกระบวนงานที่กำลังดำเนินการ"));
  for (const p of items) {
    const card = el("div", "process");
    card.append(el("div", "survey-title", (p.code ? p.code + " " : "") + p.title));
    card.append(el("div", "survey-meta", "ผู้รับผิดชอบ: " + (p.officer || "-") + " · เสร็จ " + p.done + "/" + p.total + " ขั้นตอน"));
    const bar = el("div", "bar");
    const fill = el("span");
    fill.style.width = (p.total ? Math.round((100 * p.done) / p.total) : 0) + "%";
    bar.append(fill);
    card.append(bar);
    const current = p.steps.find((s) => s.number === p.current);
    if (current) {
      const label = STEP_LABELS[current.status] || current.status;
      const late = current.status === "overdue" ? " " + current.days + " วันทำการ" : "";
      card.append(
        el(
          "div",
          current.status === "overdue" ? "step-late" : current.status === "due" ? "step-due" : null,
          "ขั้นตอนที่ " + current.number + ": " + current.title + " — กำหนด " + (current.due || current.due_on) + " (" + label + late + ")",
        ),
      );
    }
    box.append(card);
  }
}

async function refreshPersonas() {
  // Names and roles change as people register; not while someone is choosing from the list.
  if (document.activeElement === $("persona") || document.activeElement === $("room")) return;
  await loadPersonas();
  showWho();
}

function renderInbox(data) {
  const box = $("staff-inbox");
  box.replaceChildren();
  const median = data.median_first_response_min;
  box.append(
    el(
      "p",
      "inbox-stats",
      `30 วันล่าสุด: ${data.threads_30_days} เรื่อง ตอบแล้ว ${data.answered_30_days} เรื่อง · ` +
        `เวลาตอบครั้งแรก (มัธยฐาน): ${median === null ? "—" : median + " นาที"}`,
    ),
  );
  if (!data.open.length) return box.append(el("p", "empty", "ไม่มีเรื่องค้าง"));
  const rows = data.open.map((t) => ["#" + t.id, t.from, t.channel, t.last, t.answered ? "ตอบแล้ว" : "รอตอบ"]);
  const t = table(["เรื่อง", "จาก", "ช่องทาง", "ล่าสุด", "สถานะ"], rows, []);
  t.dataset.testid = "inbox-table";
  box.append(t);
}

async function refreshStaff() {
  refreshPersonas().catch(() => {});
  try {
    const response = await fetch("/sandbox/api/staff");
    const data = await response.json();
    renderBroadcasts(data.broadcasts);
    renderSurveys(data.surveys);
    renderProcesses(data.processes);
    renderInbox(data.inbox);
    $("clock-now").textContent = data.clock.local;
  } catch (e) {
    /* the next refresh will try again */
  }
}

// --- the clock ---------------------------------------------------------------------------------------

async function loadClock() {
  const response = await fetch("/sandbox/api/clock");
  showClock(await response.json());
}

function showClock(clock) {
  $("clock-now").textContent = clock.local;
  $("clock-rate").textContent = clock.rate && clock.rate !== 1 ? "(เร็วขึ้น ×" + clock.rate + ")" : "";
  const box = $("clock-controls");
  if (box.dataset.built) {
    for (const b of box.querySelectorAll("[data-rate]")) b.classList.toggle("on", Number(b.dataset.rate) === clock.rate);
    return;
  }
  box.dataset.built = "1";
  for (const rate of clock.rates || []) {
    if (![1, 60, 3600].includes(rate)) continue;
    const b = el("button", rate === clock.rate ? "on" : null, "×" + rate);
    b.type = "button";
    b.dataset.rate = rate;
    b.addEventListener("click", () => changeClock({ rate }));
    box.append(b);
  }
  if (clock.adjustable) {
    for (const [label, seconds] of [["+1 ชม.", 3600], ["+1 วัน", 86400]]) {
      const b = el("button", null, label);
      b.type = "button";
      b.addEventListener("click", () => changeClock({ advance_s: seconds }));
      box.append(b);
    }
  }
}

async function changeClock(body) {
  const response = await fetch("/sandbox/api/clock", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.ok) showClock(await response.json());
  refreshStaff();
}

// --- start -------------------------------------------------------------------------------------------

async function main() {
  chooseFromUrl();
  await loadPersonas();
  if (!state.persona) state.persona = state.personas.length ? state.personas[0].id : "guest-" + newId().slice(0, 6);
  await loadPersonas(); // again, so that a persona named only in the address is listed too
  $("persona").addEventListener("change", (e) => go(e.target.value, null));
  $("room").addEventListener("change", (e) => go(state.persona, e.target.value || null));
  $("new-persona").addEventListener("click", async () => {
    state.persona = "guest-" + newId().replace(/[^a-z0-9]/g, "").slice(0, 6);
    await loadPersonas();
    go(state.persona, null);
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("text");
    const text = input.value.trim();
    if (!text) return;
    send({ type: "text", text });
    input.value = "";
  });
  $("attach").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", (e) => {
    const chosen = e.target.files && e.target.files[0];
    e.target.value = ""; // the same file can be chosen again
    sendFile(chosen);
  });
  $("staff-refresh").addEventListener("click", refreshStaff);
  go(state.persona, state.group);
  await loadClock().catch(() => {});
  refreshStaff();
  setInterval(refreshStaff, 3000);
  setInterval(() => loadClock().catch(() => {}), 5000);
}

main();
