// The join page: look a code or link up (GET /api/join/{code}), show the workshop's title,
// working agreement and the attributes it asks for, then join (POST /api/join), keep the
// participant token in localStorage and go to the room. User text only ever goes into the
// page through textContent.

import { tokenKey } from "./storage.js";

const texts = JSON.parse(document.getElementById("texts").textContent);
const t = (key) => texts[key] ?? key;
const lang = document.documentElement.lang === "en" ? "en" : "de";

const root = document.getElementById("join");
const codeForm = document.getElementById("code-form");
const joinForm = document.getElementById("join-form");
const errorBox = document.getElementById("join-error");
let found = null; // {secret, isLink, info}

function showError(code, fallback) {
  const key = `error.${code}`;
  errorBox.textContent = key in texts ? t(key) : (fallback || t("error.generic"));
}

async function readError(response) {
  try {
    const body = await response.json();
    return body.detail?.code ?? "generic";
  } catch {
    return "generic";
  }
}

function agreementBlock(agreement) {
  const box = document.getElementById("agreement");
  box.replaceChildren();
  const order = lang === "en" ? ["en", "de"] : ["de", "en"];
  for (const language of order) {
    const text = agreement?.[language];
    if (!text) continue;
    const paragraph = document.createElement("p");
    paragraph.lang = language;
    paragraph.textContent = text;
    box.append(paragraph);
  }
}

function attributeFields(attributes) {
  const box = document.getElementById("attributes");
  box.replaceChildren();
  for (const name of attributes) {
    const id = `attribute-${name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = t(`join.attribute.${name}`);
    const input = document.createElement("input");
    input.id = id;
    input.name = name;
    input.maxLength = 60;
    input.dataset.attribute = name;
    box.append(label, input);
  }
}

async function lookUp(secret, isLink) {
  errorBox.textContent = "";
  let response;
  try {
    response = await fetch(`/api/join/${encodeURIComponent(secret)}`);
  } catch {
    showError("network");
    return;
  }
  if (!response.ok) {
    showError(await readError(response));
    return;
  }
  const info = await response.json();
  found = { secret, isLink, info };
  document.getElementById("workshop-title").textContent = info.title;
  const status = document.getElementById("join-status");
  status.hidden = info.status === "open";
  status.textContent = info.status === "open" ? "" : t(`join.status.${info.status}`);
  agreementBlock(info.agreement);
  attributeFields(info.attributes ?? []);
  codeForm.hidden = true;
  joinForm.hidden = false;
  document.getElementById("name").focus();
}

async function join(event) {
  event.preventDefault();
  if (!found) return;
  errorBox.textContent = "";
  const attributes = {};
  for (const input of document.querySelectorAll("[data-attribute]")) {
    const value = input.value.trim();
    if (value) attributes[input.dataset.attribute] = value;
  }
  const body = {
    name: document.getElementById("name").value,
    attributes,
    agreement: document.getElementById("accept").checked ? found.info.agreement_fingerprint : null,
    participant_token: null,
  };
  body[found.isLink ? "link_token" : "code"] = found.secret;
  const button = document.getElementById("join-submit");
  button.disabled = true;
  let response;
  try {
    response = await fetch("/api/join", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    button.disabled = false;
    showError("network");
    return;
  }
  if (!response.ok) {
    button.disabled = false;
    showError(await readError(response));
    return;
  }
  const joined = await response.json();
  localStorage.setItem(tokenKey(joined.workshop_id), joined.participant_token);
  location.assign(`/room/${encodeURIComponent(joined.workshop_id)}`);
}

codeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const code = document.getElementById("code").value.trim();
  if (code) lookUp(code, false);
});
joinForm.addEventListener("submit", join);

if (root.dataset.linkToken) {
  lookUp(root.dataset.linkToken, true);
} else {
  document.getElementById("code").focus();
}
