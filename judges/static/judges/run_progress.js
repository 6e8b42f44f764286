// Live progress of a judge run: polls the progress JSON every two seconds while it runs.
(function () {
  "use strict";
  const root = document.getElementById("run-progress");
  if (!root) return;
  const field = (name) => root.querySelector(`[data-field="${name}"]`);

  function render(data) {
    field("status").textContent = data.status;
    field("bar").value = data.percent;
    field("ended").textContent = data.ended;
    field("total").textContent = data.total;
    for (const [status, n] of Object.entries(data.counts)) {
      const cell = root.querySelector(`[data-count="${status}"]`);
      if (cell) cell.textContent = n;
    }
    const retry = field("retry");
    retry.hidden = !data.next_attempt_at;
    if (data.next_attempt_at) {
      const at = field("retry-at");
      at.dateTime = data.next_attempt_at;
      at.textContent = new Date(data.next_attempt_at).toLocaleTimeString();
    }
    const list = field("errors");
    list.replaceChildren();
    for (const e of data.latest_errors) {
      const item = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = `prompt ${e.prompt}${e.swapped ? " (swapped)" : ""}`;
      item.append(who, ` (${e.status}): ${e.error}`);
      list.append(item);
    }
    if (!data.latest_errors.length) {
      const item = document.createElement("li");
      item.className = "muted";
      item.textContent = "None.";
      list.append(item);
    }
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        render(data);
        if (data.status === "finished" || data.status === "cancelled") {
          // Reload once when the run ends, to list the judgements' replies.
          if (data.status !== root.dataset.initialStatus) window.setTimeout(() => location.reload(), 500);
          return;
        }
      }
    } catch (err) {
      // A network blip: try again on the next tick.
    }
    window.setTimeout(poll, 2000);
  }
  root.dataset.initialStatus = field("status").textContent;
  poll();
})();
