// The owner's series page: file and remove workshops, make and revoke reviewer links.
// Texts come from the page's JSON block; user text only ever goes through textContent.

const manage = document.getElementById("manage");
const texts = JSON.parse(document.getElementById("series-texts").textContent);
const seriesId = manage.dataset.series;
const errorBox = document.getElementById("series-error");
const t = (key) => texts[key] ?? key;

async function call(method, path, body) {
  const response = await fetch(`/api/series/${encodeURIComponent(seriesId)}${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = answer.detail ?? {};
    throw new Error(detail.message ?? String(response.status));
  }
  return answer;
}

function failed(error) {
  errorBox.textContent = `${t("series.failed")} ${error.message}`;
}

document.getElementById("member-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("member-id");
  try {
    await call("POST", "/workshops", { workshop_id: input.value.trim() });
    window.location.reload();
  } catch (error) {
    failed(error);
  }
});

document.getElementById("link-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const days = Number(document.getElementById("link-days").value);
  try {
    const link = await call("POST", "/review-links", { days });
    const anchor = document.getElementById("link-url");
    anchor.textContent = link.url;
    anchor.href = link.url;
    document.getElementById("link-created").hidden = false;
    errorBox.textContent = "";
    anchor.focus();
  } catch (error) {
    failed(error);
  }
});

manage.addEventListener("click", async (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  try {
    if (button.classList.contains("link-revoke")) {
      await call("DELETE", `/review-links/${encodeURIComponent(button.dataset.link)}`);
      window.location.reload();
    } else if (button.classList.contains("member-remove")) {
      await call("DELETE", `/workshops/${encodeURIComponent(button.dataset.workshop)}`);
      window.location.reload();
    }
  } catch (error) {
    failed(error);
  }
});
