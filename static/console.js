// The facilitator console: connects to the live gateway with the session cookie (through
// static/live.js), keeps the facilitators' view current and renders it: the current step
// with its countdown, the agenda with planned, actual and projected times and the live
// re-plan, the controls, every group's board, breakouts and who is here (console-rooms.js).
// Every button sends one protocol command; what the page shows comes from the view the
// server sends back, and refusals show as typed errors. User text only via textContent.

import { LiveConnection } from "./live.js";
import { el, setAttr, setText, sync } from "./console-dom.js";
import { liveTimes, onTime, shortenSuggestions } from "./console-plan.js";
import { renderRooms, wireRooms } from "./console-rooms.js";
import { createInvite } from "./console-invite.js";

const TICK_MS = 500;
const texts = JSON.parse(document.getElementById("texts").textContent);
const root = document.getElementById("console");
const lang = root.dataset.lang === "en" ? "en" : "de";
const locale = lang === "en" ? "en-GB" : "de-DE";
const workshopId = root.dataset.workshop;
const $ = (id) => document.getElementById(id);

let connection = null;

const t = (key) => texts[key] ?? key;
/** A text with `{name}` placeholders filled in. */
const tf = (key, values) => t(key).replace(/\{(\w+)\}/g, (whole, name) => String(values[name] ?? whole));
const local = (value) => (value && typeof value === "object" ? value[lang] ?? value.de ?? "" : value ?? "");

function clockTime(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "–";
  return new Date(ms).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}

function duration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

function minutes(ms) {
  const value = Math.round((ms / 60_000) * 10) / 10;
  return `${value.toLocaleString(locale)} min`;
}

function showError(message) {
  const code = message.code ?? "generic";
  let text = texts[`console.error.${code}`] ?? texts[`error.${code}`];
  if (!text) text = message.message ? `${t("console.error.refused")}: ${message.message}` : t("error.generic");
  setText($("console-error"), text);
  if (!message.ref && ["not_authenticated", "logged_out"].includes(code)) $("relogin").hidden = false;
}

/**
 * Send a command and resolve with the server's answer (null when `button` is still waiting
 * for its last one: a double click sends nothing twice). The button is marked busy rather
 * than disabled, so it keeps the keyboard focus.
 */
async function send(command, button = null) {
  if (button?.getAttribute("aria-busy") === "true") return null;
  setText($("console-error"), "");
  button?.setAttribute("aria-busy", "true");
  try {
    return await connection.command(command);
  } finally {
    button?.removeAttribute("aria-busy");
    if (connection) render(connection.view);
  }
}

function setState(state) {
  const box = $("connection");
  box.dataset.state = state;
  setText(box, t(`console.state.${state}`));
  root.dataset.state = state;
  if (connection) render(connection.view);
}

const workshop = (view) => view.workshop?.main ?? {};

function currentStep(view) {
  const cursor = workshop(view).cursor;
  return cursor === null || cursor === undefined ? null : view.plan?.[String(cursor)] ?? null;
}

function remainingMs(view) {
  const w = workshop(view);
  if (w.phase === "running" && w.deadline) return Date.parse(w.deadline) - connection.serverNow();
  if (w.phase === "paused" && typeof w.remaining_s === "number") return w.remaining_s * 1000;
  return null;
}

