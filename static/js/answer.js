// The guided review's answer form: saves as you go, keeps contradictory choices out of reach, and warns before
// leaving with changes the server has not stored. Without this file the form is a plain form with Save buttons.
(function () {
  "use strict";

  var NOTES_DELAY_MS = 800;

  function start() {
    var form = document.querySelector("form[data-autosave]");
    if (!form || !window.htmx) return;
    var status = document.getElementById("save-status");
    var noneBox = document.getElementById("id_none_of_these");
    var naBox = document.getElementById("id_not_applicable");
    var lockNote = document.getElementById("practices-locked");
    // Every change gets a number; `stored` is the newest one the server confirmed, `sending` the one in flight.
    var changes = 0;
    var sending = 0;
    var stored = 0;
    var timer = null;

    function say(text, kind) {
      var line = document.createElement("span");
      line.className = kind === "error" ? "save-error" : "save-pending";
      line.textContent = text;
      status.replaceChildren(line);
    }

    function save() {
      clearTimeout(timer);
      timer = null;
      window.htmx.trigger(form, "autosave");
    }

    function saveSoon() {
      clearTimeout(timer);
      timer = setTimeout(save, NOTES_DELAY_MS);
    }

    // Turn a box off (remembering a tick) or back on (restoring it): undoing "None of these" or "does not
    // apply" gives back the practices that were ticked before.
    function enable(box, on) {
      if (!on && box.checked) { box.dataset.wasChecked = "1"; box.checked = false; }
      if (on && box.disabled && box.dataset.wasChecked) { box.checked = true; delete box.dataset.wasChecked; }
      box.disabled = !on;
    }

    function applyLocks() {
      var lock = naBox.checked ? "question" : noneBox.checked ? "none" : "";
      form.querySelectorAll("input[data-practice]").forEach(function (box) {
        var practiceNa = document.getElementById("na_" + box.value);
        enable(box, !lock && !(practiceNa && practiceNa.value));
      });
      enable(noneBox, !naBox.checked);
      lockNote.hidden = !lock;
      lockNote.querySelectorAll("[data-lock]").forEach(function (line) { line.hidden = line.dataset.lock !== lock; });
    }

    form.addEventListener("input", function (event) {
      var field = event.target;
      if (field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && field.type === "text")) {
        changes += 1;
        saveSoon();
      }
    });

    form.addEventListener("change", function (event) {
      var field = event.target;
      if (field.tagName === "TEXTAREA" || field.type === "text") {
        if (timer) save(); // leaving the field: do not wait for the pause
        return;
      }
      changes += 1;
      applyLocks();
      if (field.tagName === "SELECT") {
        // A select may change under arrow keys: it is saved only once what it belongs to is confirmed.
        var confirmer = document.getElementById(field.dataset.confirmedBy || "");
        if (confirmer && confirmer.type === "checkbox" && confirmer.checked) save();
        else say("Not saved yet: press Save to confirm this change.", "pending");
        return;
      }
      save();
    });

    form.addEventListener("htmx:beforeRequest", function () {
      sending = changes;
      if (!status.querySelector(".save-error")) say("Saving…", "pending");
    });
    form.addEventListener("htmx:beforeOnLoad", function (event) {
      var xhr = event.detail.xhr;
      if (xhr.status < 300 && xhr.getResponseHeader("X-Answer-Saved")) stored = Math.max(stored, sending);
    });
    form.addEventListener("htmx:afterSwap", function () {
      if (stored < changes && !status.querySelector(".save-error") && !timer) save();
    });
    function unreachable() {
      say("Not saved: the server could not be reached. Your changes are still here; press Save to try again.", "error");
    }
    form.addEventListener("htmx:sendError", unreachable);
    form.addEventListener("htmx:responseError", unreachable);

    // "Take theirs" in a conflict discards on purpose.
    document.addEventListener("click", function (event) {
      if (event.target.closest("[data-discard]")) stored = changes;
    });
    window.addEventListener("beforeunload", function (event) {
      if (stored >= changes) return;
      event.preventDefault();
      event.returnValue = "";
    });

    applyLocks();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
