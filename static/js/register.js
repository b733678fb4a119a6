/* Behaviour shared by every page of the register. Loaded as a file (never inline) so
   the Content-Security-Policy can forbid inline script.
   - the primary navigation collapses behind a "Menu" button on narrow screens;
   - <details class="menu"> menus close with Escape (focus returns to their button)
     and when someone clicks or tabs elsewhere. */
(function () {
  "use strict";
  /* templates/base.html's one inline script has set this already; kept for safety. */
  document.documentElement.classList.remove("no-js");
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); }
    else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    /* Primary navigation: a disclosure button below 48em wide. */
    var toggle = document.querySelector(".site-nav__toggle");
    var list = document.getElementById("site-nav-list");
    if (toggle && list && window.matchMedia) {
      var narrow = window.matchMedia("(max-width: 47.99em)");
      /* The stylesheet shows the button and hides the list on narrow screens
         (html.js); this only opens and closes it. */
      var setOpen = function (open) {
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        list.classList.toggle("site-nav__list--open", open);
      };
      var apply = function () {
        if (!narrow.matches) { setOpen(false); }
      };
      toggle.addEventListener("click", function () {
        setOpen(toggle.getAttribute("aria-expanded") !== "true");
      });
      list.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape" && narrow.matches && toggle.getAttribute("aria-expanded") === "true") {
          setOpen(false);
          toggle.focus();
        }
      });
      if (narrow.addEventListener) { narrow.addEventListener("change", apply); }
      apply();
    }

    /* <details> menus. */
    var menus = function () {
      return Array.prototype.slice.call(document.querySelectorAll("details.menu, details.nav-menu, details.actions-menu-links"));
    };
    document.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape") { return; }
      menus().forEach(function (d) {
        if (d.open) {
          d.open = false;
          var summary = d.querySelector("summary");
          if (summary && d.contains(document.activeElement)) { summary.focus(); }
        }
      });
    });
    document.addEventListener("click", function (ev) {
      menus().forEach(function (d) {
        if (d.open && !d.contains(ev.target)) { d.open = false; }
      });
    });
    document.addEventListener("focusin", function (ev) {
      menus().forEach(function (d) {
        if (d.open && !d.contains(ev.target)) { d.open = false; }
      });
    });
  });
})();
