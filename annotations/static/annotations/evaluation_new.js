// The evaluation form shows only the fieldsets of the chosen kind (the server
// ignores the others' fields, so the form works the same without this script), and
// moves the scale to and from Likert, the single-response evaluation's own scale.
(function () {
  "use strict";
  const form = document.getElementById("evaluation-form");
  const kind = form && form.querySelector("select[name=kind]");
  const scale = form && form.querySelector("select[name=scale]");
  if (!kind || !scale) return;
  function show() {
    form.querySelectorAll("fieldset[data-kinds]").forEach(function (fieldset) {
      fieldset.hidden = !fieldset.dataset.kinds.split(" ").includes(kind.value);
    });
  }
  kind.addEventListener("change", function () {
    if (kind.value === "single") scale.value = "likert";
    else if (scale.value === "likert") scale.value = "seven";
    show();
  });
  show();
})();
