// A report a worker computes: polls its status every second and reloads when ready.
(function () {
  "use strict";
  const root = document.getElementById("report-progress");
  if (!root) return;
  const field = (name) => root.querySelector(`[data-field="${name}"]`);

  function render(data) {
    root.dataset.status = data.status;
    field("status").textContent = data.status;
    field("stage").textContent = data.stage;
    field("bar").value = field("percent").textContent = Math.round(data.progress * 100);
    field("message").textContent = data.error;
    field("error").hidden = !data.error;
  }

  function ended(data) {
    // Done: the page again, with the report that job built (newer ratings than it
    // would start another). No job (it expired): the page shows or starts one.
    if (data.status === "done" || data.status === "none") {
      const url = new URL(location.href);
      if (data.status === "done") url.searchParams.set("job", data.job);
      location.replace(url);
      return true;
    }
    return data.status === "failed";
  }
  if (root.dataset.status !== "failed") {
    window.setTimeout(() => evalsite.poll(root.dataset.url, 1000, render, ended), 500);
  }
})();
