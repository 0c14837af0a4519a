// Improvement plan: a "select all" box for the bulk actions. Without this file, items are ticked one by one.
(function () {
  "use strict";

  function bind() {
    document.querySelectorAll("input[data-pick-all]").forEach(function (all) {
      if (all.dataset.bound) return;
      all.dataset.bound = "1";
      all.hidden = false;
      var boxes = function () {
        return document.querySelectorAll('input[type=checkbox][name=items][form="' + all.dataset.pickAll + '"]');
      };
      all.addEventListener("change", function () {
        boxes().forEach(function (box) { box.checked = all.checked; });
      });
      document.addEventListener("change", function (event) {
        if (event.target.name !== "items") return;
        var list = Array.prototype.slice.call(boxes());
        all.checked = list.length > 0 && list.every(function (box) { return box.checked; });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bind);
  else bind();
})();
