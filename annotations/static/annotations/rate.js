// The rating page: number keys choose (1-7; 1-8 on the preference scale), Z / X label
// Model A safe / unsafe and N / M Model B when the evaluation asks, R opens the reason
// box, Enter submits, S skips, F flags, U undoes a skip just made; the next pair
// replaces the current one without a page reload, and a short confirmation says
// what was stored. On the page that changes a rating, number keys choose, Enter saves
// and Escape goes back. Without JavaScript the forms still work.
(() => {
  "use strict";
  let shownAt = performance.now();
  // A pair opened in a background tab is not being looked at yet.
  let hiddenSince = document.hidden ? shownAt : null;
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

  // An answer that could not be sent because the session had expired, kept in this
  // tab until the annotator is back on the same pair after logging in.
  const PENDING = "evalsite.pendingAnswer";
  let carriedSeconds = 0;

  function showError(message, link) {
    const box = document.getElementById("answer-error");
    if (!box) return;
    box.textContent = message;
    if (link) {
      box.append(" ");
      const anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      anchor.id = "login-again";
      box.append(anchor);
    }
    box.hidden = false;
    // Below a long pair the message would be out of sight: Enter seemed to do nothing.
    box.scrollIntoView({ block: "center" });
  }

  function showNote(message) {
    const box = document.getElementById("answer-note");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  function keepPending(data, action) {
    const pair = document.getElementById("pair");
    try {
      sessionStorage.setItem(PENDING, JSON.stringify({
        assignment: pair ? pair.dataset.assignment : null,
        action,
        choice: data.get("choice"),
        safety_a: data.get("safety_a"),
        safety_b: data.get("safety_b"),
        comment: data.get("comment") || "",
        rationale: data.get("rationale") || "",
        seconds: Number(data.get("seconds")) || 0,
      }));
    } catch (error) {
      // Storage full or disabled: the message still tells the annotator what to do.
    }
  }

  function forgetPending() {
    try {
      sessionStorage.removeItem(PENDING);
    } catch (error) {
      // Storage disabled: nothing was kept.
    }
  }

  function sessionExpired(data, action, login) {
    keepPending(data, action);
    const url = login || `${form().dataset.loginUrl}?next=${encodeURIComponent(location.pathname)}`;
    showError("Your session has expired;", { href: url, text: "log in again." });
  }

  // Back on the pair after logging in: choose the answer that was kept.
  function restorePending() {
    const answerForm = form();
    const pair = document.getElementById("pair");
    let pending = null;
    try {
      pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
    } catch (error) {
      pending = null;
    }
    if (!answerForm || !pair || !pending) return;
    if (pending.assignment !== pair.dataset.assignment) {
      forgetPending();
      return;
    }
    const pick = (name) => pending[name]
      ? answerForm.querySelector(`input[name="${name}"][value="${CSS.escape(pending[name])}"]`)
      : null;
    const radio = pick("choice");
    if (radio) radio.checked = true;
    for (const name of ["safety_a", "safety_b"]) {
      const label = pick(name);
      if (label) label.checked = true;
    }
    if (pending.rationale) {
      document.getElementById("rationale").value = pending.rationale;
      document.getElementById("reason-box").open = true;
    }
    if (pending.comment) {
      document.getElementById("flag-comment").value = pending.comment;
      document.getElementById("flag-box").open = true;
    }
    carriedSeconds = Math.max(0, pending.seconds || 0);
    if (pending.action === "flag") {
      showNote("Your flag was kept; press Enter in the comment box to send it.");
    } else if (radio) {
      showNote("Your answer was kept; press Enter to submit it.");
    }
  }

  async function send(action) {
    const answerForm = form();
    if (!answerForm || busy) return;
    const data = new FormData(answerForm);
    data.set("action", action);
    data.set("seconds", (carriedSeconds + secondsSpent()).toFixed(2));
    if (action === "rate" && !data.get("choice")) {
      showError("Choose an answer first (mouse or number keys).");
      return;
    }
    const unlabelled = ["safety_a", "safety_b"].filter(
      (name) => answerForm.querySelector(`input[name="${name}"]`) && !data.get(name));
    if (action === "rate" && unlabelled.length) {
      showError("Label the safety of both responses first (mouse or the keys shown).");
      return;
    }
    if (action !== "flag") data.delete("comment");
    if (action !== "rate") data.delete("rationale");
    busy = true;
    answerForm.classList.add("sending");
    let response;
    try {
      // getAttribute: the buttons named "action" shadow the form's .action property.
      response = await fetch(answerForm.getAttribute("action"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
    } catch (error) {
      // Only here did the request not reach the server at all.
      showError("Could not reach the server; please try again.");
      finish();
      return;
    }
    try {
      await answered(response, data, action);
    } finally {
      finish();
    }
  }

  function finish() {
    busy = false;
    const current = form();
    if (current) current.classList.remove("sending");
  }

  async function answered(response, data, action) {
    const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
    let body = null;
    if (isJson) {
      try {
        body = await response.json();
      } catch (error) {
        body = null;
      }
    }
    if (response.status >= 500) {
      showError("The server had an error; your answer was not saved, try again.");
      return;
    }
    // 401: the answer view's own reply; a redirect to the login page or a 403 that is
    // not ours (Django's CSRF failure page): the session is gone.
    if (response.status === 401 || (!isJson && (response.redirected || response.status === 403))) {
      sessionExpired(data, action, body && body.login);
      return;
    }
    if (!response.ok || !body || !body.html) {
      showError((body && body.error) || `The answer was not accepted (HTTP ${response.status}).`);
      return;
    }
    forgetPending();
    carriedSeconds = 0;
    showPair(body);
    // A share done with a completion address: on to the crowd platform.
    if (body.leave) window.location.assign(body.leave);
  }

  function showPair(body) {
    document.getElementById("pair").outerHTML = body.html;
    history.replaceState(null, "", body.url);
    window.scrollTo(0, 0);
    resetTimer();
    armConfirmation();
    announce();
  }

  // The focused radio went with the old pair: the focus moves to the new one's
  // heading (Tab goes on inside it; the keys work from anywhere), and the page's
  // live region says what was stored, any note and the progress.
  function announce() {
    const pair = document.getElementById("pair");
    const heading = pair && pair.querySelector("h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
    const region = document.getElementById("announcer");
    if (!region || !pair) return;
    // Each part from the first of its selectors found: "All done" has no progress.
    const parts = [["#confirmation", "#undo-form"], [".note"], [".progress", "h1"]].map((selectors) => {
      const element = selectors.map((selector) => pair.querySelector(selector)).find(Boolean);
      return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
    });
    region.textContent = parts.filter(Boolean)
      .map((part) => (/[.!?]$/.test(part) ? part : `${part}.`)).join(" ");
  }

  // The confirmation of the last answer fades after a moment; a skip's Undo stays
  // while the skip can still be undone. Nothing takes the focus: keys keep working.
  const CONFIRMATION_MS = 2500;
  let confirmationTimer = null;

  function armConfirmation() {
    clearTimeout(confirmationTimer);
    const box = document.getElementById("confirmation") || document.getElementById("undo-form");
    if (!box) return;
    const ms = box.dataset.seconds ? Number(box.dataset.seconds) * 1000 : CONFIRMATION_MS;
    confirmationTimer = setTimeout(() => {
      box.classList.add("fading");
      confirmationTimer = setTimeout(() => box.remove(), 400);
    }, ms);
  }

  async function undoSkip() {
    const undo = document.getElementById("undo-form");
    if (!undo || busy) return;
    busy = true;
    let response;
    try {
      response = await fetch(undo.getAttribute("action"), {
        method: "POST",
        body: new FormData(undo),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
    } catch (error) {
      showError("Could not reach the server; please try again.");
      busy = false;
      return;
    }
    try {
      const body = (response.headers.get("Content-Type") || "").includes("application/json")
        ? await response.json() : null;
      if (response.ok && body && body.html) {
        showPair(body);
      } else if (response.status === 401 && body && body.login) {
        // The skip stays undoable once logged in again: keep the button.
        showError("Your session has expired;", { href: body.login, text: "log in again." });
      } else {
        undo.remove();
        showError((body && body.error) || `The skip could not be undone (HTTP ${response.status}).`);
      }
    } finally {
      busy = false;
    }
  }

  // "Your last ratings" loads when opened, so answering costs nothing for it.
  document.addEventListener("toggle", async (event) => {
    const panel = event.target;
    if (panel.id !== "recent" || !panel.open || panel.dataset.loaded) return;
    const body = panel.querySelector(".recent-body");
    try {
      const response = await fetch(panel.dataset.src, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      if (response.redirected) {
        // To the login page: the session is gone. Say so; never show that page here.
        const login = document.createElement("a");
        login.href = `${form().dataset.loginUrl}?next=${encodeURIComponent(location.pathname)}`;
        login.textContent = "log in again.";
        body.replaceChildren("Your session has expired; ", login);
        return;
      }
      body.innerHTML = await response.text();
      panel.dataset.loaded = "1";
    } catch (error) {
      body.textContent = "Could not load your last ratings; try again.";
    }
  }, true);

  document.addEventListener("submit", (event) => {
    if (event.target.id === "undo-form") {
      event.preventDefault();
      undoSkip();
      return;
    }
    if (event.target.id !== "answer-form") return;
    event.preventDefault();
    const action = event.submitter ? event.submitter.value : "rate";
    send(action || "rate");
  });

  // The page that changes a rating: the answer's keys (numbers, and letters for safety
  // labels) choose, Enter saves, Escape goes back.
  function editKeys(event, editForm) {
    const target = event.target;
    if (target.tagName === "TEXTAREA") {
      if (event.key === "Enter" && !event.shiftKey) {
        // As on the rating page: Enter saves, Shift+Enter starts a new line.
        event.preventDefault();
        editForm.requestSubmit();
      } else if (event.key === "Escape") {
        target.blur();
      }
      return;
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : "";
    const radio = key ? editForm.querySelector(`input[data-key="${CSS.escape(key)}"]`) : null;
    if (radio) {
      radio.checked = true;
      radio.focus({ preventScroll: true });
      event.preventDefault();
    } else if (event.key === "Enter" && target.tagName !== "BUTTON" && target.tagName !== "A") {
      event.preventDefault();
      editForm.requestSubmit();
    } else if (event.key === "Escape") {
      document.getElementById("back-to-pair").click();
    }
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // An input method's keys (Japanese, Chinese...): its Enter picks characters.
    // keyCode 229: Safari ends the composition before this keydown.
    if (event.isComposing || event.keyCode === 229) return;
    const editForm = document.getElementById("edit-form");
    if (!form() && editForm) {
      editKeys(event, editForm);
      return;
    }
    if (!form()) {
      // "All done" after skipping the last pair: the skip can still be undone.
      if ((event.key === "u" || event.key === "U") && document.getElementById("undo-form")) {
        event.preventDefault();
        undoSkip();
      }
      return;
    }
    const target = event.target;
    if (target.tagName === "TEXTAREA") {
      const reason = target.id === "rationale";
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        send(reason ? "rate" : "flag");
      } else if (event.key === "Escape") {
        document.getElementById(reason ? "reason-box" : "flag-box").open = false;
        target.blur();
      }
      return;
    }
    if (target.tagName === "INPUT" && target.type === "text") return;
    // A radio's key: a number for the answer, a letter for a safety label.
    const key = event.key.length === 1 ? event.key.toLowerCase() : "";
    const radio = key ? form().querySelector(`input[data-key="${CSS.escape(key)}"]`) : null;
    if (radio) {
      radio.checked = true;
      radio.focus({ preventScroll: true });
      event.preventDefault();
    } else if (event.key === "Enter") {
      // Enter on a link, button or disclosure does what it says there (a nav
      // link, "Change"): it would otherwise send the chosen answer.
      if (target.closest("a, button, summary, select")) return;
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
    } else if (event.key === "r" || event.key === "R") {
      event.preventDefault();
      document.getElementById("reason-box").open = true;
      document.getElementById("rationale").focus();
    } else if ((event.key === "u" || event.key === "U") && document.getElementById("undo-form")) {
      event.preventDefault();
      undoSkip();
    }
  });

  restorePending();
  armConfirmation();
})();
