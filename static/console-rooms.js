// The console's rooms: every group's board (and the plenary's) with its members, "done"
// signals, raised hands and help requests; moderation of items and the vote reveal; opening
// and closing breakouts, moving people, broadcasts; and who is here. Everything is drawn
// from the facilitators' view (docs/protocol.md, Sections) and every button sends one
// protocol command through ctx.send. User text only via textContent.

import { el, setAttr, setText, sync, syncOptions } from "./console-dom.js";
import { boardSteps } from "./room-util.js";

const PLENARY = "plenary";
const NEW_GROUP = ""; // the move form's choice for "a new group"
const $ = (id) => document.getElementById(id);

const naturally = (a, b) => a.localeCompare(b, undefined, { numeric: true });

/** A group's name for people: its topic, or "Group 2" from an id like "r1-g2". */
export function groupLabel(ctx, view, scope) {
  if (scope === PLENARY) return ctx.t("console.plenary");
  const topic = view.groups?.[scope]?.topic;
  if (topic) return topic;
  const number = /-g(\d+)$/.exec(scope)?.[1];
  return number ? ctx.tf("console.group_n", { n: number }) : scope;
}

const personName = (view, id) => view.people?.[id]?.name ?? "?";
const workshop = (view) => view.workshop?.main ?? {};

function scopeOf(view, participantId) {
  for (const [gid, group] of Object.entries(view.groups ?? {})) {
    if ((group.members ?? []).includes(participantId)) return gid;
  }
  return PLENARY;
}

function roleName(ctx, view, roleId) {
  const step = view.plan?.[String(workshop(view).cursor)];
  const role = (step?.roles ?? []).find((r) => r.id === roleId);
  return role ? ctx.local(role.name) : roleId;
}

function currentTally(view) {
  const cursor = workshop(view).cursor;
  return Object.values(view.tallies ?? {}).find((tally) => tally.step_index === cursor) ?? null;
}

/** The scopes to draw a board for: the plenary, every open group, and any scope with items now. */
function boardScopes(view) {
  const cursor = workshop(view).cursor;
  const scopes = new Set(Object.keys(view.groups ?? {}));
  for (const item of Object.values(view.items ?? {})) {
    if (item.step_index === cursor && item.scope !== PLENARY) scopes.add(item.scope);
  }
  return [PLENARY, ...[...scopes].sort(naturally)];
}

function itemText(ctx, item) {
  if (item.kind === "wicked_question") {
    const poles = item.pole_a || item.pole_b ? ` (${item.pole_a} ↔ ${item.pole_b})` : "";
    return (ctx.local(item.question) || item.text) + poles;
  }
  return item.text;
}

function createItem(ctx, id) {
  const hide = el("button", { type: "button", className: "small secondary hide" });
  hide.addEventListener("click", () => {
    const item = ctx.view().items?.[id];
    if (!item) return;
    ctx.send(item.hidden ? { type: "item.unhide", item_id: id } : { type: "item.hide", item_id: id }, hide);
  });
  const confidential = el("button", { type: "button", className: "small secondary confidential" });
  confidential.addEventListener("click", () => {
    const item = ctx.view().items?.[id];
    if (!item) return;
    ctx.send({ type: "item.mark_confidential", item_id: id, confidential: !item.confidential }, confidential);
  });
  return el(
    "li",
    { className: "item" },
    el("p", { className: "text" }),
    el("p", { className: "meta about" }),
    el("div", { className: "buttons tight" }, hide, confidential),
  );
}

function updateItem(ctx, view, li, item, id, dots) {
  li.dataset.itemId = id;
  li.classList.toggle("hidden-item", Boolean(item.hidden));
  setText(li.querySelector(".text"), itemText(ctx, item));
  const about = [];
  if (item.author && item.author_kind === "participant") about.push(personName(view, item.author));
  else if (item.author) about.push(item.author);
  if (item.anonymous) about.push(ctx.t("console.anonymous"));
  if (item.hidden) about.push(ctx.t("console.hidden"));
  if (item.confidential) about.push(ctx.t("console.confidential"));
  if (item.harvested) about.push(ctx.t("console.harvested"));
  if (dots !== undefined) about.push(ctx.tf(dots === 1 ? "console.dots_one" : "console.dots", { n: dots }));
  setText(li.querySelector(".about"), about.join(" · "));
  const text = itemText(ctx, item).slice(0, 40);
  const hide = li.querySelector(".hide");
  setText(hide, item.hidden ? ctx.t("console.unhide") : ctx.t("console.hide"));
  setAttr(hide, "aria-label", `${item.hidden ? ctx.t("console.unhide") : ctx.t("console.hide")}: ${text}`);
  const confidential = li.querySelector(".confidential");
  setText(confidential, item.confidential ? ctx.t("console.unconfidential") : ctx.t("console.mark_confidential"));
  setAttr(confidential, "aria-pressed", item.confidential ? "true" : "false");
  setAttr(confidential, "aria-label", `${ctx.t("console.mark_confidential")}: ${text}`);
  for (const button of li.querySelectorAll("button")) button.disabled = !ctx.online();
}

