// The participant room: connects with the token stored at joining, keeps the view current
// through static/live.js and renders it: facilitators' broadcasts, the step with its prompt
// and countdown (server time, offset-corrected), my group, members, role and video links,
// the signals ("done", raise hand, ask for help), the board (room-board.js) and personal
// work, polls and check-out (room-personal.js). User text goes in with textContent only.

import { LiveConnection } from "./live.js";
import { tokenKey } from "./storage.js";
import { createBoard } from "./room-board.js";
import { createPersonal } from "./room-personal.js";
import { createMyData } from "./room-mydata.js";
import {
  actingIndex, clockText, currentStep, loadTexts, localiser, remainingMs, workshopOf,
} from "./room-util.js";

const TICK_MS = 250;
const CHANGING = new Set(["welcome", "event", "ack", "error", "bye"]); // messages that can change the page
const { texts, t } = loadTexts();
const root = document.getElementById("room");
const lang = root.dataset.lang === "en" ? "en" : "de";
const local = localiser(lang);
const workshopId = root.dataset.workshop;
const $ = (id) => document.getElementById(id);

let doneStep = null; // the step index this tab said "done" for
let helpSent = false; // a help request on its way to the server
let dismissedBroadcast = null; // the number of the broadcast this person put away
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

function showError(message) {
  const own = `room.error.${message.code}`;
  const shared = `error.${message.code}`;
  const known = own in texts ? own : shared in texts ? shared : null;
  $("room-error").textContent = known ? t(known) : message.message || t("error.generic");
}

function setState(state) {
  const box = $("connection");
  box.dataset.state = state;
  box.textContent = t(`room.state.${state}`);
}

function me(view = connection?.view ?? {}) {
  return view.me?.main ?? {};
}

function tick() {
  if (!connection) return;
  const ms = remainingMs(connection.view, connection.serverNow());
  const out = $("countdown");
  if (ms === null) {
    out.textContent = "–:––";
    out.dataset.remainingMs = "";
    out.classList.remove("overtime");
    return;
  }
  const running = workshopOf(connection.view).phase === "running";
  if (running && lastLeftMs !== null && lastLeftMs > 0 && ms <= 0) timeUpCue();
  lastLeftMs = running ? ms : null;
  out.dataset.remainingMs = String(Math.round(ms));
  out.classList.toggle("overtime", ms <= 0);
  out.textContent = ms <= 0 ? t("room.overtime") : clockText(ms);
}

function renderBroadcast(view) {
  const [number, latest] = Object.entries(view.broadcasts ?? {})
    .sort(([a], [b]) => Number(b) - Number(a))[0] ?? [];
  $("broadcast").hidden = !latest || number === dismissedBroadcast;
  const text = $("broadcast-text");
  if (latest && text.textContent !== latest.text) text.textContent = latest.text;
  $("broadcast").dataset.number = number ?? "";
}

function renderStep(view) {
  const w = workshopOf(view);
  $("workshop-title").textContent = w.title ?? "";
  const phase = $("phase");
  const notice = { lobby: "room.lobby", paused: "room.paused", ended: "room.ended" }[w.phase];
  phase.hidden = !notice;
  phase.textContent = notice ? t(notice) : "";
  const step = currentStep(view);
  $("step-title").textContent = step ? local(step.title) : "";
  $("step-prompt").textContent = step ? local(step.prompt) : "";
  const next = step ? view.plan?.[String(actingIndex(view) + 1)] : null;
  $("next-step").textContent = next ? `${t("room.next")}: ${local(next.title)}` : "";
}

function showLink(entry, anchor, href) {
  const safe = typeof href === "string" && /^https?:\/\//i.test(href);
  $(entry).hidden = !safe;
  if (safe) $(anchor).href = href;
  else $(anchor).removeAttribute("href");
  return safe;
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
  const video = mine.video ?? {};
  const groupLink = showLink("video-group-entry", "video-group", group ? video.group : null);
  const plenaryLink = showLink("video-plenary-entry", "video-plenary", video.plenary);
  $("video").hidden = !groupLink && !plenaryLink;
}

function renderSignals(view) {
  const mine = me(view);
  const w = workshopOf(view);
  const done = doneStep !== null && doneStep === w.cursor;
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
  const running = w.phase === "running";
  const allowed = currentStep(view)?.permissions?.actions ?? [];
  doneButton.disabled = !running;
  handButton.hidden = !allowed.includes("hand") && !raised;
  handButton.disabled = !running;
  // help goes to a breakout group's facilitators: only while the person sits in a group
  const group = view.breakouts?.main?.open && mine.scope !== "plenary" ? view.groups?.[mine.scope] : null;
  const asked = Boolean(group?.help_requested) || helpSent;
  const helpButton = $("help-button");
  helpButton.hidden = !group;
  helpButton.disabled = asked || w.phase === "ended" || w.phase === "lobby";
  helpButton.setAttribute("aria-pressed", String(asked));
  $("help-state").textContent = group && asked ? t("room.help_asked") : "";
}

let board = null;
let personal = null;

function render(view) {
  renderBroadcast(view);
  renderStep(view);
  renderGroup(view);
  renderSignals(view);
  board.render(view);
  personal.render(view);
  tick();
}

function rerender() {
  if (connection) render(connection.view);
}

async function send(command) {
  $("room-error").textContent = "";
  const answer = await connection.command(command);
  if (answer.type === "error") showError(answer);
  return answer;
}

function wire() {
  $("done-button").addEventListener("click", async () => {
    const cursor = workshopOf(connection.view).cursor;
    const withdraw = doneStep === cursor;
    doneStep = withdraw ? null : cursor; // shown at once, undone if the server refuses
    rerender();
    const answer = await send({ type: withdraw ? "done.withdraw" : "done.signal" });
    if (answer.type === "error" && answer.code !== "already_done" && answer.code !== "not_done") {
      doneStep = withdraw ? cursor : null;
    }
    rerender();
  });
  $("broadcast-dismiss").addEventListener("click", () => {
    dismissedBroadcast = $("broadcast").dataset.number;
    rerender();
    $("step-title").focus();
  });
  $("hand-button").addEventListener("click", () => {
    const raised = $("hand-button").getAttribute("aria-pressed") === "true";
    send({ type: raised ? "hand.lower" : "hand.raise" });
  });
  $("help-button").addEventListener("click", async () => {
    helpSent = true;
    rerender();
    await send({ type: "help.ask" });
    helpSent = false;
    rerender();
  });
  board.wire();
  personal.wire();
}

function main() {
  const token = localStorage.getItem(tokenKey(workshopId));
  if (!token) {
    $("no-token").hidden = false;
    setState("closed");
    return;
  }
  const context = { t, local, send, me: () => me(), rerender };
  board = createBoard(context);
  personal = createPersonal(context);
  wire();
  createMyData({
    t, token, workshopId,
    onLeft: () => {
      localStorage.removeItem(tokenKey(workshopId));
      connection.stop("closed");
      for (const button of document.querySelectorAll("#room button")) button.disabled = true;
    },
  }).wire();
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });
  connection = new LiveConnection(workshopId, token, {
    onView: (view, message) => { if (!message || CHANGING.has(message.type)) render(view); },
    onState: setState,
    onError: showError,
  });
  connection.start();
  setInterval(tick, TICK_MS);
}

main();
