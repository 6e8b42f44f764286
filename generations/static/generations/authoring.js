// The authoring chat page: send a user turn, then read the reply as server-sent
// events from a fetch() stream, chunk by chunk; best of both fills two columns.
(function () {
  "use strict";
  const form = document.getElementById("turn-form");
  if (!form) return;
  const method = document.getElementById("method").dataset;
  const dialogue = document.getElementById("dialogue");
  const content = document.getElementById("content");
  const errorBox = document.getElementById("reply-error");
  const buttons = ["send", "retry", "withdraw", "end"].map((id) => document.getElementById(id));
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function post(url, body) {
    return fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
  }

  function turnElement(role, label, text) {
    const empty = document.getElementById("empty-dialogue");
    if (empty) empty.remove();
    const turn = document.createElement("div");
    turn.className = "turn turn-" + role;
    const roleSpan = document.createElement("span");
    roleSpan.className = "role";
    roleSpan.textContent = label;
    const body = document.createElement("div");
    body.className = "turn-text";
    body.textContent = text;
    turn.append(roleSpan, body);
    dialogue.append(turn);
    return body;
  }

  function busy(on) { buttons.forEach((b) => { b.disabled = on; }); }

  // awaiting: the last user turn is stored and awaits a reply; it may be asked for
  // again ("Get the reply") or taken back into the box ("Take the turn back").
  function showAwaiting(awaiting) {
    ["retry", "withdraw"].forEach((id) => { document.getElementById(id).hidden = !awaiting; });
  }

  function showError(message, canRetry) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    showAwaiting(canRetry);
  }

  function turnCount() { return String(dialogue.querySelectorAll(".turn").length); }

  const LOST = "The connection to the server was lost; ";

  async function streamReply() {
    errorBox.hidden = true;
    busy(true);
    const both = method.method === "best_of_both";
    const targets = {};
    let target = null;
    if (both) {
      document.getElementById("replies").hidden = false;
      targets.a = document.getElementById("reply-a");
      targets.b = document.getElementById("reply-b");
      Object.values(targets).forEach((el) => { el.textContent = ""; el.dataset.chunks = "0"; el.dataset.reads = "0"; });
    }
    let response;
    try {
      response = await post(form.dataset.replyUrl, new FormData());
    } catch (err) {
      busy(false);
      showError(LOST + "get the reply again.", true);
      return;
    }
    if (!response.ok) {
      busy(false);
      const body = await response.json().catch(() => ({}));
      showError(body.error || "The reply failed (" + response.status + ").", response.status >= 500);
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let outcome = null;
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        break; // cut short: handled below as an outcome-less reply
      }
      const { value, done } = chunk;
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const events = buffer.split("\n\n");
      buffer = events.pop();
      const grown = new Set();
      for (const raw of events) {
        const kind = (raw.match(/^event: (.*)$/m) || [])[1];
        const data = JSON.parse((raw.match(/^data: (.*)$/m) || [null, "{}"])[1]);
        if (kind === "chunk") {
          if (!both && !target) {
            target = turnElement("assistant", "assistant · " + method["model" + data.side.toUpperCase()], "");
            target.parentElement.classList.add("streaming");
            target.id = "streaming-reply";
            target.dataset.chunks = "0";
            target.dataset.reads = "0";
          }
          const el = both ? targets[data.side] : target;
          el.textContent += data.text;
          el.dataset.chunks = String(Number(el.dataset.chunks) + 1);
          grown.add(el);
        } else if (kind === "done" || kind === "error") {
          outcome = { kind: kind, text: data.text };
        }
      }
      // Network reads that brought text: more than one shows the reply streamed.
      grown.forEach((el) => { el.dataset.reads = String(Number(el.dataset.reads) + 1); });
    }
    busy(false);
    if (!outcome || outcome.kind === "error") {
      if (target) target.parentElement.remove();
      if (both) document.getElementById("replies").hidden = true;
      showError((outcome && outcome.text) || "The reply was cut short; get it again.", true);
      return;
    }
    showAwaiting(false);
    if (both) {
      form.hidden = true;
      document.getElementById("choose-form").hidden = false;
      Object.values(targets).forEach((el) => { el.dataset.done = "true"; });
      document.getElementById("strength").focus();
    } else {
      target.parentElement.classList.remove("streaming");
      target.removeAttribute("id");
      target.dataset.done = "true";
      content.focus();
    }
  }

  async function send() {
    const retryShown = !document.getElementById("retry").hidden;
    if (!content.value.trim()) { showError("Write the user turn first.", retryShown); return; }
    busy(true);
    const body = new FormData();
    body.append("content", content.value);
    // The turns this page shows: the server refuses (409) if another tab went on.
    body.append("turns", turnCount());
    let response;
    try {
      response = await post(form.dataset.turnUrl, body);
    } catch (err) {
      busy(false);
      showError(LOST + "send the turn again.", retryShown);
      return;
    }
    busy(false);
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      showError(data.error || "Could not store the turn (" + response.status + ").", retryShown);
      return;
    }
    turnElement("user", "user", content.value.trim());
    content.value = "";
    await streamReply();
  }

  async function withdraw() {
    busy(true);
    const body = new FormData();
    body.append("turns", turnCount());
    let response;
    try {
      response = await post(form.dataset.withdrawUrl, body);
    } catch (err) {
      busy(false);
      showError(LOST + "try again.", true);
      return;
    }
    busy(false);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError(data.error || "Could not take the turn back (" + response.status + ").", response.status >= 500);
      return;
    }
    const turns = dialogue.querySelectorAll(".turn");
    turns[turns.length - 1].remove();
    content.value = data.content + (content.value.trim() ? "\n\n" + content.value : "");
    errorBox.hidden = true;
    showAwaiting(false);
    content.focus();
  }

  // Saving says how many turns this page shows, as sending does: a page that
  // missed another tab's turns is told to reload instead of saving them unseen.
  form.addEventListener("submit", () => { document.getElementById("turns").value = turnCount(); });
  document.getElementById("send").addEventListener("click", send);
  document.getElementById("withdraw").addEventListener("click", withdraw);
  document.getElementById("retry").addEventListener("click", streamReply);
  document.getElementById("end").addEventListener("click", () => {
    const categories = document.getElementById("categories");
    categories.hidden = false;
    categories.querySelector("input").focus();
  });
})();
