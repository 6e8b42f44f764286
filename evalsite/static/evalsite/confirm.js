// A form with data-confirm asks before it is sent (an action that cannot be undone).
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
