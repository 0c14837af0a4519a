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

  // Slow actions (lens import, WA Tool sync): once a form marked data-busy is sent, its buttons are disabled
  // so a second click cannot send it twice, and the clicked one says what is happening. Deferred, so the
  // clicked button's own name and value still go with the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-busy")) return;
    var submitter = event.submitter;
    window.setTimeout(function () {
      form.setAttribute("aria-busy", "true");
      form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
      if (submitter && submitter.dataset.busyLabel) submitter.textContent = submitter.dataset.busyLabel;
    }, 0);
  });
  // A page restored from the back-forward cache must not keep its buttons disabled.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-busy][aria-busy]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    });
  });

  document.addEventListener("DOMContentLoaded", function () { bindCounters(document); });
  document.addEventListener("htmx:afterSettle", function (event) { bindCounters(event.target); });
})();
