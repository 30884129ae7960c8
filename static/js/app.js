// Progressive touches for every page; everything works without them.
(function () {
  "use strict";

  // The navigation collapses into a menu on narrow screens.
  function menu() {
    var toggle = document.querySelector(".menu-toggle");
    if (!toggle) return;
    var bar = toggle.closest(".topbar");
    toggle.addEventListener("click", function () {
      var open = bar.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Filter panels start folded on narrow screens, open on wide ones.
  function filters() {
    var narrow = window.matchMedia("(max-width: 900px)").matches;
    document.querySelectorAll("details.filters-fold").forEach(function (fold) {
      if (narrow && !fold.hasAttribute("data-has-filters")) fold.removeAttribute("open");
    });
  }

  // A box that scrolls sideways can be reached and scrolled with the keyboard.
  function scrollRegions() {
    document.querySelectorAll(".table-scroll, .table-card, .card").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        var heading = box.closest("section, .card, main").querySelector("h1, h2, h3");
        box.setAttribute("aria-label", (heading ? heading.textContent.trim() + ": " : "") + "table, scrolls sideways");
      }
    });
  }

  // Lists with tick boxes: a header box ticks the page, and the bar counts what is ticked.
  function bulkSelection() {
    document.querySelectorAll("form[data-bulk]").forEach(function (form) {
      var name = form.getAttribute("data-bulk");
      var boxes = function () {
        return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][name="' + name + '"][form="' + form.id + '"]'));
      };
      var all = document.querySelector('input[data-select-all="' + name + '"]');
      var count = form.querySelector("[data-bulk-count]");
      function update() {
        var ticked = boxes().filter(function (box) { return box.checked; }).length;
        if (count) count.textContent = ticked ? ticked + " ticked" : "Tick flags in the table first";
        if (all) {
          all.checked = ticked > 0 && ticked === boxes().length;
          all.indeterminate = ticked > 0 && ticked < boxes().length;
        }
      }
      if (all) {
        if (!boxes().length) all.disabled = true;
        all.addEventListener("change", function () {
          boxes().forEach(function (box) { box.checked = all.checked; });
          update();
        });
      }
      document.addEventListener("change", function (event) {
        if (event.target.name === name) update();
      });
      update();
    });
  }

  // A long group of tick boxes gains a box that filters it as one types; ticked ones stay shown.
  function checklistFilters() {
    document.querySelectorAll("div.checklist").forEach(function (list) {
      var options = Array.prototype.slice.call(list.querySelectorAll("label"));
      if (options.length <= 8) return;
      var legend = list.closest("fieldset") && list.closest("fieldset").querySelector("legend");
      var search = document.createElement("input");
      search.type = "search";
      search.className = "checklist-filter";
      search.placeholder = "Type to filter";
      search.setAttribute("aria-label", "Filter " + (legend ? legend.textContent.replace("*", "").trim() : "the choices"));
      search.setAttribute("aria-controls", list.id);
      list.parentNode.insertBefore(search, list);
      search.addEventListener("input", function () {
        var words = search.value.toLowerCase().trim();
        options.forEach(function (label) {
          var box = label.querySelector("input");
          var shown = !words || box.checked || label.textContent.toLowerCase().indexOf(words) !== -1;
          label.parentNode.hidden = !shown;
        });
      });
      search.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault(); // filtering, not submitting the form
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    checklistFilters();
    menu();
    filters();
    scrollRegions();
    bulkSelection();
  });
})();
