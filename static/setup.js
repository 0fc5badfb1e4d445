// The workshop setup page: plan a workshop from an agenda (POST /api/workshops), then
// reorder, add, remove and retime its steps through the facilitator API (plan/move,
// plan/steps, plan/steps/{index}). Every answer is the workshop as the server now plans
// it, and the page shows exactly that: total time, projected end and every step. When the
// server refuses (a step ran already, the workshop ended, ...), the page shows the typed
// error and reloads the plan. Titles and texts only ever reach the page via textContent.

const texts = JSON.parse(document.getElementById("texts").textContent);
const t = (key) => texts[key] ?? key;
const lang = document.documentElement.lang === "en" ? "en" : "de";

const root = document.getElementById("setup");
const statusBox = document.getElementById("setup-status");
const errorBox = document.getElementById("setup-error");
const createSection = document.getElementById("create");
const planSection = document.getElementById("plan");
const librarySection = document.getElementById("library");
const stepsList = document.getElementById("steps");
const insertAt = document.getElementById("insert-at");

const MAX_MINUTES = 240;
const clockFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
const numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });

let workshopId = root.dataset.workshop || "";
let workshop = null; // the last facilitators' view the server answered with
let creating = false;
let queue = Promise.resolve(); // plan edits, one after another

// --- talking to the server ----------------------------------------------------------

async function call(method, path, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    return { ok: false, code: "network" };
  }
  if (response.ok) return { ok: true, body: await response.json() };
  let code = "generic";
  try {
    const answer = await response.json();
    code = answer.detail?.code ?? "generic";
  } catch {
    // not a typed error: keep "generic"
  }
  return { ok: false, code };
}

function workshopPath(suffix = "") {
  return `/api/workshops/${encodeURIComponent(workshopId)}${suffix}`;
}

function showError(code) {
  const key = `setup.error.${code}`;
  errorBox.textContent = key in texts ? t(key) : `${t("setup.error.generic")} (${code})`;
  errorBox.dataset.code = code;
}

function clearError() {
  errorBox.textContent = "";
  delete errorBox.dataset.code;
}

function announce(text) {
  statusBox.textContent = text;
}

function toLogin() {
  location.assign(`/login?${new URLSearchParams({ next: location.pathname })}`);
}

// --- formatting ---------------------------------------------------------------------

function minutesOf(seconds) {
  return Math.round((seconds / 60) * 100) / 100;
}

function duration(seconds) {
  const minutes = minutesOf(seconds);
  const text = `${numberFormat.format(minutes)} ${t("setup.minutes_short")}`;
  if (minutes < 60) return text;
  const hours = Math.floor(Math.round(seconds / 60) / 60);
  const rest = Math.round(seconds / 60) - hours * 60;
  return `${text} (${hours} h ${String(rest).padStart(2, "0")} min)`;
}

function clock(iso) {
  return iso ? clockFormat.format(new Date(iso)) : "–";
}

function titleOf(step) {
  return step.title?.[lang] || step.title?.de || step.key;
}

// Positions the server keeps as they are: the current step and every step that ran.
function locked(step) {
  return step.status !== "upcoming" || step.actual_s > 0;
}

// --- rendering ----------------------------------------------------------------------

function button(action, label, stepTitle, disabled) {
  const element = document.createElement("button");
  element.type = "button";
  element.dataset.action = action;
  element.textContent = label;
  element.setAttribute("aria-label", `${t(`setup.step.${action}.label`)}: ${stepTitle}`);
  element.disabled = disabled;
  return element;
}

function stepItem(step, index, steps, ended) {
  const title = titleOf(step);
  const isLocked = ended || locked(step);
  const item = document.createElement("li");
  item.className = `setup-step step-${step.status}`;
  item.dataset.key = step.key;
  item.dataset.locked = String(isLocked);
  item.tabIndex = -1;

  const head = document.createElement("div");
  head.className = "step-head";
  const name = document.createElement("span");
  name.className = "step-title";
  name.textContent = title;
  const meta = document.createElement("span");
  meta.className = "meta";
  const parts = [t(`pages.group.${step.group}`)];
  if (step.projected_start && step.projected_end) {
    parts.push(`${clock(step.projected_start)}–${clock(step.projected_end)}`);
  }
  if (isLocked) parts.push(t(`setup.status.${step.status}`));
  meta.textContent = parts.join(" · ");
  head.append(name, " ", meta);

  const controls = document.createElement("form");
  controls.className = "step-controls";
  controls.noValidate = true;
  const inputId = `minutes-${index}`;
  const label = document.createElement("label");
  label.htmlFor = inputId;
  label.textContent = t("setup.step.minutes");
  const input = document.createElement("input");
  input.id = inputId;
  input.type = "number";
  input.min = "0.5";
  input.max = String(MAX_MINUTES);
  input.step = "any";
  input.inputMode = "decimal";
  input.value = String(minutesOf(step.planned_s));
  input.dataset.committed = input.value;
  input.disabled = isLocked;
  input.className = "minutes";
  input.setAttribute("aria-label", `${t("setup.step.minutes")}: ${title}`);
  const previousLocked = index === 0 || ended || locked(steps[index - 1]);
  controls.append(
    label,
    input,
    button("up", "↑", title, isLocked || previousLocked),
    button("down", "↓", title, isLocked || index === steps.length - 1),
    button("remove", t("setup.step.remove"), title, isLocked || steps.length === 1),
  );
  item.append(head, controls);
  return item;
}

