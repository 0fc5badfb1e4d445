// The participant room: connects with the token stored at joining, keeps the view current
// through static/live.js and renders it: the step with its prompt and countdown (server time,
// offset-corrected), my group, members and role, the board with a note form and dots, and
// the "done" and "raise hand" signals. User text goes in with textContent only.

import { LiveConnection, randomId } from "./live.js";
import { tokenKey } from "./storage.js";

const TICK_MS = 250;
const texts = JSON.parse(document.getElementById("texts").textContent);
const t = (key) => texts[key] ?? key;
const root = document.getElementById("room");
const lang = root.dataset.lang === "en" ? "en" : "de";
const workshopId = root.dataset.workshop;
const $ = (id) => document.getElementById(id);

const optimistic = new Map(); // item id -> text, shown until the server's answer
let doneStep = null; // the step index this tab said "done" for
let connection = null;
let audio = null; // made on the first click or key press: browsers block sound before that
let lastLeftMs = null; // to notice the moment the countdown crosses zero

function unlockAudio() {
  if (!audio && window.AudioContext) audio = new AudioContext();
}

/** A short two-tone chime and a flash of the timer when the step's time runs out. */
function timeUpCue() {
  $("countdown").classList.add("time-up");
  setTimeout(() => $("countdown").classList.remove("time-up"), 3000);
  if (!audio) return;
  const start = audio.currentTime;
  for (const [offset, frequency] of [[0, 880], [0.25, 660]]) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.2, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.4);
  }
}

const local = (value) => (value && typeof value === "object" ? value[lang] ?? value.de ?? "" : value ?? "");

function showError(message) {
  const key = `error.${message.code}`;
  $("room-error").textContent = key in texts ? t(key) : message.message || t("error.generic");
}

function setState(state) {
  const box = $("connection");
  box.dataset.state = state;
  box.textContent = t(`room.state.${state}`);
}

function me(view) {
  return view.me?.main ?? {};
}

function workshop(view) {
  return view.workshop?.main ?? {};
}

function currentStep(view) {
  const cursor = workshop(view).cursor;
  return cursor === null || cursor === undefined ? null : view.plan?.[String(cursor)] ?? null;
}

function remainingMs(view) {
  const w = workshop(view);
  if (w.phase === "running" && w.deadline) return Date.parse(w.deadline) - connection.serverNow();
  if (typeof w.remaining_s === "number") return w.remaining_s * 1000;
  return null;
}

