// Small DOM helpers for the console. Lists are updated in place, keyed by `data-key`, so a
// focused button survives the many re-renders a live view causes (keyboard users keep their
// place) and screen readers are not flooded with unchanged content. Text only through
// textContent.

/** An element with properties: `text` (textContent), `dataset`, `attrs`, or DOM properties. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "attrs") for (const [attr, v] of Object.entries(value)) node.setAttribute(attr, v);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

/** Set a node's text only when it differs (no needless mutation for assistive technology). */
export function setText(node, text) {
  const value = text ?? "";
  if (node.textContent !== value) node.textContent = value;
}

/** Set or remove an attribute only when it differs. */
export function setAttr(node, name, value) {
  if (value === null || value === undefined || value === false) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== String(value)) {
    node.setAttribute(name, String(value));
  }
}

/**
 * Make `parent`'s children match `entries` ([key, value] pairs, in order): existing children
 * with the same `data-key` are kept and updated, new ones created, the rest removed.
 */
export function sync(parent, entries, create, update) {
  const existing = new Map();
  for (const child of parent.children) existing.set(child.dataset.key, child);
  let position = 0;
  for (const [key, value] of entries) {
    let node = existing.get(key);
    if (node) {
      existing.delete(key);
    } else {
      node = create(key, value);
      node.dataset.key = key;
    }
    update(node, value, key);
    if (parent.children[position] !== node) parent.insertBefore(node, parent.children[position] ?? null);
    position += 1;
  }
  for (const node of existing.values()) node.remove();
}

/** Options of a <select>, keeping the chosen value when it is still offered. */
export function syncOptions(select, options) {
  const chosen = select.value;
  sync(
    select,
    options,
    () => el("option"),
    (option, label, key) => {
      option.value = key;
      setText(option, label);
    },
  );
  if (options.some(([key]) => key === chosen)) select.value = chosen;
}
