// Progress of a background import: polls its status URL each second until it ends.
(function () {
  "use strict";
  const root = document.getElementById("import-progress");
  if (!root) return;
  const field = (name) => root.querySelector(`[data-field="${name}"]`);

  function showErrors(errors) {
    const body = field("errors");
    body.replaceChildren();
    for (const e of errors) {
      const row = document.createElement("tr");
      for (const value of [e.line, e.field, e.message]) {
        const cell = document.createElement("td");
        cell.textContent = value === null ? "–" : value;
        row.append(cell);
      }
      body.append(row);
    }
  }

  function render(data) {
    field("bar").value = data.percent;
    field("percent").textContent = data.percent;
    field("state").textContent = data.state;
    field("stage").textContent = data.stage;
    // The stage tells where a running import is; an ended one says it by its state.
    field("stage-part").hidden = data.state === "done" || data.state === "failed";
    if (data.state === "done") {
      field("created").textContent = data.result.created;
      field("unchanged").textContent = data.result.unchanged;
      field("done").hidden = false;
    } else if (data.state === "failed") {
      showErrors(data.errors);
      field("failed").hidden = false;
    }
  }

  evalsite.poll(root.dataset.url, 1000, render, (data) => data.state === "done" || data.state === "failed");
})();
