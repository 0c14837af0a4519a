// Progressive enhancement only: every page works without this file (plain form posts).
(function () {
  "use strict";

  // Notes: count characters as the user types.
  function bindCounters(root) {
    root.querySelectorAll("textarea[data-maxlength]").forEach(function (area) {
      var out = document.getElementById(area.dataset.counter);
      if (!out || area.dataset.bound) return;
      area.dataset.bound = "1";
      var update = function () {
        var max = parseInt(area.dataset.maxlength, 10);
        out.textContent = area.value.length.toLocaleString() + " / " + max.toLocaleString();
        out.classList.toggle("error", area.value.length > max);
      };
      area.addEventListener("input", update);
      update();
    });
  }

  // Keyboard shortcuts on the guided review: j/k or arrows = next/previous question, s = save.
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = null;
    if (event.key === "j" || event.key === "ArrowRight") target = document.querySelector("[data-shortcut=next]");
    if (event.key === "k" || event.key === "ArrowLeft") target = document.querySelector("[data-shortcut=previous]");
    if (event.key === "s") target = document.querySelector("[data-shortcut=save]");
    if (target) { event.preventDefault(); target.click(); }
  });

  // Confirmation for dangerous buttons, without inline script.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () { bindCounters(document); });
  document.addEventListener("htmx:afterSettle", function (event) { bindCounters(event.target); });
})();
