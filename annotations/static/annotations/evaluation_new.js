// The evaluation form shows only the fieldsets of the chosen kind (the server
// ignores the others' fields, so the form works the same without this script).
(function () {
  "use strict";
  const form = document.getElementById("evaluation-form");
  const kind = form && form.querySelector("select[name=kind]");
  if (!kind) return;
  function show() {
    form.querySelectorAll("fieldset[data-kinds]").forEach(function (fieldset) {
      fieldset.hidden = !fieldset.dataset.kinds.split(" ").includes(kind.value);
    });
  }
  kind.addEventListener("change", show);
  show();
})();
