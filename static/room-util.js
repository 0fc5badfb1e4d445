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

export function currentStep(view) {
  const cursor = workshopOf(view).cursor;
  return cursor === null || cursor === undefined ? null : view.plan?.[String(cursor)] ?? null;
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
  const cursor = workshopOf(view).cursor;
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

/** Items of the current structure, oldest first (anonymous items, without times, by id). */
export function boardItems(view, filter = () => true) {
  const steps = boardSteps(view);
  return Object.entries(view.items ?? {})
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
 * Method-card decks from the library (same origin), fetched once each; `onLoad` runs when a
 * deck arrives so the page can show the cards' names.
 */
export function deckCache(onLoad) {
  const decks = new Map(); // deck id -> Map(card id -> card), or null while loading
  function load(deckId) {
    if (!deckId || decks.has(deckId)) return;
    decks.set(deckId, null);
    fetch(`/api/library/${encodeURIComponent(deckId)}`, { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : { cards: [] }))
      .then((deck) => {
        decks.set(deckId, new Map((deck.cards ?? []).map((card) => [card.id, card])));
        onLoad(deckId);
      })
      .catch(() => decks.delete(deckId));
  }
  return {
    load,
    cards: (deckId) => decks.get(deckId) ?? null,
    card(item) {
      load(item.deck_id);
      return decks.get(item.deck_id)?.get(item.card_id) ?? null;
    },
  };
}