function fillPositions(steps, ended) {
  const previous = insertAt.value;
  insertAt.replaceChildren();
  let first = 0;
  steps.forEach((step, index) => {
    if (locked(step)) first = index + 1;
  });
  const end = document.createElement("option");
  end.value = String(steps.length);
  end.textContent = t("setup.library.at_end");
  insertAt.append(end);
  for (let index = first; index < steps.length; index += 1) {
    const option = document.createElement("option");
    option.value = String(index);
    option.textContent = `${t("setup.library.before")} ${index + 1}: ${titleOf(steps[index])}`;
    insertAt.append(option);
  }
  if ([...insertAt.options].some((option) => option.value === previous)) {
    insertAt.value = previous;
  }
  insertAt.disabled = ended;
  for (const add of librarySection.querySelectorAll("[data-add]")) add.disabled = ended;
}

function render() {
  const steps = workshop.steps;
  const ended = workshop.phase === "ended";
  document.getElementById("plan-title").textContent = workshop.title;
  document.getElementById("plan-phase").textContent = t(`pages.phase.${workshop.phase}`);
  document.getElementById("agenda-link").href = `/workshops/${encodeURIComponent(workshopId)}`;
  document.getElementById("console-link").href = `/console/${encodeURIComponent(workshopId)}`;
  const total = document.getElementById("total");
  total.textContent = duration(workshop.planned_s);
  total.dataset.seconds = String(workshop.planned_s);
  const end = document.getElementById("projected-end");
  end.textContent = clock(workshop.projected_end);
  end.dataset.at = workshop.projected_end ?? "";
  end.dataset.serverTime = workshop.server_time;
  stepsList.replaceChildren(...steps.map((step, index) => stepItem(step, index, steps, ended)));
  fillPositions(steps, ended);
  createSection.hidden = true;
  planSection.hidden = false;
  librarySection.hidden = false;
  root.dataset.version = String(workshop.version);
}

// Focus the same control of the step with ``key`` after a re-render (or the step itself).
function refocus(key, action) {
  const item = [...stepsList.children].find((element) => element.dataset.key === key);
  if (!item) return;
  const wanted = item.querySelector(`[data-action="${action}"]`);
  const fallback = item.querySelector("button:not(:disabled)");
  const target = wanted && !wanted.disabled ? wanted : fallback || item;
  target.focus();
}

// --- actions ------------------------------------------------------------------------

async function load() {
  const answer = await call("GET", workshopPath("/facilitation"));
  if (!answer.ok) {
    if (answer.code === "not_logged_in") toLogin();
    showError(answer.code);
    return false;
  }
  workshop = answer.body;
  render();
  return true;
}

// Plan edits run one after another. Each names its step by key and finds the step's
// position only when its turn comes, so a second click while the first edit is on its way
// acts on the step the person meant. On success the page shows the server's answer; on a
// refusal the typed error and the plan as the server has it now.
function edit(prepare) {
  queue = queue.then(() => runEdit(prepare)).catch(() => showError("generic"));
  return queue;
}

async function runEdit(prepare) {
  if (!workshop) return;
  const request = prepare();
  if (!request) return;
  root.setAttribute("aria-busy", "true");
  clearError();
  try {
    const answer = await call(request.method, workshopPath(request.suffix), request.body);
    if (answer.ok) {
      workshop = answer.body;
      render();
      request.done?.();
    } else {
      if (answer.code === "not_logged_in") toLogin();
      showError(answer.code);
      await load();
    }
  } finally {
    root.removeAttribute("aria-busy");
  }
}

function positionOf(key) {
  return workshop.steps.findIndex((step) => step.key === key);
}

