// The board in the participant room: notes grouped by cluster, method cards of the step's
// deck, Wicked Questions with their ranking once the dots are revealed, dot votes, and the
// forms to post, place, cluster and vote as far as the current step allows. Own actions
// show at once (greyed until the server's ack) and are reconciled with the ack.

import { randomId } from "./live.js";
import {
  actingIndex, boardAreas, boardClusters, boardItems, canAct, currentStep, deckCache, el,
  libraryFiles, rebuild, revealedDots,
} from "./room-util.js";

const $ = (id) => document.getElementById(id);

export function createBoard({ t, local, send, me, rerender }) {
  const pendingItems = new Map(); // item id -> {kind, text}: shown until the server answers
  // item id -> {target, inFlight}: the dots this page asked the item to have, while answers
  // are outstanding. A target, not a difference: the server's event with the new count can
  // arrive before the ack, and must not be counted twice.
  const pendingDots = new Map();
  const decks = deckCache(() => {
    fillCardChoice();
    rerender();
  });
  const structures = libraryFiles(() => rerender()); // for the areas of a step's board
  let view = {};

  function allowed() {
    return new Set(currentStep(view)?.permissions?.actions ?? []);
  }

  /** Whether the board takes work now: the step runs, or pre-work is open in the lobby. */
  function running() {
    return canAct(view);
  }

  function areas() {
    return boardAreas(structures, currentStep(view));
  }

  /** The vote of the current step, with the dots this page sent and is waiting for. */
  function myVotes() {
    const cursor = actingIndex(view);
    const votes = Object.values(view.my_votes ?? {}).find((v) => v.step_index === cursor);
    if (!votes || votes.revealed) return votes ? { ...votes, open: false } : null;
    const dots = { ...votes.dots };
    let sent = 0;
    for (const [id, pending] of pendingDots) {
      sent += pending.target - (dots[id] ?? 0);
      dots[id] = pending.target;
    }
    return { ...votes, dots, left: votes.left - sent, open: running() };
  }

  function fillCardChoice() {
    const deckId = currentStep(view)?.deck;
    const cards = decks.cards(deckId);
    const select = $("card-choice");
    if (!cards || select.dataset.deck === deckId) return;
    select.dataset.deck = deckId;
    select.replaceChildren(...[...cards.values()].map((card) =>
      el("option", { text: local(card.name), attrs: { value: card.id } })));
    showCardSummary();
  }

  function showCardSummary() {
    const cards = decks.cards(currentStep(view)?.deck);
    const card = cards?.get($("card-choice").value);
    $("card-summary").textContent = card ? local(card.summary) : "";
  }

  function dotControls(id, votes, textId) {
    if (!votes?.open) return [];
    const mine = votes.dots?.[id] ?? 0;
    const give = el("button", {
      className: "dot",
      text: `${t("room.dot")} (${mine})`,
      attrs: { type: "button", "data-focus-key": `dot:${id}`, "aria-describedby": textId },
    });
    give.disabled = votes.left <= 0;
    give.addEventListener("click", () => vote(id, 1));
    const controls = [give];
    if (mine > 0) {
      const take = el("button", {
        className: "dot secondary",
        text: t("room.undot"),
        attrs: { type: "button", "data-focus-key": `undot:${id}`, "aria-describedby": textId },
      });
      take.addEventListener("click", () => vote(id, -1));
      controls.push(take);
    }
    return controls;
  }

  function clusterControl(id, item, textId) {
    const actions = allowed();
    const arranging = { note: "notes", card: "cards", wicked_question: "wicked_questions" }[item.kind];
    if (!running() || !actions.has("cluster") || !actions.has(arranging)) return [];
    const clusters = boardClusters(view).filter(([, c]) => c.scope === item.scope || (c.scope === "plenary" && item.harvested));
    if (clusters.length === 0) return [];
    const selectId = `cluster-of-${id}`;
    const current = item.cluster_id ?? "";
    const select = el("select", { attrs: { id: selectId, "data-focus-key": `cluster:${id}`, "aria-describedby": textId } },
      el("option", { text: t("room.unclustered"), attrs: { value: "", selected: current === "" } }),
      ...clusters.map(([cid, c]) => el("option", {
        text: c.title || t("room.cluster_untitled"), attrs: { value: cid, selected: current === cid },
      })));
    select.addEventListener("change", () => {
      const body = select.value ? { cluster_id: select.value } : { unclustered: true };
      send({ type: "note.move", item_id: id, ...body });
    });
    return [el("label", { className: "inline", text: t("room.cluster"), attrs: { for: selectId } }), select];
  }

  function authorLine(item) {
    const name = item.author ? view.people?.[item.author]?.name : null;
    return name ? [el("p", { className: "meta", text: name })] : [];
  }

  function dotsBadge(id, dots) {
    return id in dots ? [el("p", { className: "dots", text: `${dots[id]} ${t(dots[id] === 1 ? "room.dots_one" : "room.dots")}` })] : [];
  }

  function itemEntry(id, item, votes, dots) {
    const textId = `item-text-${id}`;
    const entry = el("li", { className: `item kind-${item.kind}`, attrs: { "data-item-id": id, "data-key": id } });
    if (item.kind === "card") {
      const card = decks.card(item);
      entry.append(el("p", { className: "card-name", text: card ? local(card.name) : item.card_id, attrs: { id: textId } }));
      if (card) entry.append(el("p", { className: "card-summary", text: local(card.summary) }));
    } else {
      entry.append(el("p", { text: item.text, attrs: { id: textId } }));
    }
    const area = item.area ? areas().find((a) => a.id === item.area) : null;
    if (area) entry.append(el("p", { className: "area", text: local(area.title) }));
    entry.append(...authorLine(item), ...dotsBadge(id, dots));
    const controls = [...dotControls(id, votes, textId), ...clusterControl(id, item, textId)];
    if (controls.length) entry.append(el("div", { className: "item-controls" }, ...controls));
    return entry;
  }

  function pendingEntry(id, pending) {
    return el("li", { className: "item pending", attrs: { "data-item-id": id, "data-key": `pending:${id}`, "aria-busy": "true" } },
      el("p", { text: pending.text }));
  }

  function renderItems(votes, dots) {
    const items = boardItems(view, (item) => item.kind !== "wicked_question");
    const clusters = boardClusters(view);
    const known = new Set(clusters.map(([id]) => id));
    const groups = [];
    for (const [cid, cluster] of clusters) {
      const members = items.filter(([, item]) => item.cluster_id === cid);
      const headingId = `cluster-heading-${cid}`;
      groups.push(el("section", { className: "cluster", attrs: { "aria-labelledby": headingId, "data-cluster-id": cid, "data-key": `cluster:${cid}` } },
        el("h3", { text: cluster.title || t("room.cluster_untitled"), attrs: { id: headingId } }),
        el("ul", { className: "items" }, ...members.map(([id, item]) => itemEntry(id, item, votes, dots)))));
    }
    const loose = items.filter(([, item]) => !item.cluster_id || !known.has(item.cluster_id));
    const pending = [...pendingItems].filter(([id, p]) => p.kind !== "wicked_question" && !view.items?.[id]);
    if (loose.length || pending.length || !groups.length) {
      const list = el("ul", { className: "items" },
        ...loose.map(([id, item]) => itemEntry(id, item, votes, dots)),
        ...pending.map(([id, p]) => pendingEntry(id, p)));
      groups.push(groups.length
        ? el("section", { className: "cluster unclustered", attrs: { "data-key": "loose" } }, el("h3", { text: t("room.unclustered") }), list)
        : list);
      list.dataset.key = groups.length > 1 ? "loose-list" : "all";
    }
    rebuild($("items"), () => groups);
    return items.length + pending.length;
  }

  function renderQuestions(votes, dots) {
    const questions = boardItems(view, (item) => item.kind === "wicked_question");
    const ranked = Object.keys(dots).length > 0;
    if (ranked) {
      questions.sort(([ida], [idb]) => (dots[idb] ?? 0) - (dots[ida] ?? 0));
    }
    const pending = [...pendingItems].filter(([id, p]) => p.kind === "wicked_question" && !view.items?.[id]);
    $("questions-box").hidden = questions.length + pending.length === 0;
    $("ranking-note").hidden = !ranked;
    rebuild($("questions"), () => [
      ...questions.map(([id, item]) => {
        const textId = `item-text-${id}`;
        const entry = el("li", { className: "item kind-wicked_question", attrs: { "data-item-id": id, "data-key": id } },
          el("p", { className: "question", text: local(item.question) || `${item.pole_a} / ${item.pole_b}`, attrs: { id: textId } }),
          ...authorLine(item), ...dotsBadge(id, dots));
        if (item.answers?.length) {
          entry.append(el("ul", { className: "answers" }, ...item.answers.map((a) => el("li", { text: a.text }))));
        }
        const controls = dotControls(id, votes, textId);
        if (controls.length) entry.append(el("div", { className: "item-controls" }, ...controls));
        return entry;
      }),
      ...pending.map(([id, p]) => pendingEntry(id, p)),
    ]);
    return questions.length + pending.length;
  }

  function renderForms() {
    const actions = allowed();
    const live = running();
    const step = currentStep(view);
    $("note-form").hidden = !live || !actions.has("notes");
    const areaChoice = $("note-area");
    const chosenArea = areaChoice.value;
    const stepAreas = areas();
    areaChoice.replaceChildren(...stepAreas.map((a) => el("option", { text: local(a.title), attrs: { value: a.id } })));
    if (stepAreas.some((a) => a.id === chosenArea)) areaChoice.value = chosenArea;
    $("note-area-field").hidden = stepAreas.length === 0;
    $("wicked-form").hidden = !live || !actions.has("wicked_questions");
    const cards = live && actions.has("cards") && step?.deck;
    $("card-form").hidden = !cards;
    if (cards) {
      decks.load(step.deck);
      fillCardChoice();
    }
    $("cluster-form").hidden = !live || !actions.has("cluster");
    const select = $("cluster-choice");
    const chosen = select.value;
    const mine = me().scope ?? "plenary";
    const clusters = boardClusters(view).filter(([, c]) => c.scope === mine || c.scope === "plenary");
    select.replaceChildren(
      el("option", { text: t("room.cluster_new"), attrs: { value: "" } }),
      ...clusters.map(([cid, c]) => el("option", { text: c.title || t("room.cluster_untitled"), attrs: { value: cid } })));
    select.value = clusters.some(([cid]) => cid === chosen) ? chosen : "";
  }

  function render(current) {
    view = current;
    renderForms();
    const votes = myVotes();
    const dots = revealedDots(view);
    const dotsLeft = $("dots-left");
    dotsLeft.hidden = !votes?.open;
    dotsLeft.textContent = votes?.open ? `${votes.left} ${t(votes.left === 1 ? "room.dots_left_one" : "room.dots_left")}` : "";
    const shown = renderItems(votes, dots) + renderQuestions(votes, dots);
    $("no-items").hidden = shown > 0;
  }

  async function vote(id, delta) {
    const shown = myVotes()?.dots?.[id] ?? 0;
    const pending = pendingDots.get(id) ?? { target: shown, inFlight: 0 };
    pending.target = shown + delta;
    pending.inFlight += 1;
    pendingDots.set(id, pending);
    rerender();
    const answer = await send({ type: delta > 0 ? "vote.cast" : "vote.retract", item_id: id });
    pending.inFlight -= 1;
    // settled: the view holds the server's count (a refusal leaves it as the server has it)
    if (answer.type === "error" || pending.inFlight === 0) pendingDots.delete(id);
    rerender();
  }

  /** Post an item shown at once; on a refusal the typed text goes back into its fields. */
  async function post(kind, text, command, restore) {
    const id = randomId(kind === "wicked_question" ? "q-" : "n-");
    pendingItems.set(id, { kind, text });
    rerender();
    const answer = await send({ ...command, item_id: id });
    pendingItems.delete(id);
    if (answer.type === "error") restore();
    rerender();
  }

  function wire() {
    $("note-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const field = $("note-text");
      const text = field.value.trim();
      if (!text) return;
      field.value = "";
      const area = $("note-area-field").hidden ? null : $("note-area").value || null;
      post("note", text, { type: "note.post", text, ...(area ? { area } : {}) }, () => { field.value = text; });
    });
    $("wicked-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const a = $("pole-a");
      const b = $("pole-b");
      const poleA = a.value.trim();
      const poleB = b.value.trim();
      if (!poleA || !poleB) return;
      a.value = "";
      b.value = "";
      const text = t("room.wicked_preview").replace("{a}", poleA).replace("{b}", poleB);
      post("wicked_question", text, { type: "wicked.propose", pole_a: poleA, pole_b: poleB }, () => {
        a.value = poleA;
        b.value = poleB;
      });
    });
    $("card-choice").addEventListener("change", showCardSummary);
    $("card-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const deckId = currentStep(view)?.deck;
      const cardId = $("card-choice").value;
      if (!deckId || !cardId) return;
      const card = decks.cards(deckId)?.get(cardId);
      post("card", card ? local(card.name) : cardId, { type: "card.place", deck_id: deckId, card_id: cardId }, () => {});
    });
    $("cluster-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const field = $("cluster-title");
      const title = field.value.trim();
      if (!title) return;
      const existing = $("cluster-choice").value;
      field.value = "";
      const answer = existing
        ? await send({ type: "cluster.rename", cluster_id: existing, title })
        : await send({ type: "cluster.create", cluster_id: randomId("k-"), title });
      if (answer.type === "error") field.value = title;
      rerender();
    });
  }

  return { render, wire };
}