function createBoard(ctx, scope) {
  const heading = el("h3", { id: `board-${scope}-heading` });
  const handled = el("button", { type: "button", className: "small handle-help" });
  handled.addEventListener("click", () => ctx.send({ type: "help.handle", group_id: scope }, handled));
  const callNext = el("button", { type: "button", className: "small secondary call-next" });
  callNext.addEventListener("click", () => {
    const head = ctx.view().queues?.[scope]?.hands?.[0];
    if (head) ctx.send({ type: "speaking.call_next", scope, participant_id: head.participant_id }, callNext);
  });
  const clear = el("button", { type: "button", className: "small secondary clear-hands" });
  clear.addEventListener("click", () => ctx.send({ type: "speaking.clear", scope }, clear));
  return el(
    "article",
    { className: "board", attrs: { "aria-labelledby": heading.id } },
    heading,
    el("p", { className: "help-request notice" }, el("span", { className: "help-text" }), " ", handled),
    el("p", { className: "meta members" }),
    el("p", { className: "meta done" }),
    el("div", { className: "hands" }, el("p", { className: "meta hands-text" }), el("div", { className: "buttons tight" }, callNext, clear)),
    el("ul", { className: "items" }),
    el("p", { className: "meta no-items" }),
  );
}

function updateBoard(ctx, view, card, scope) {
  card.dataset.scope = scope;
  const label = groupLabel(ctx, view, scope);
  const group = view.groups?.[scope];
  setText(card.querySelector("h3"), label);
  const help = card.querySelector(".help-request");
  help.hidden = !group?.help_requested;
  setText(card.querySelector(".help-text"), ctx.t("console.help_requested"));
  const handled = card.querySelector(".handle-help");
  setText(handled, ctx.t("console.help_handled"));
  setAttr(handled, "aria-label", `${ctx.t("console.help_handled")}: ${label}`);
  handled.disabled = !ctx.online();

  const members = scope === PLENARY
    ? Object.keys(view.people ?? {}).filter((pid) => scopeOf(view, pid) === PLENARY)
    : group?.members ?? [];
  const names = members.map((pid) => {
    const role = group?.roles?.[pid];
    return role ? `${personName(view, pid)} (${roleName(ctx, view, role)})` : personName(view, pid);
  });
  setText(card.querySelector(".members"), names.length ? `${ctx.t("console.members")}: ${names.join(", ")}` : ctx.t("console.nobody"));

  const done = view.done?.[scope];
  const doneNames = (done?.done ?? []).map((pid) => personName(view, pid));
  setText(
    card.querySelector(".done"),
    done ? `${ctx.tf("console.done_count", { count: done.count, total: done.total })}${doneNames.length ? `: ${doneNames.join(", ")}` : ""}` : "",
  );

  const hands = view.queues?.[scope]?.hands ?? [];
  card.querySelector(".hands").hidden = hands.length === 0;
  setText(card.querySelector(".hands-text"), `${ctx.t("console.hands")}: ${hands.map((h) => personName(view, h.participant_id)).join(", ")}`);
  const callNext = card.querySelector(".call-next");
  const head = hands[0] ? personName(view, hands[0].participant_id) : "";
  setText(callNext, ctx.tf("console.call_next", { name: head }));
  callNext.disabled = !ctx.online();
  const clear = card.querySelector(".clear-hands");
  setText(clear, ctx.t("console.clear_hands"));
  setAttr(clear, "aria-label", `${ctx.t("console.clear_hands")}: ${label}`);
  clear.disabled = !ctx.online();

  // as in the room: the current step's items and those of the structure's earlier steps
  // (questions posed in one step are voted on in the next)
  const steps = boardSteps(view);
  const tally = currentTally(view);
  const items = Object.entries(view.items ?? {})
    .filter(([, item]) => item.scope === scope && steps.has(item.step_index))
    .sort(([, a], [, b]) => String(a.created_at ?? "").localeCompare(String(b.created_at ?? "")));
  const list = card.querySelector(".items");
  sync(
    list,
    items,
    (id) => createItem(ctx, id),
    (li, item, id) => updateItem(ctx, view, li, item, id, tally?.counts?.[id]),
  );
  card.querySelector(".no-items").hidden = items.length > 0;
  setText(card.querySelector(".no-items"), ctx.t("console.no_items"));
}

