// "My data" in the participant room: download one's own takeaway (canvas, check-out answers,
// notes) as Markdown or JSON, delete one's contributions, or leave and delete everything.
// Every request carries the participant token as a Bearer token, as the API asks.

const $ = (id) => document.getElementById(id);

export function createMyData({ t, token, workshopId, onLeft }) {
  function status(key) {
    $("my-data-status").textContent = t(key);
  }

  async function download(format) {
    status("");
    try {
      const response = await fetch(`/api/takeaway.${format}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      if (!response.ok) throw new Error(String(response.status));
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `lernraum-${workshopId}.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch {
      status("room.my_data_failed");
    }
  }

  async function erase(path, question, done) {
    if (!window.confirm(t(question))) return false;
    const response = await fetch(path, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}` },
    }).catch(() => null);
    if (!response?.ok) {
      status("room.my_data_failed");
      return false;
    }
    status(done);
    return true;
  }

  function wire() {
    $("takeaway-md").addEventListener("click", () => download("md"));
    $("takeaway-json").addEventListener("click", () => download("json"));
    $("erase-contributions").addEventListener("click", () =>
      erase("/api/me/contributions", "room.confirm_erase_contributions", "room.erased_contributions"));
    $("erase-me").addEventListener("click", async () => {
      if (await erase("/api/me", "room.confirm_erase_me", "room.erased_me")) onLeft();
    });
  }

  return { wire };
}