function move(key, offset) {
  const action = offset < 0 ? "up" : "down";
  return edit(() => {
    const index = positionOf(key);
    const target = index + offset;
    if (index < 0 || target < 0 || target >= workshop.steps.length) return null;
    const step = workshop.steps[index];
    return {
      method: "POST",
      suffix: "/plan/move",
      body: { from_index: index, to_index: target },
      done: () => {
        announce(`${t("setup.done.moved")}: ${titleOf(step)} → ${target + 1}`);
        refocus(key, action);
      },
    };
  });
}

function remove(key) {
  return edit(() => {
    const index = positionOf(key);
    if (index < 0) return null;
    const step = workshop.steps[index];
    const neighbour = workshop.steps[index + 1] ?? workshop.steps[index - 1];
    return {
      method: "DELETE",
      suffix: `/plan/steps/${index}`,
      done: () => {
        announce(`${t("setup.done.removed")}: ${titleOf(step)}`);
        if (neighbour) refocus(neighbour.key, "remove");
      },
    };
  });
}

function retime(key, input) {
  if (input.value === input.dataset.committed) return;
  const minutes = Number(input.value.replace(",", "."));
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_MINUTES) {
    showError("invalid_minutes");
    input.value = input.dataset.committed;
    return;
  }
  input.dataset.committed = input.value;
  const seconds = Math.round(minutes * 60);
  edit(() => {
    const index = positionOf(key);
    if (index < 0 || workshop.steps[index].planned_s === seconds) return null;
    const step = workshop.steps[index];
    return {
      method: "PATCH",
      suffix: `/plan/steps/${index}`,
      body: { minutes },
      done: () => {
        announce(`${t("setup.done.retimed")}: ${titleOf(step)}, ${duration(seconds)}`);
        const item = [...stepsList.children].find((element) => element.dataset.key === key);
        item?.querySelector("input.minutes")?.focus();
      },
    };
  });
}

function add(sourceId, name) {
  return edit(() => ({
    method: "POST",
    suffix: "/plan/steps",
    body: { source_id: sourceId, index: Number(insertAt.value) },
    done: () => {
      const total = duration(workshop.planned_s);
      announce(`${t("setup.done.added")}: ${name} (${t("setup.total")} ${total})`);
    },
  }));
}

async function create(event) {
  event.preventDefault();
  if (creating) return;
  const chosen = document.querySelector('input[name="agenda"]:checked');
  if (!chosen) {
    showError("no_agenda");
    return;
  }
  const title = document.getElementById("new-title").value.trim();
  const submit = document.getElementById("create-submit");
  creating = true;
  submit.disabled = true;
  clearError();
  const answer = await call("POST", "/api/workshops", {
    source_id: chosen.value,
    title: title || null,
  });
  creating = false;
  submit.disabled = false;
  if (!answer.ok) {
    if (answer.code === "not_logged_in") toLogin();
    showError(answer.code);
    return;
  }
  workshop = answer.body;
  workshopId = workshop.id;
  root.dataset.workshop = workshopId;
  const path = `/workshops/${encodeURIComponent(workshopId)}/setup`;
  history.replaceState(null, "", path);
  const switcher = document.querySelector(".lang-switch");
  if (switcher) switcher.href = `${path}?lang=${switcher.hreflang}`;
  render();
  announce(t("setup.done.created"));
  const heading = document.getElementById("plan-title");
  heading.tabIndex = -1;
  heading.focus();
}

// --- wiring -------------------------------------------------------------------------

document.getElementById("create-form").addEventListener("submit", create);

stepsList.addEventListener("click", (event) => {
  const target = event.target.closest("button[data-action]");
  if (!target || target.disabled) return;
  const key = target.closest("li").dataset.key;
  if (target.dataset.action === "up") move(key, -1);
  else if (target.dataset.action === "down") move(key, 1);
  else if (target.dataset.action === "remove") remove(key);
});

stepsList.addEventListener("change", (event) => {
  if (!event.target.matches("input.minutes")) return;
  retime(event.target.closest("li").dataset.key, event.target);
});

stepsList.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.target.querySelector("input.minutes");
  if (input) retime(event.target.closest("li").dataset.key, input);
});

// Alt+↑ and Alt+↓ move the step that holds the focus.
stepsList.addEventListener("keydown", (event) => {
  if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
  const item = event.target.closest("li.setup-step");
  if (!item) return;
  const wanted = item.querySelector(`[data-action="${event.key === "ArrowUp" ? "up" : "down"}"]`);
  event.preventDefault();
  if (wanted && !wanted.disabled) wanted.click();
});

librarySection.addEventListener("click", (event) => {
  const target = event.target.closest("button[data-add]");
  if (!target || target.disabled) return;
  const name = target.closest("li").querySelector("h3").textContent;
  add(target.dataset.add, name);
});

if (workshopId) load();