function clockText(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

function tick() {
  if (!connection) return;
  const ms = remainingMs(connection.view);
  const out = $("countdown");
  if (ms === null) {
    out.textContent = "–:––";
    out.dataset.remainingMs = "";
    out.classList.remove("overtime");
    return;
  }
  const running = workshop(connection.view).phase === "running";
  if (running && lastLeftMs !== null && lastLeftMs > 0 && ms <= 0) timeUpCue();
  lastLeftMs = running ? ms : null;
  out.dataset.remainingMs = String(Math.round(ms));
  out.classList.toggle("overtime", ms <= 0);
  out.textContent = ms <= 0 ? t("room.overtime") : clockText(ms);
}

function renderStep(view) {
  const w = workshop(view);
  $("workshop-title").textContent = w.title ?? "";
  const phase = $("phase");
  const notice = { lobby: "room.lobby", paused: "room.paused", ended: "room.ended" }[w.phase];
  phase.hidden = !notice;
  phase.textContent = notice ? t(notice) : "";
  const step = currentStep(view);
  $("step-title").textContent = step ? local(step.title) : "";
  $("step-prompt").textContent = step ? local(step.prompt) : "";
  const next = step ? view.plan?.[String(w.cursor + 1)] : null;
  $("next-step").textContent = next ? `${t("room.next")}: ${local(next.title)}` : "";
}

function renderGroup(view) {
  const mine = me(view);
  const group = mine.scope && mine.scope !== "plenary" ? view.groups?.[mine.scope] : null;
  $("group-heading").textContent = group ? t("room.group") : t("room.plenary");
  const step = currentStep(view);
  const role = (step?.roles ?? []).find((r) => r.id === mine.role);
  $("my-role").textContent = role ? `${t("room.role")}: ${local(role.name)}` : "";
  $("role-instructions").textContent = role ? local(role.instructions) : "";
  const list = $("members");
  list.replaceChildren();
  for (const id of group?.members ?? []) {
    const item = document.createElement("li");
    const name = view.people?.[id]?.name ?? id;
    const memberRole = (step?.roles ?? []).find((r) => r.id === group.roles?.[id]);
    item.textContent = name + (id === mine.id ? ` (${t("room.you")})` : "");
    if (memberRole) item.textContent += ` – ${local(memberRole.name)}`;
    list.append(item);
  }
}

function myVotes(view) {
  const cursor = workshop(view).cursor;
  return Object.values(view.my_votes ?? {}).find((v) => v.step_index === cursor) ?? null;
}

function renderBoard(view) {
  const cursor = workshop(view).cursor;
  const items = Object.entries(view.items ?? {})
    .filter(([, item]) => item.step_index === cursor)
    .sort(([, a], [, b]) => String(a.created_at ?? "").localeCompare(String(b.created_at ?? "")));
  const votes = myVotes(view);
  const dots = $("dots-left");
  dots.hidden = !votes;
  dots.textContent = votes ? `${votes.left} ${t("room.dots_left")}` : "";
  const list = $("items");
  list.replaceChildren();
  for (const [id, item] of items) {
    const entry = document.createElement("li");
    entry.className = "item";
    entry.dataset.itemId = id;
    const text = document.createElement("p");
    text.textContent = item.kind === "wicked_question" ? local(item.question) || item.text : item.text;
    entry.append(text);
    const author = item.author ? view.people?.[item.author]?.name : null;
    if (author) {
      const by = document.createElement("p");
      by.className = "meta";
      by.textContent = author;
      entry.append(by);
    }
    if (votes) {
      const button = document.createElement("button");
      button.type = "button";
      const mine = votes.dots?.[id] ?? 0;
      button.textContent = `${t("room.dot")} (${mine})`;
      button.disabled = votes.left <= 0;
      button.addEventListener("click", () => send({ type: "vote.cast", item_id: id }));
      entry.append(button);
    }
    list.append(entry);
  }
  for (const [id, value] of optimistic) {
    if (view.items?.[id]) continue;
    const entry = document.createElement("li");
    entry.className = "item pending";
    entry.dataset.itemId = id;
    const text = document.createElement("p");
    text.textContent = value;
    entry.append(text);
    list.append(entry);
  }
  $("no-items").hidden = list.children.length > 0;
  const allowed = currentStep(view)?.permissions?.actions ?? [];
  $("note-form").hidden = workshop(view).phase !== "running" || !allowed.includes("notes");
}

function renderSignals(view) {
  const mine = me(view);
  const cursor = workshop(view).cursor;
  const done = doneStep !== null && doneStep === cursor;
  const doneButton = $("done-button");
  doneButton.setAttribute("aria-pressed", String(done));
  doneButton.textContent = done ? t("room.undone") : t("room.done");
  const counts = view.done?.[mine.scope];
  $("done-count").textContent = counts ? `${counts.count}/${counts.total} ${t("room.done_count")}` : "";
  const hands = view.queues?.[mine.scope]?.hands ?? [];
  const raised = hands.some((hand) => hand.participant_id === mine.id);
  const handButton = $("hand-button");
  handButton.setAttribute("aria-pressed", String(raised));
  handButton.textContent = raised ? t("room.hand_down") : t("room.hand");
  const running = workshop(view).phase === "running";
  const allowed = currentStep(view)?.permissions?.actions ?? [];
  doneButton.disabled = !running;
  handButton.hidden = !allowed.includes("hand") && !raised;
  handButton.disabled = !running;
}

function render(view) {
  renderStep(view);
  renderGroup(view);
  renderBoard(view);
  renderSignals(view);
  tick();
}

async function send(command) {
  $("room-error").textContent = "";
  const answer = await connection.command(command);
  if (answer.type === "error") showError(answer);
  return answer;
}

function wire() {
  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = $("note-text");
    const text = field.value.trim();
    if (!text) return;
    const id = randomId("n-");
    optimistic.set(id, text); // shown at once, reconciled with the server's answer
    field.value = "";
    render(connection.view);
    const answer = await send({ type: "note.post", item_id: id, text });
    optimistic.delete(id);
    if (answer.type === "error") field.value = text;
    render(connection.view);
  });
  $("done-button").addEventListener("click", async () => {
    const cursor = workshop(connection.view).cursor;
    const withdraw = doneStep === cursor;
    const answer = await send({ type: withdraw ? "done.withdraw" : "done.signal" });
    if (answer.type === "ack") doneStep = withdraw ? null : cursor;
    render(connection.view);
  });
  $("hand-button").addEventListener("click", () => {
    const raised = $("hand-button").getAttribute("aria-pressed") === "true";
    send({ type: raised ? "hand.lower" : "hand.raise" });
  });
}

function main() {
  const token = localStorage.getItem(tokenKey(workshopId));
  if (!token) {
    $("no-token").hidden = false;
    setState("closed");
    return;
  }
  wire();
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });
  connection = new LiveConnection(workshopId, token, {
    onView: (view) => render(view),
    onState: setState,
    onError: showError,
  });
  connection.start();
  setInterval(tick, TICK_MS);
}

main();