function renderNow(view, times) {
  const w = workshop(view);
  setText($("workshop-title"), w.title ?? $("workshop-title").textContent);
  $("phase").hidden = false;
  setText($("phase"), t(`console.phase.${w.phase ?? "lobby"}`));
  $("phase").dataset.phase = w.phase ?? "lobby";
  const step = w.phase === "lobby" || w.phase === "ended" ? null : currentStep(view);
  const count = Object.keys(view.plan ?? {}).length;
  setText($("step-title"), step ? `${w.cursor + 1}/${count} · ${local(step.title)}` : "");
  setText(
    $("step-meta"),
    step ? `${t(`console.group_kind.${step.group?.kind}`)} · ${minutes(step.seconds * 1000)} ${t("console.planned")}` : "",
  );
  const out = $("countdown");
  const left = connection ? remainingMs(view) : null;
  if (left === null) {
    setText(out, "–:––");
    out.dataset.remainingMs = "";
    out.classList.remove("overtime");
  } else {
    out.dataset.remainingMs = String(Math.round(left));
    out.classList.toggle("overtime", left < 0);
    setText(out, left < 0 ? `+${duration(-left)}` : duration(left));
  }
  $("awaiting").hidden = !(w.awaiting_decision || (w.expired && w.phase === "running"));
  const planned = $("planned-end");
  planned.dataset.endMs = String(times.plannedEnd);
  setText(planned, w.started_at ? clockTime(times.plannedEnd) : `${clockTime(times.plannedEnd)} ${t("console.if_started_now")}`);
  const projected = $("projected-end");
  projected.dataset.endMs = times.projectedEnd === null ? "" : String(times.projectedEnd);
  setText(projected, clockTime(times.projectedEnd));
  const drift = $("drift");
  drift.dataset.driftMs = String(Math.round(times.driftMs));
  drift.classList.toggle("late", !onTime(times.driftMs) && times.driftMs > 0);
  if (onTime(times.driftMs)) setText(drift, t("console.on_time"));
  else if (times.driftMs > 0) setText(drift, tf("console.late_by", { minutes: minutes(times.driftMs) }));
  else setText(drift, tf("console.early_by", { minutes: minutes(-times.driftMs) }));
}

function renderControls(view) {
  const w = workshop(view);
  const online = root.dataset.state === "online";
  const phase = w.phase ?? "lobby";
  const live = phase === "running" || phase === "paused";
  $("start-button").hidden = phase !== "lobby";
  $("start-button").disabled = !online;
  const pause = $("pause-button");
  pause.hidden = !live;
  setText(pause, phase === "paused" ? t("console.resume") : t("console.pause"));
  setAttr(pause, "aria-pressed", phase === "paused" ? "true" : "false");
  for (const id of ["pause-button", "extend-1", "extend-5", "next-button", "end-button"]) {
    $(id).disabled = !online || !live;
  }
  $("end-button").disabled = !online || phase === "ended";
  $("back-button").disabled = !online || !live || (w.cursor ?? 0) === 0;
}

function stepTimes(row, w) {
  const parts = [];
  if (w.started_at) parts.push(`${t("console.planned")} ${clockTime(row.plannedStart)}–${clockTime(row.plannedEnd)}`);
  if (row.actual) {
    const end = row.actual.end === null ? "…" : clockTime(row.actual.end);
    parts.push(`${t("console.actual")} ${clockTime(row.actual.start)}–${end} (${duration(row.actual.activeMs)})`);
  }
  if (row.projectedStart !== null && row.status !== "done") {
    parts.push(`${t("console.projected")} ${clockTime(row.projectedStart)}–${clockTime(row.projectedEnd)}`);
  }
  return parts.join(" · ");
}

function renderAgenda(view, times) {
  const w = workshop(view);
  const online = root.dataset.state === "online";
  sync(
    $("agenda"),
    times.rows.map((row) => [String(row.index), row]),
    (key) => {
      const jump = el("button", { type: "button", className: "small secondary jump" });
      jump.addEventListener("click", () => {
        const index = Number(key);
        send({ type: "step.jump", index }, jump);
      });
      return el(
        "li",
        { className: "step" },
        el("span", { className: "title" }),
        el("span", { className: "meta kind" }),
        el("span", { className: "meta times" }),
        jump,
      );
    },
    (li, row) => {
      li.className = `step step-${row.status}`;
      setAttr(li, "aria-current", row.status === "current" ? "step" : null);
      const title = `${row.index + 1}. ${local(row.step.title)}`;
      setText(li.querySelector(".title"), title);
      const status = t(`console.status.${row.status}`);
      setText(
        li.querySelector(".kind"),
        `${status} · ${t(`console.group_kind.${row.step.group?.kind}`)} · ${minutes(row.plannedMs)}`,
      );
      setText(li.querySelector(".times"), stepTimes(row, w));
      const jump = li.querySelector(".jump");
      setText(jump, t("console.jump"));
      setAttr(jump, "aria-label", tf("console.jump_to", { title }));
      jump.hidden = w.phase === "ended" || row.status === "current";
      jump.disabled = !online || w.phase === "lobby";
    },
  );
  const suggestions = shortenSuggestions(times);
  $("shorten").hidden = suggestions.length === 0;
  sync(
    $("shorten-list"),
    suggestions.map((s) => [`${s.index}:${s.toMinutes}`, s]),
    (key, s) => {
      const button = el("button", { type: "button", className: "small" });
      button.addEventListener("click", () => send({ type: "plan.retime", index: s.index, minutes: s.toMinutes }, button));
      return el("li", {}, el("span", { className: "what" }), " ", button);
    },
    (li, s) => {
      const title = `${s.index + 1}. ${local(s.step.title)}`;
      setText(li.querySelector(".what"), `${title}: ${minutes(s.fromMs)} → ${minutes(s.toMinutes * 60_000)}`);
      const button = li.querySelector("button");
      setText(button, t("console.shorten_apply"));
      setAttr(button, "aria-label", tf("console.shorten_to", { title, minutes: minutes(s.toMinutes * 60_000) }));
      button.disabled = !online;
    },
  );
}

