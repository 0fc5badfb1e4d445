// The plenary screen, for a facilitator to share with the whole room: the step, a big timer
// from the server's clock, the prompt, the harvested board and revealed poll results. It
// connects with the facilitator's session cookie but shows only what every participant in
// the plenary may see: plenary and harvested items (never hidden ones), no author names, no
// attributes, no hands or help requests, dots only once revealed. Text goes in as textContent.

import { LiveConnection } from "./live.js";
import {
  boardClusters, boardItems, clockText, currentStep, deckCache, el, loadTexts, localiser,
  remainingMs, revealedDots, workshopOf,
} from "./room-util.js";

const TICK_MS = 250;
const CHANGING = new Set(["welcome", "event", "ack", "error", "bye"]);
const { texts, t } = loadTexts();
const root = document.getElementById("plenary");
const lang = root.dataset.lang === "en" ? "en" : "de";
const local = localiser(lang);
const $ = (id) => document.getElementById(id);
let connection = null;
const decks = deckCache(() => { if (connection) render(connection.view); });

/** What everybody in the plenary may see: the plenary's own and harvested content. */
function public_(entry) {
  return (entry.scope === "plenary" || entry.harvested) && !entry.hidden;
}

function scopeLabel(view, scope) {
  if (scope === "plenary") return t("plenary.plenary");
  const topic = view.groups?.[scope]?.topic;
  const number = /-g(\d+)$/.exec(scope)?.[1];
  const name = number ? `${t("plenary.group")} ${number}` : t("plenary.group");
  return topic ? `${name}: ${topic}` : name;
}

function itemText(item) {
  if (item.kind === "wicked_question") return local(item.question) || `${item.pole_a} / ${item.pole_b}`;
  if (item.kind === "card") {
    const card = decks.card(item);
    return card ? local(card.name) : item.card_id ?? "";
  }
  return item.text;
}

function entry(id, item, dots) {
  const line = el("li", { attrs: { "data-item-id": id } }, el("span", { text: itemText(item) }));
  if (id in dots) line.append(el("span", { className: "dots", text: `${dots[id]} ${t(dots[id] === 1 ? "plenary.dots_one" : "plenary.dots")}` }));
  return line;
}

function section(title, items, dots, attrs = {}) {
  return el("section", { attrs }, el("h3", { text: title }),
    el("ul", {}, ...items.map(([id, item]) => entry(id, item, dots))));
}

function renderBoard(view) {
  const dots = revealedDots(view);
  const items = boardItems(view, public_);
  const sections = [];
  const questions = items.filter(([, item]) => item.kind === "wicked_question");
  if (questions.length) {
    questions.sort(([a], [b]) => (dots[b] ?? 0) - (dots[a] ?? 0));
    sections.push(section(t("plenary.questions"), questions, dots, { "data-kind": "questions" }));
  }
  const rest = items.filter(([, item]) => item.kind !== "wicked_question");
  const clusters = boardClusters(view).filter(([, cluster]) => public_(cluster));
  const placed = new Set();
  for (const [cid, cluster] of clusters) {
    const members = rest.filter(([, item]) => item.cluster_id === cid);
    members.forEach(([id]) => placed.add(id));
    if (members.length) {
      sections.push(section(cluster.title || t("plenary.cluster_untitled"), members, dots, { "data-cluster-id": cid }));
    }
  }
  const byScope = new Map();
  for (const [id, item] of rest) {
    if (placed.has(id)) continue;
    if (!byScope.has(item.scope)) byScope.set(item.scope, []);
    byScope.get(item.scope).push([id, item]);
  }
  const scopes = [...byScope.keys()].sort((a, b) =>
    (a === "plenary" ? -1 : b === "plenary" ? 1 : a.localeCompare(b, undefined, { numeric: true })));
  for (const scope of scopes) {
    sections.push(section(scopeLabel(view, scope), byScope.get(scope), dots, { "data-scope": scope }));
  }
  $("board").replaceChildren(...sections);
  $("no-items").hidden = sections.length > 0;
}

function renderPolls(view) {
  const cursor = workshopOf(view).cursor;
  // results the room has been shown: revealed or closed polls of this step
  const shown = Object.entries(view.polls ?? {})
    .filter(([, poll]) => Array.isArray(poll.tallies) && (poll.revealed || poll.status === "closed")
      && poll.step_index === cursor)
    .sort(([, a], [, b]) => String(b.opened_at).localeCompare(String(a.opened_at)));
  $("poll-results").hidden = shown.length === 0;
  $("poll-list").replaceChildren(...shown.map(([id, poll]) => {
    const labels = poll.mood ? poll.values.map(String) : poll.options;
    const total = poll.tallies.reduce((sum, n) => sum + n, 0);
    return el("section", { attrs: { "data-poll-id": id } },
      el("h3", { text: poll.question }),
      el("ul", { className: "results" }, ...poll.tallies.map((count, index) => {
        const bar = el("span", { className: "bar", attrs: { "aria-hidden": "true" } });
        bar.style.width = `${total ? Math.round((count / total) * 100) : 0}%`;
        return el("li", {}, el("span", { text: `${labels[index]}: ${count}` }), bar);
      })));
  }));
}

function renderStep(view) {
  const w = workshopOf(view);
  $("workshop-title").textContent = w.title ?? "";
  const notice = { lobby: "plenary.lobby", paused: "plenary.paused", ended: "plenary.ended" }[w.phase];
  $("phase").hidden = !notice;
  $("phase").textContent = notice ? t(notice) : "";
  const step = currentStep(view);
  $("step-title").textContent = step ? local(step.title) : "";
  $("step-prompt").textContent = step ? local(step.prompt) : "";
  const next = step ? view.plan?.[String(w.cursor + 1)] : null;
  $("next-step").textContent = next ? `${t("plenary.next")}: ${local(next.title)}` : "";
  const latest = Object.entries(view.broadcasts ?? {}).sort(([a], [b]) => Number(b) - Number(a))[0]?.[1];
  $("broadcast").hidden = !latest;
  $("broadcast-text").textContent = latest ? latest.text : "";
}

function tick() {
  if (!connection) return;
  const ms = remainingMs(connection.view, connection.serverNow());
  const out = $("countdown");
  out.dataset.remainingMs = ms === null ? "" : String(Math.round(ms));
  out.classList.toggle("overtime", ms !== null && ms <= 0);
  out.textContent = ms === null ? "–:––" : ms <= 0 ? t("plenary.overtime") : clockText(ms);
}

function render(view) {
  renderStep(view);
  renderPolls(view);
  renderBoard(view);
  tick();
}

function showError(message) {
  const key = `error.${message.code}`;
  $("plenary-error").textContent = key in texts ? t(key) : message.message || t("error.generic");
}

function setState(state) {
  $("connection").dataset.state = state;
  $("connection").textContent = t(`plenary.state.${state}`);
}

function main() {
  // no token: the gateway reads the facilitator's session cookie
  connection = new LiveConnection(root.dataset.workshop, null, {
    onView: (view, message) => { if (!message || CHANGING.has(message.type)) render(view); },
    onState: setState,
    onError: showError,
  });
  connection.start();
  setInterval(tick, TICK_MS);
}

main();
