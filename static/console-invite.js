// The console's invitation: the join code and link (facilitator REST, with the session
// cookie), copying the link, making a new code and link, and locking or opening joining
// (live commands). User-visible values only ever go in through textContent.

import { setAttr, setText } from "./console-dom.js";

const $ = (id) => document.getElementById(id);

export function createInvite(ctx) {
  const base = `/api/workshops/${encodeURIComponent(ctx.workshopId)}/links`;

  function show(links) {
    setText($("join-code"), links.code);
    setText($("join-link"), links.link_url);
    $("join-link").href = links.link_url;
  }

  async function load(path = "", method = "GET") {
    try {
      const response = await fetch(`${base}${path}`, { method, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      show(await response.json());
      return true;
    } catch {
      setText($("invite-status"), ctx.t("console.links_failed"));
      return false;
    }
  }

  function render(view) {
    const locked = Boolean(view.workshop?.main?.locked);
    const button = $("lock-joining");
    setAttr(button, "aria-pressed", String(locked));
    setText(button, ctx.t(locked ? "console.unlock_joining" : "console.lock_joining"));
    button.disabled = view.workshop?.main?.phase === "ended";
    $("invite").dataset.locked = String(locked);
  }

  function wire() {
    load();
    $("copy-link").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText($("join-link").href);
        setText($("invite-status"), ctx.t("console.link_copied"));
      } catch {
        $("join-link").focus(); // copying is not allowed here: the link is there to copy by hand
      }
    });
    $("rotate-links").addEventListener("click", async () => {
      if (!window.confirm(ctx.t("console.confirm_rotate"))) return;
      if (await load("/rotate", "POST")) setText($("invite-status"), ctx.t("console.links_rotated"));
    });
    $("lock-joining").addEventListener("click", (event) => {
      const locked = event.currentTarget.getAttribute("aria-pressed") === "true";
      ctx.send({ type: locked ? "joining.unlock" : "joining.lock" }, event.currentTarget);
    });
  }

  return { render, wire };
}
