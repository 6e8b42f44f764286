// Site-wide helpers, loaded on every page before the page's own script.
(function () {
  "use strict";

  // A form with data-confirm asks before it is sent (an action that cannot be undone).
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Fetch url as JSON every `every` milliseconds and hand each answer to render, until
  // ended(data) is true. A network blip or an error status is tried again next tick.
  function poll(url, every, render, ended) {
    async function tick() {
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (response.ok) {
          const data = await response.json();
          render(data);
          if (ended(data)) return;
        }
      } catch (err) {
        // A network blip: try again on the next tick.
      }
      window.setTimeout(tick, every);
    }
    tick();
  }

  // Fill a list with one item an error, "<strong>who</strong> (status): error", or "None.".
  function listErrors(list, errors, who) {
    list.replaceChildren();
    for (const e of errors) {
      const item = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = who(e);
      item.append(name, ` (${e.status}): ${e.error}`);
      list.append(item);
    }
    if (!errors.length) {
      const item = document.createElement("li");
      item.className = "muted";
      item.textContent = "None.";
      list.append(item);
    }
  }

  window.evalsite = { poll, listErrors };
})();