function renderBoards(ctx, view) {
  const scopes = boardScopes(view);
  sync(
    $("boards"),
    scopes.map((scope) => [scope, scope]),
    (scope) => createBoard(ctx, scope),
    (card, scope) => updateBoard(ctx, view, card, scope),
  );
  const w = workshop(view);
  const step = view.plan?.[String(w.cursor)];
  const live = w.phase === "running" || w.phase === "paused";
  const tally = currentTally(view);
  const votes = $("reveal-votes");
  votes.hidden = !live || !((step?.permissions?.dots ?? 0) > 0 || tally);
  votes.disabled = !ctx.online() || Boolean(tally?.revealed_all);
  if (tally) {
    const used = Object.values(tally.dots_used ?? {}).reduce((sum, n) => sum + n, 0);
    setText(
      $("votes-status"),
      `${ctx.tf(used === 1 ? "console.dots_used_one" : "console.dots_used", { n: used })} · ${tally.revealed_all ? ctx.t("console.votes_revealed") : ctx.t("console.votes_hidden")}`,
    );
  } else {
    setText($("votes-status"), "");
  }
  const reveal = $("reveal-private");
  reveal.hidden = !live || !step?.permissions?.private_until_reveal;
  reveal.disabled = !ctx.online();
  const harvest = $("harvest");
  harvest.hidden = !live || !view.breakouts?.main?.open;
  harvest.disabled = !ctx.online();
}

function renderBreakouts(ctx, view) {
  const breakouts = view.breakouts?.main ?? {};
  const w = workshop(view);
  const live = w.phase === "running" || w.phase === "paused";
  const count = Object.keys(view.groups ?? {}).length;
  let status = ctx.t("console.breakouts_closed");
  if (breakouts.open) {
    status = ctx.tf("console.breakouts_open", {
      round: breakouts.round,
      groups: count,
      strategy: ctx.t(`console.strategy.${breakouts.strategy}`),
    });
  }
  const help = (breakouts.help_requests ?? []).map((gid) => groupLabel(ctx, view, gid));
  if (help.length) status += ` · ${ctx.t("console.help_requested")}: ${help.join(", ")}`;
  setText($("breakouts-status"), status);
  $("open-breakouts").disabled = !ctx.online() || !live;
  $("close-breakouts").disabled = !ctx.online() || !breakouts.open;
  const attributes = w.join_attributes ?? [];
  syncOptions(
    $("mix-by"),
    attributes.map((name) => [name, ctx.t(`console.attribute.${name}`)]),
  );
  const strategy = $("strategy").value;
  $("mix-fields").hidden = strategy !== "mix";
  $("topic-fields").hidden = strategy !== "topics";

  const people = Object.entries(view.people ?? {}).sort(([, a], [, b]) => a.name.localeCompare(b.name));
  syncOptions($("move-person"), people.map(([pid, person]) => [pid, person.name]));
  const groups = Object.keys(view.groups ?? {}).sort(naturally);
  syncOptions($("move-group"), [
    ...groups.map((gid) => [gid, groupLabel(ctx, view, gid)]),
    [NEW_GROUP, ctx.t("console.new_group")],
  ]);
  $("move-form").hidden = !breakouts.open;
  $("move-submit").disabled = !ctx.online() || people.length === 0;
  $("broadcast-submit").disabled = !ctx.online() || w.phase === "ended";

  const sent = Object.entries(view.broadcasts ?? {}).sort(([a], [b]) => Number(b) - Number(a));
  sync(
    $("broadcasts"),
    sent,
    () => el("li", {}, el("span", { className: "meta when" }), " ", el("span", { className: "text" })),
    (li, message) => {
      setText(li.querySelector(".when"), ctx.clockTime(Date.parse(message.at)));
      setText(li.querySelector(".text"), message.text);
    },
  );
}

