// Progressive enhancement only: every page works without this file (plain form posts).
(function () {
  "use strict";

  // Pages say what works without JavaScript (.no-js-only) and what needs it (.js-only); app.css hides the other.
  document.documentElement.classList.replace("no-js", "js");

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

  // Keys work wherever focus is, except where typing a letter means typing it.
  function isTextField(element) {
    if (!element || !element.tagName) return false;
    var tag = element.tagName.toLowerCase();
    if (tag === "textarea" || element.isContentEditable) return true;
    if (tag !== "input") return false;
    return !/^(checkbox|radio|button|submit|reset|image|range|color)$/.test(element.type);
  }

  // Guided review: j = next question, k = previous, s = save. On a focused select these letters would pick an
  // option by its first letter; the shortcut wins, so a select never changes behind the person's back.
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTextField(event.target)) return;
    var name = { j: "next", k: "previous", s: "save" }[event.key];
    var target = name && document.querySelector("[data-shortcut=" + name + "]");
    if (target) { event.preventDefault(); target.click(); }
  });

  // A skip link lands ON its target (a checkbox, say), so the next key acts there rather than one Tab later.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-skip-focus]");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  });

  // Confirmation for dangerous buttons, without inline script.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  // Long actions: a form marked data-busy="Making the PDF…" shows that text with a spinner and disables its
  // buttons until the next page arrives, so nobody clicks twice or wonders whether anything happened.
  function busyNote(form) {
    var note = form.querySelector(".busy-note");
    if (!note) {
      note = document.createElement("span");
      note.className = "busy-note";
      note.setAttribute("role", "status");
      var submit = form.querySelector("button[type=submit], button:not([type])");
      (submit && submit.parentNode ? submit.parentNode : form).appendChild(note);
    }
    return note;
  }

  function setBusy(form, text) {
    var note = busyNote(form);
    note.textContent = text || "";
    note.classList.toggle("is-busy", !!text);
    form.setAttribute("aria-busy", text ? "true" : "false");
    form.querySelectorAll("button").forEach(function (button) {
      if (text) { button.dataset.wasDisabled = button.disabled ? "1" : ""; button.disabled = true; }
      else { button.disabled = button.dataset.wasDisabled === "1"; }
    });
  }

  function filenameOf(response) {
    var header = response.headers.get("Content-Disposition") || "";
    var match = /filename="?([^";]+)"?/.exec(header);
    return match ? match[1] : "download";
  }

  // A download does not leave the page, so a disabled button would stay disabled: fetch the file instead and
  // hand it to the browser when it is complete. `owner` is the form (or the link) that shows the progress.
  function download(owner, url, text, busy) {
    busy(text);
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("the server answered " + response.status);
        return response.blob().then(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = filenameOf(response);
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
          busy("");
          busyNote(owner).textContent = "Downloaded " + link.download + ".";
        });
      })
      .catch(function (error) {
        busy("");
        busyNote(owner).textContent = "The file could not be made (" + error.message + "). Try again.";
      });
  }

  function formUrl(form, submitter) {
    var action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
    var url = new URL(action, window.location.href);
    new FormData(form).forEach(function (value, key) { url.searchParams.set(key, value); });
    return url;
  }

  // Download links (a[data-download]) get the same treatment; their note goes right after them.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-download]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    if (link.getAttribute("aria-disabled") === "true") return;
    download(link.parentNode, link.href, link.dataset.busy, function (text) {
      link.setAttribute("aria-disabled", text ? "true" : "false");
      link.classList.toggle("is-disabled", !!text);
      var note = busyNote(link.parentNode);
      note.textContent = text;
      note.classList.toggle("is-busy", !!text);
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute("data-busy")) return;
    var text = (event.submitter && event.submitter.dataset.busy) || form.dataset.busy || "Working…";
    if (form.hasAttribute("data-download")) {
      event.preventDefault();
      download(form, formUrl(form, event.submitter), text, function (busy) { setBusy(form, busy); });
      return;
    }
    // After the submit: disabling the clicked button now would drop its name and value from the request.
    setTimeout(function () { setBusy(form, text); }, 0);
  });
  // Back/forward cache: a page restored after leaving must not keep its buttons disabled.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) document.querySelectorAll("form[aria-busy=true]").forEach(function (form) { setBusy(form, ""); });
  });

  // Side lists that become menus on narrow screens start closed there (they are open without JavaScript).
  function collapseNarrow() {
    document.querySelectorAll("details[data-collapse-below]").forEach(function (menu) {
      if (window.innerWidth < parseInt(menu.dataset.collapseBelow, 10)) menu.open = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { bindCounters(document); collapseNarrow(); });
  document.addEventListener("htmx:afterSettle", function (event) { bindCounters(event.target); });
})();
