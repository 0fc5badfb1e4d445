// The facilitators' login page: posts e-mail and password to /api/auth/login (the session
// comes back as an HttpOnly cookie) and goes on to where the person came from; logs out with
// POST /api/auth/logout. Only paths on this server are followed after logging in.

const texts = JSON.parse(document.getElementById("texts").textContent);
const t = (key) => texts[key] ?? key;
const $ = (id) => document.getElementById(id);

/** A path on this server to go to, or "/" for anything else. */
export function safeNext(target) {
  if (typeof target !== "string" || !target.startsWith("/") || target.startsWith("//")) return "/";
  if (target.includes("\\")) return "/";
  return target;
}

function showError(code, fallback) {
  const key = `login.error.${code}`;
  $("login-error").textContent = key in texts ? t(key) : (fallback || t("error.generic"));
}

async function readError(response) {
  try {
    const body = await response.json();
    const detail = body.detail;
    if (detail && typeof detail === "object" && !Array.isArray(detail)) {
      return { code: detail.code ?? "generic", message: detail.message ?? "" };
    }
    return { code: response.status === 422 ? "invalid_input" : "generic", message: "" };
  } catch {
    return { code: "generic", message: "" };
  }
}

async function logIn(event) {
  event.preventDefault();
  const form = $("login-form");
  if (!form.reportValidity()) return;
  const button = $("login-submit");
  button.disabled = true;
  $("login-error").textContent = "";
  try {
    const response = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ email: $("login-email-input").value.trim(), password: $("login-password").value }),
    });
    if (!response.ok) {
      const error = await readError(response);
      showError(error.code, error.message);
      $("login-password").value = "";
      $("login-password").focus();
      return;
    }
    location.assign(safeNext($("login").dataset.next));
  } catch {
    showError("network");
  } finally {
    button.disabled = false;
  }
}

async function logOut() {
  $("login-error").textContent = "";
  try {
    const response = await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
    if (!response.ok) {
      showError("generic");
      return;
    }
    location.assign("/login");
  } catch {
    showError("network");
  }
}

/** The language switch of the page header keeps the way back. */
function keepNextInLanguageSwitch() {
  const next = $("login").dataset.next;
  const link = document.querySelector("a.lang-switch");
  if (!link || safeNext(next) === "/") return;
  const url = new URL(link.href, location.href);
  url.searchParams.set("next", next);
  link.href = url.pathname + url.search;
}

keepNextInLanguageSwitch();
$("login-form").addEventListener("submit", logIn);
$("logout-button")?.addEventListener("click", logOut);