function renderPeople(ctx, view) {
  const people = Object.entries(view.people ?? {}).sort(
    ([, a], [, b]) => String(a.joined_at ?? "").localeCompare(String(b.joined_at ?? "")),
  );
  setText($("people-count"), ctx.tf("console.people_count", { n: people.length }));
  const hands = new Set();
  for (const queue of Object.values(view.queues ?? {})) {
    for (const hand of queue.hands ?? []) hands.add(hand.participant_id);
  }
  sync(
    $("people"),
    people,
    (pid) => {
      const remove = el("button", { type: "button", className: "small secondary remove" });
      remove.addEventListener("click", () => {
        const name = personName(ctx.view(), pid);
        if (!ctx.confirm(ctx.tf("console.confirm_remove", { name }))) return;
        ctx.send({ type: "participant.remove", participant_id: pid }, remove);
      });
      return el(
        "li",
        { className: "person" },
        el("span", { className: "name" }),
        " ",
        el("span", { className: "meta about" }),
        " ",
        remove,
      );
    },
    (li, person, pid) => {
      li.dataset.participant = pid;
      setText(li.querySelector(".name"), person.name);
      const about = [groupLabel(ctx, view, scopeOf(view, pid))];
      for (const [name, value] of Object.entries(person.attributes ?? {})) {
        about.push(`${ctx.t(`console.attribute.${name}`)}: ${value}`);
      }
      if (person.joined_at) about.push(ctx.tf("console.joined_at", { time: ctx.clockTime(Date.parse(person.joined_at)) }));
      if (hands.has(pid)) about.push(ctx.t("console.hand_raised"));
      setText(li.querySelector(".about"), about.join(" · "));
      const remove = li.querySelector(".remove");
      setText(remove, ctx.t("console.remove"));
      setAttr(remove, "aria-label", ctx.tf("console.remove_person", { name: person.name }));
      remove.disabled = !ctx.online() || workshop(view).phase === "ended";
    },
  );
}

/** Draw the boards, breakouts and people of `view`. */
export function renderRooms(ctx, view) {
  renderBoards(ctx, view);
  renderBreakouts(ctx, view);
  renderPeople(ctx, view);
}

function openCommand(ctx) {
  const strategy = $("strategy").value;
  const command = { type: "breakouts.open", strategy };
  if (strategy === "mix" && $("mix-by").value) command.mix_by = $("mix-by").value;
  if (strategy === "topics") {
    command.topics = $("topics").value.split("\n").map((line) => line.trim()).filter(Boolean);
    const capacity = Number.parseInt($("capacity").value, 10);
    if (Number.isInteger(capacity)) command.capacity = capacity;
  }
  return command;
}

/** Hook the forms and the board-wide buttons up to their commands. */
export function wireRooms(ctx) {
  $("strategy").addEventListener("change", () => renderBreakouts(ctx, ctx.view()));
  $("open-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.send(openCommand(ctx), $("open-breakouts"));
  });
  $("close-breakouts").addEventListener("click", (event) => {
    ctx.send({ type: "breakouts.close" }, event.currentTarget);
  });
  $("move-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const group = $("move-group").value;
    const command = { type: "breakouts.move", participant_id: $("move-person").value };
    if (group !== NEW_GROUP) command.group_id = group;
    ctx.send(command, $("move-submit"));
  });
  $("broadcast-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = $("broadcast-text");
    const text = field.value.trim();
    if (!text) return;
    const answer = await ctx.send({ type: "breakouts.broadcast", text }, $("broadcast-submit"));
    if (answer?.type === "ack") field.value = "";
  });
  $("reveal-votes").addEventListener("click", (event) => {
    ctx.send({ type: "votes.reveal", step_index: workshop(ctx.view()).cursor }, event.currentTarget);
  });
  $("reveal-private").addEventListener("click", (event) => {
    ctx.send({ type: "items.reveal" }, event.currentTarget);
  });
  $("harvest").addEventListener("click", (event) => {
    ctx.send({ type: "board.harvest" }, event.currentTarget);
  });
}
