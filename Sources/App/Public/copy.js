// Portico admin area: "Copy" buttons beside secrets shown once. Pages work without it
// (the secret is selectable text); with it, each button copies the code before it.
document.querySelectorAll("[data-copy-button]").forEach(function (button) {
  var code = button.previousElementSibling;
  if (!code || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(code.textContent).then(function () { button.textContent = "Copied"; });
  });
});
