// Personal work in the participant room: polls (answer, results once revealed), the private
// canvas (idea, goal, measurable milestones) with one explicit sharing choice per audience,
// the check-out reflections, and what others shared with this person. Fields someone is
// typing in are never overwritten by the server's copy.

import { randomId } from "./live.js";
import { currentStep, el, rebuild, workshopOf } from "./room-util.js";

const $ = (id) => document.getElementById(id);
const AUDIENCES = ["group", "plenary", "export"];
const QUESTIONS = ["exciting", "learn_more", "take_away"];

export function createPersonal({ t, send, me, rerender }) {
  const dirty = new Set(); // fields typed in since the last save
  const pendingPolls = new Map(); // poll id -> choices sent and not yet answered
  const draftPolls = new Map(); // poll id -> choices ticked and not sent yet (kept across renders)
  let view = {};

  function allowed(action) {
    return (currentStep(view)?.permissions?.actions ?? []).includes(action);
  }

  function active() {
    const phase = workshopOf(view).phase;
    return phase === "running" || phase === "paused";
  }

  /** Put the server's text into a field unless the person is editing it. */
  function sync(field, value) {
    if (dirty.has(field.id) || document.activeElement === field) return;
    field.value = value ?? "";
  }

  // --- polls --------------------------------------------------------------------------

  function pollChoices(id) {
    const unsent = draftPolls.get(id) ?? pendingPolls.get(id);
    if (unsent) return unsent;
    return view.my_poll_answers?.[id]?.choices ?? [];
  }

  function answerable(poll) {
    const cursor = workshopOf(view).cursor;
    return poll.status === "open" && active() && !(poll.anonymous && poll.revealed)
      && (allowed("poll") || poll.step_index === cursor);
  }

  function pollLabels(poll) {
    return poll.mood ? poll.values.map((value) => `${value} · ${t(`room.mood.${value}`)}`) : poll.options;
  }

  function pollEntry(id, poll) {
    const headingId = `poll-q-${id}`;
    const box = el("section", {
      className: "poll",
      attrs: { "aria-labelledby": headingId, "data-poll-id": id, "data-key": id, "aria-busy": pendingPolls.has(id) ? "true" : null },
    },
      el("h3", { text: poll.question, attrs: { id: headingId } }));
    const notes = [poll.anonymous ? t("room.poll_anonymous") : t("room.poll_named")];
    if (poll.status === "closed") notes.push(t("room.poll_closed"));
    box.append(el("p", { className: "meta", text: notes.join(" · ") }));
    const labels = pollLabels(poll);
    if (answerable(poll)) {
      const chosen = new Set(pollChoices(id));
      const form = el("form", { className: "stack poll-form" });
      const group = el("fieldset", {}, el("legend", { className: "visually-hidden", text: poll.question }));
      poll.values.forEach((value, index) => {
        const inputId = `poll-${id}-${value}`;
        const input = el("input", {
          attrs: {
            type: poll.multiple ? "checkbox" : "radio", name: `poll-${id}`, value: String(value), id: inputId,
            "data-focus-key": `poll:${id}:${value}`, checked: chosen.has(value),
          },
        });
        group.append(el("label", { className: "check", attrs: { for: inputId } }, input, el("span", { text: labels[index] })));
      });
      const answered = view.my_poll_answers?.[id] !== undefined;
      form.append(group, el("button", {
        text: answered ? t("room.poll_change") : t("room.poll_answer"),
        attrs: { type: "submit", "data-focus-key": `poll-submit:${id}` },
      }));
      if (answered) form.append(el("p", { className: "meta", text: t("room.poll_answered") }));
      const ticked = () => [...form.querySelectorAll("input:checked")].map((input) => Number(input.value));
      form.addEventListener("change", () => draftPolls.set(id, ticked()));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const choices = ticked();
        draftPolls.delete(id);
        if (choices.length) answerPoll(id, choices);
      });
      box.append(form);
    }
    if (Array.isArray(poll.tallies)) {
      const total = poll.tallies.reduce((sum, n) => sum + n, 0);
      box.append(el("p", { className: "meta", text: `${t("room.poll_results")} (${poll.answered} ${t("room.poll_answers")})` }));
      box.append(el("ul", { className: "results" }, ...poll.tallies.map((count, index) => {
        const share = total ? Math.round((count / total) * 100) : 0;
        const bar = el("span", { className: "bar", attrs: { "aria-hidden": "true" } });
        bar.style.width = `${share}%`;
        return el("li", {}, el("span", { text: `${labels[index]}: ${count}` }), bar);
      })));
    }
    return box;
  }

  function renderPolls() {
    const cursor = workshopOf(view).cursor;
    const shown = Object.entries(view.polls ?? {})
      .filter(([, poll]) => poll.status === "open" || (Array.isArray(poll.tallies) && poll.step_index === cursor))
      .sort(([, a], [, b]) => String(b.opened_at).localeCompare(String(a.opened_at)));
    $("polls").hidden = shown.length === 0;
    rebuild($("poll-list"), () => shown.map(([id, poll]) => pollEntry(id, poll)));
  }

  async function answerPoll(id, choices) {
    pendingPolls.set(id, choices);
    rerender();
    await send({ type: "poll.answer", poll_id: id, choices });
    pendingPolls.delete(id);
    rerender();
  }

  // --- canvas -------------------------------------------------------------------------

  function renderSharing(fieldset, consents, enabled) {
    for (const box of fieldset.querySelectorAll("input[data-audience]")) {
      if (box.dataset.pending) continue;
      box.checked = consents.includes(box.dataset.audience);
      const needsGroup = box.dataset.audience === "group" && (me().scope ?? "plenary") === "plenary";
      box.disabled = !enabled || (needsGroup && !box.checked);
    }
  }

  function privacyText(consents) {
    const live = consents.filter((c) => c !== "export");
    if (live.length === 0) return t("room.canvas_private");
    return `${t("room.shared_with")}: ${live.map((c) => t(`room.share_${c}`)).join(", ")}`;
  }

  function renderCanvas() {
    const canvas = view.my_canvas?.main ?? null;
    const open = active() && (allowed("canvas") || canvas !== null);
    $("canvas").hidden = !allowed("canvas") && canvas === null;
    sync($("canvas-idea"), canvas?.idea);
    sync($("canvas-goal"), canvas?.goal);
    for (const id of ["canvas-idea", "canvas-goal"]) $(id).disabled = !open;
    for (const button of $("canvas").querySelectorAll("button[type=submit]")) button.disabled = !open;
    const consents = canvas?.consents ?? [];
    $("canvas-privacy").textContent = privacyText(consents);
    renderSharing($("canvas-sharing"), consents, open && canvas !== null);
    rebuild($("milestones"), () => (canvas?.milestones ?? []).map((m) => {
      const remove = el("button", {
        className: "secondary",
        text: t("room.milestone_remove"),
        attrs: { type: "button", "data-focus-key": `milestone:${m.id}`, "aria-describedby": `milestone-${m.id}` },
      });
      remove.disabled = !open;
      remove.addEventListener("click", () => send({ type: "canvas.remove_milestone", milestone_id: m.id }));
      return el("li", { className: "milestone", attrs: { "data-key": m.id } },
        el("p", { text: m.what, attrs: { id: `milestone-${m.id}` } }),
        el("p", { className: "meta", text: `${t("room.milestone_when")}: ${m.by_when} · ${t("room.milestone_how")}: ${m.how_measured}` }),
        remove);
    }));
  }

  // --- reflections --------------------------------------------------------------------

  function renderReflections() {
    const open = active() && allowed("reflection");
    const mine = view.my_reflections ?? {};
    $("reflections").hidden = !allowed("reflection");
    for (const form of document.querySelectorAll("form.reflection")) {
      const question = form.dataset.question;
      sync(form.querySelector("textarea"), mine[question]?.text);
      form.querySelector("textarea").disabled = !open;
      form.querySelector("button").disabled = !open;
      renderSharing(form.querySelector("fieldset"), mine[question]?.consents ?? [], active() && question in mine);
    }
  }

  // --- what others shared ---------------------------------------------------------------

  function renderShared() {
    const mine = me().id;
    const canvases = Object.entries(view.canvases_shared ?? {}).filter(([owner]) => owner !== mine);
    const reflections = QUESTIONS
      .map((question) => [question, (view.reflections_shared?.[question] ?? []).filter((r) => r.author !== mine)])
      .filter(([, list]) => list.length > 0);
    $("shared").hidden = canvases.length === 0 && reflections.length === 0;
    rebuild($("shared-canvases"), () => canvases.map(([owner, canvas]) =>
      el("article", { className: "shared-canvas", attrs: { "data-owner": owner, "data-key": owner } },
        el("h3", { text: `${t("room.canvas_of")} ${view.people?.[owner]?.name ?? "?"}` }),
        el("p", { className: "meta", text: t("room.canvas_idea") }), el("p", { text: canvas.idea }),
        el("p", { className: "meta", text: t("room.canvas_goal") }), el("p", { text: canvas.goal }),
        el("ul", {}, ...canvas.milestones.map((m) =>
          el("li", { text: `${m.what} – ${m.by_when} – ${m.how_measured}` }))))));
    rebuild($("shared-reflections"), () => reflections.map(([question, list]) =>
      el("section", { className: "shared-reflections", attrs: { "data-key": question } },
        el("h3", { text: t(`room.reflection.${question}`) }),
        el("ul", {}, ...list.map((r) => {
          const name = r.author ? view.people?.[r.author]?.name : null;
          return el("li", { text: name ? `${r.text} (${name})` : r.text });
        })))));
  }

  function render(current) {
    view = current;
    renderPolls();
    renderCanvas();
    renderReflections();
    renderShared();
  }

  // --- wiring -------------------------------------------------------------------------

  /** A sharing checkbox: the tick shows at once, and goes back if the server refuses. */
  function wireSharing(fieldset, command) {
    for (const box of fieldset.querySelectorAll("input[data-audience]")) {
      box.addEventListener("change", async () => {
        const granted = box.checked;
        box.dataset.pending = "1";
        const answer = await send({ ...command(), audience: box.dataset.audience, granted });
        delete box.dataset.pending;
        if (answer.type === "error") box.checked = !granted;
        rerender();
      });
    }
  }

  function wire() {
    for (const id of ["canvas-idea", "canvas-goal"]) {
      $(id).addEventListener("input", () => dirty.add(id));
    }
    $("canvas-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await send({ type: "canvas.update", idea: $("canvas-idea").value, goal: $("canvas-goal").value });
      if (answer.type === "ack") {
        dirty.delete("canvas-idea");
        dirty.delete("canvas-goal");
      }
      rerender();
    });
    $("milestone-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = [$("milestone-what"), $("milestone-when"), $("milestone-how")];
      const [what, byWhen, how] = fields.map((field) => field.value.trim());
      if (!what || !byWhen || !how) return;
      const answer = await send({
        type: "canvas.set_milestone", milestone_id: randomId("m-"), what, by_when: byWhen, how_measured: how,
      });
      if (answer.type === "ack") for (const field of fields) field.value = "";
      rerender();
    });
    wireSharing($("canvas-sharing"), () => ({ type: "canvas.share" }));
    for (const form of document.querySelectorAll("form.reflection")) {
      const question = form.dataset.question;
      const field = form.querySelector("textarea");
      field.addEventListener("input", () => dirty.add(field.id));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const text = field.value.trim();
        if (!text) return;
        const answer = await send({ type: "reflection.submit", question, text });
        if (answer.type === "ack") dirty.delete(field.id);
        rerender();
      });
      wireSharing(form.querySelector("fieldset"), () => ({ type: "reflection.share", question }));
    }
  }

  return { render, wire };
}