const context = {
  t,
  tf,
  local,
  send,
  clockTime,
  lang,
  view: () => connection?.view ?? {},
  online: () => root.dataset.state === "online",
  confirm: (text) => window.confirm(text),
};
const invite = createInvite({ ...context, workshopId });

function render(view) {
  renderControls(view);
  if (!view.workshop) return; // not welcomed yet: nothing to show but disabled controls
  const times = liveTimes(view, connection ? connection.serverNow() : Date.now());
  renderNow(view, times);
  renderAgenda(view, times);
  renderRooms(context, view);
  invite.render(view);
}

function tick() {
  if (!connection?.view.workshop) return;
  const view = connection.view;
  const times = liveTimes(view, connection.serverNow());
  renderNow(view, times);
  renderAgenda(view, times);
}

function previousTitle(view) {
  const cursor = workshop(view).cursor ?? 0;
  return local(view.plan?.[String(cursor - 1)]?.title);
}

function wire() {
  $("start-button").addEventListener("click", (event) => send({ type: "workshop.start" }, event.currentTarget));
  $("pause-button").addEventListener("click", (event) => {
    const paused = workshop(connection.view).phase === "paused";
    send({ type: paused ? "workshop.resume" : "workshop.pause" }, event.currentTarget);
  });
  $("extend-1").addEventListener("click", (event) => send({ type: "step.extend", seconds: 60 }, event.currentTarget));
  $("extend-5").addEventListener("click", (event) => send({ type: "step.extend", seconds: 300 }, event.currentTarget));
  $("next-button").addEventListener("click", (event) => {
    send({ type: "step.next", from_index: workshop(connection.view).cursor }, event.currentTarget);
  });
  $("back-button").addEventListener("click", (event) => {
    const view = connection.view;
    if (!context.confirm(tf("console.confirm_back", { title: previousTitle(view) }))) return;
    send({ type: "step.back", from_index: workshop(view).cursor }, event.currentTarget);
  });
  $("end-button").addEventListener("click", (event) => {
    if (!context.confirm(t("console.confirm_end"))) return;
    send({ type: "workshop.end" }, event.currentTarget);
  });
  $("logout-button").addEventListener("click", async () => {
    try {
      await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
    } finally {
      connection?.stop("closed");
      location.assign("/login");
    }
  });
  $("delete-workshop")?.addEventListener("click", async () => {
    if (!window.confirm(t("console.confirm_delete"))) return;
    const response = await fetch(`/api/workshops/${encodeURIComponent(workshopId)}`, {
      method: "DELETE",
      credentials: "same-origin",
    }).catch(() => null);
    if (!response?.ok) {
      setText($("console-error"), t("console.delete_failed"));
      return;
    }
    connection?.stop("closed");
    location.assign("/");
  });
  wireRooms(context);
}

function main() {
  wire();
  invite.wire();
  connection = new LiveConnection(workshopId, null, {
    onView: (view, message) => {
      if (message.type === "welcome" || message.type === "event") render(view);
    },
    onState: setState,
    onError: showError,
  });
  connection.start();
  setInterval(tick, TICK_MS);
}

main();
