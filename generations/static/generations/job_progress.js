// Live progress of a generation job: polls the progress JSON every two seconds while it runs.
(function () {
  "use strict";
  const root = document.getElementById("job-progress");
  if (!root) return;
  const field = (name) => root.querySelector(`[data-field="${name}"]`);

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
    return m ? `${m} min ${s} s` : `${s} s`;
  }

  function render(data) {
    field("status").textContent = data.status;
    field("bar").value = data.percent;
    field("ended").textContent = data.ended;
    field("total").textContent = data.total;
    field("per_minute").textContent = data.per_minute === null ? "–" : data.per_minute;
    field("eta").textContent = duration(data.eta_seconds);
    for (const [status, n] of Object.entries(data.counts)) {
      const cell = root.querySelector(`[data-count="${status}"]`);
      if (cell) cell.textContent = n;
    }
    const waiting = field("waiting");
    waiting.replaceChildren();
    for (const w of data.waiting || []) {
      const line = document.createElement("p");
      line.className = "waiting";
      const who = document.createElement("strong");
      who.textContent = `Waiting for ${w.server}`;
      const at = document.createElement("time");
      at.dateTime = w.next_attempt_at;
      at.textContent = w.next_attempt_at.slice(11, 19) + " UTC"; // as the page renders it
      line.append(
        who,
        ` (${w.chat_models.join(", ")}): ${w.generations} generation(s) after ` +
          `${w.attempts} attempt(s); next try at `,
        at,
        `. Last error: ${w.last_error}`,
      );
      waiting.append(line);
    }
    evalsite.listErrors(field("errors"), data.latest_errors, (e) => `${e.chat_model} / ${e.prompt}`);
  }

  const initialStatus = field("status").textContent;
  evalsite.poll(root.dataset.url, 2000, render, (data) => {
    const ended = data.status === "finished" || data.status === "cancelled";
    // Reload once when the job ends, to show what it made.
    if (ended && data.status !== initialStatus) window.setTimeout(() => location.reload(), 500);
    // A cancelled job's requests in flight still end: follow them to the last one
    // (the page stopped at "running 2" while they finished).
    return ended && !(data.counts.running > 0);
  });
})();
