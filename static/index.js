// The start page for a logged-in facilitator: create a series and open its page.

const form = document.getElementById("series-form");
const errorBox = document.getElementById("series-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.textContent = "";
  const body = {
    title: document.getElementById("series-title").value.trim(),
    organisation: document.getElementById("series-organisation").value.trim(),
  };
  try {
    const response = await fetch("/api/series", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.detail?.message ?? String(response.status));
    window.location.assign(`/series/${encodeURIComponent(answer.id)}`);
  } catch (error) {
    errorBox.textContent = `${form.dataset.failed} ${error.message}`;
  }
});
