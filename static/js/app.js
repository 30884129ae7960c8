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

  document.addEventListener("DOMContentLoaded", function () {
    menu();
    filters();
    scrollRegions();
  });
})();
