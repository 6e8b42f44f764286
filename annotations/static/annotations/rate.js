// The rating page: keys 1-7 choose, Enter submits, S skips, F flags; the next pair
// replaces the current one without a page reload. Without JavaScript the form still works.
(() => {
  "use strict";
  let shownAt = performance.now();
  let hiddenSince = null;
  let hiddenTotal = 0;
  let busy = false;

  // Time on the pair counts only while the page is visible.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      hiddenSince = performance.now();
    } else if (hiddenSince !== null) {
      hiddenTotal += performance.now() - hiddenSince;
      hiddenSince = null;
    }
  });

  function resetTimer() {
    shownAt = performance.now();
    hiddenTotal = 0;
    hiddenSince = document.hidden ? shownAt : null;
  }

  function secondsSpent() {
    const hidden = hiddenTotal + (hiddenSince === null ? 0 : performance.now() - hiddenSince);
    return Math.max(0, (performance.now() - shownAt - hidden) / 1000);
  }

  const form = () => document.getElementById("answer-form");

  function showError(message) {
    const box = document.getElementById("answer-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  async function send(action) {
    const answerForm = form();
    if (!answerForm || busy) return;
    const data = new FormData(answerForm);
    data.set("action", action);
    data.set("seconds", secondsSpent().toFixed(2));
    if (action === "rate" && !data.get("choice")) {
      showError("Choose an answer first (mouse or number keys).");
      return;
    }
    if (action !== "flag") data.delete("comment");
    busy = true;
    answerForm.classList.add("sending");
    try {
      // getAttribute: the buttons named "action" shadow the form's .action property.
      const response = await fetch(answerForm.getAttribute("action"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      const body = await response.json();
      if (!response.ok) {
        showError(body.error || "The answer was not accepted.");
        return;
      }
      document.getElementById("pair").outerHTML = body.html;
      history.replaceState(null, "", body.url);
      window.scrollTo(0, 0);
      resetTimer();
    } catch (error) {
      showError("Could not reach the server; please try again.");
    } finally {
      busy = false;
      const current = form();
      if (current) current.classList.remove("sending");
    }
  }

  document.addEventListener("submit", (event) => {
    if (event.target.id !== "answer-form") return;
    event.preventDefault();
    const action = event.submitter ? event.submitter.value : "rate";
    send(action || "rate");
  });

  document.addEventListener("keydown", (event) => {
    if (!form() || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.tagName === "TEXTAREA") {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        send("flag");
      } else if (event.key === "Escape") {
        document.getElementById("flag-box").open = false;
        target.blur();
      }
      return;
    }
    if (target.tagName === "INPUT" && target.type === "text") return;
    if (/^[1-9]$/.test(event.key)) {
      const radio = form().querySelector(`input[data-key="${event.key}"]`);
      if (radio) {
        radio.checked = true;
        radio.focus();
        event.preventDefault();
      }
    } else if (event.key === "Enter") {
      if (target.tagName === "BUTTON" || target.tagName === "SUMMARY") return;
      event.preventDefault();
      send("rate");
    } else if (event.key === "s" || event.key === "S") {
      event.preventDefault();
      send("skip");
    } else if (event.key === "f" || event.key === "F") {
      event.preventDefault();
      const box = document.getElementById("flag-box");
      box.open = true;
      document.getElementById("flag-comment").focus();
    }
  });
})();
