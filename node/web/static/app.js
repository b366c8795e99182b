// Progressive touches only: every page works without this file.
// A form's submit button is disabled while its request is under way, so a
// double tap on a slow phone link sends one request.
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f.dataset.sent) { e.preventDefault(); return; }
  f.dataset.sent = "1";
  var b = f.querySelector("button[type=submit]");
  if (b) { b.setAttribute("aria-busy", "true"); }
});
