// Public pages and printable documents (no inline scripts: CSP script-src 'self').
// - [data-print] buttons open the browser's print dialogue.
// - [data-countdown-seconds] elements show the time left until a publication window closes
//   (R12), counted from the server's figure so a skewed browser clock does not matter; updated
//   each minute with the texts in data-template ("{d}", "{h}") and data-closed.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var counters = document.querySelectorAll("[data-countdown-seconds]");
  if (!counters.length) { return; }
  var loaded = Date.now();

  function render() {
    var passed = Math.floor((Date.now() - loaded) / 1000);
    counters.forEach(function (el) {
      var left = parseInt(el.getAttribute("data-countdown-seconds"), 10) - passed;
      if (!(left > 0)) {
        el.textContent = el.getAttribute("data-closed") || "";
        return;
      }
      var days = Math.floor(left / 86400);
      var hours = Math.floor((left % 86400) / 3600);
      el.textContent = (el.getAttribute("data-template") || "")
        .replace("{d}", String(days)).replace("{h}", String(hours));
    });
  }

  render();
  window.setInterval(render, 60000);
}());
