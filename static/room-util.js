// Small helpers shared by the participant room and the plenary screen: texts, elements built
// with textContent only, keeping keyboard focus across re-renders, and the board of the
// current structure (its steps so far), grouped by cluster.

/** The page's texts (a JSON data block) and a lookup that shows the key when one is missing. */
export function loadTexts() {
  const texts = JSON.parse(document.getElementById("texts").textContent);
  const t = (key) => texts[key] ?? key;
  return { texts, t };
}

/** A text in the page's language from a {de, en} value (or a plain string). */
export function localiser(lang) {
  return (value) => (value && typeof value === "object" ? value[lang] ?? value.de ?? "" : value ?? "");
}

/** An element with a class, a text (always as textContent) and attributes. */
export function el(tag, { className, text, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children);
  return node;
}

/**
 * Rebuild the children of a container from the view. A new child with a data-key whose old
 * twin is identical keeps the old node, so unchanged entries are neither announced again by
 * screen readers nor lose their state; the focused control is found again by its
 * data-focus-key when its entry did change.
 */
export function rebuild(container, build) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.focusKey : undefined;
  const old = new Map();
  for (const child of container.children) {
    if (child.dataset.key) old.set(child.dataset.key, child);
  }
  const fresh = build().map((node) => {
    const twin = node.dataset?.key ? old.get(node.dataset.key) : undefined;
    return twin && twin.isEqualNode(node) ? twin : node;
  });
  const same = fresh.length === container.children.length
    && fresh.every((node, index) => node === container.children[index]);
  if (!same) container.replaceChildren(...fresh);
  if (key && !container.contains(document.activeElement)) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }
}

/** `m:ss` from milliseconds, rounded up and never below zero. */
export function clockText(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

export function workshopOf(view) {
  return view.workshop?.main ?? {};
}

/**
 * The plan index participants act in: the current step, or in the lobby a first step that
 * is open before the start (pre-work); null when there is none.
 */
export function actingIndex(view) {
  const w = workshopOf(view);
  if (typeof w.cursor === "number" && w.cursor >= 0) return w.cursor;
  if (w.phase === "lobby" && view.plan?.["0"]?.permissions?.before_start) return 0;
  return null;
}

export function currentStep(view) {
  const index = actingIndex(view);
  return index === null ? null : view.plan?.[String(index)] ?? null;
}

/** Whether participants can work on the board now: the step runs, or pre-work is open. */
export function canAct(view) {
  const phase = workshopOf(view).phase;
  return phase === "running" || (phase === "lobby" && actingIndex(view) !== null);
}

/** Milliseconds left in the current step by the server's clock, or null without a timer. */
export function remainingMs(view, serverNow) {
  const w = workshopOf(view);
  if (w.phase === "running" && w.deadline) return Date.parse(w.deadline) - serverNow;
  if (typeof w.remaining_s === "number") return w.remaining_s * 1000;
  return null;
}

/**
 * The plan indexes of the current structure's steps up to the current one: a board built in
 * one step (a question generated alone) is voted on and harvested in the steps that follow.
 * Plan keys read "<agenda item>/<structure>/<step>".
 */
export function boardSteps(view) {
  const cursor = actingIndex(view);
  const step = currentStep(view);
  if (!step) return new Set();
  const prefix = String(step.key ?? "").split("/").slice(0, -1).join("/");
  const steps = new Set();
  for (const [index, entry] of Object.entries(view.plan ?? {})) {
    const at = Number(index);
    const same = String(entry.key ?? "").split("/").slice(0, -1).join("/") === prefix;
    if (at <= cursor && (at === cursor || (prefix && same))) steps.add(at);
  }
  return steps;
}

/**
 * Items of the current structure, oldest first (anonymous items, without times, by id),
 * with the viewer's own that the shared items leave out (`my_items`: private writing before
 * the reveal, hidden items, items of a group the viewer has left).
 */
export function boardItems(view, filter = () => true) {
  const steps = boardSteps(view);
  return Object.entries({ ...view.my_items, ...view.items })
    .filter(([, item]) => steps.has(item.step_index) && filter(item))
    .sort(([ida, a], [idb, b]) =>
      String(a.created_at ?? "").localeCompare(String(b.created_at ?? "")) || ida.localeCompare(idb));
}

/** The clusters of the current structure that the viewer sees, by title. */
export function boardClusters(view) {
  const steps = boardSteps(view);
  return Object.entries(view.clusters ?? {})
    .filter(([, cluster]) => steps.has(cluster.step_index) || cluster.harvested)
    .sort(([ida, a], [idb, b]) => String(a.title).localeCompare(String(b.title)) || ida.localeCompare(idb));
}

/** Revealed dots per item over the current structure's vote rounds. */
export function revealedDots(view) {
  const steps = boardSteps(view);
  const dots = {};
  for (const round of Object.values(view.tallies ?? {})) {
    if (!steps.has(round.step_index)) continue;
    for (const [id, count] of Object.entries(round.counts ?? {})) dots[id] = (dots[id] ?? 0) + count;
  }
  return dots;
}

/**
 * Files of the library (same origin), fetched once each: `get(id)` answers the document, or
 * null until it has arrived; `onLoad` runs when one arrives so the page can render again.
 */
export function libraryFiles(onLoad) {
  const files = new Map(); // id -> document, or null while loading
  return function get(id) {
    if (!id) return null;
    if (!files.has(id)) {
      files.set(id, null);
      fetch(`/api/library/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : {}))
        .then((document) => {
          files.set(id, document);
          onLoad(id);
        })
        .catch(() => files.delete(id));
    }
    return files.get(id) ?? null;
  };
}

/** Method-card decks of the library, by card id, fetched once each. */
export function deckCache(onLoad) {
  const get = libraryFiles(onLoad);
  const byId = new WeakMap(); // deck document -> Map(card id -> card)
  const cards = (deckId) => {
    const deck = get(deckId);
    if (!deck) return null;
    if (!byId.has(deck)) byId.set(deck, new Map((deck.cards ?? []).map((card) => [card.id, card])));
    return byId.get(deck);
  };
  return {
    load: (deckId) => { get(deckId); },
    cards,
    card: (item) => cards(item.deck_id)?.get(item.card_id) ?? null,
  };
}

/**
 * The areas of a step's board ({id, title}), from its structure's file; a plan key reads
 * "<agenda item>/<structure>/<step>", nested steps ".../<structure>/<step>" at its end.
 */
export function boardAreas(get, step) {
  if (!step?.board) return [];
  const structureId = String(step.key ?? "").split("/").at(-2);
  const board = (get(structureId)?.boards ?? []).find((b) => b.id === step.board);
  return board?.areas ?? [];
}
