// Keys Y, N and A answer yes, no and not applicable (the buttons' data-key).
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select")) return;
  const button = document.querySelector(
    `#answer-form button[data-key="${event.key.toLowerCase()}"]`,
  );
  if (button) {
    event.preventDefault();
    button.click();
  }
});
