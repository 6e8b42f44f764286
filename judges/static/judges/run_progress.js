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
      at.textContent = data.next_attempt_at.slice(11, 19) + " UTC"; // as the page renders it
    }
    evalsite.listErrors(
      field("errors"),
      data.latest_errors,
      (e) => `prompt ${e.prompt}${e.swapped ? " (swapped)" : ""}`,
    );
  }

  const initialStatus = field("status").textContent;
  evalsite.poll(root.dataset.url, 2000, render, (data) => {
    const ended = data.status === "finished" || data.status === "cancelled";
    // Reload once when the run ends, to list the judgements' replies.
    if (ended && data.status !== initialStatus) window.setTimeout(() => location.reload(), 500);
    return ended;
  });
})();
