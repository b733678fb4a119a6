/* Table and view pages: replaces Datasette's table.js, whose column menus open only on
   a mouse click on an unlabelled icon. Here each column header gets a real <button>
   ("Actions for column X") that opens a list of links (a disclosure, not an ARIA
   menu): Enter or Space opens it and moves focus to the first link, arrow keys move
   between links, Escape closes it and returns focus to the button, and it closes when
   focus or a click goes elsewhere. The links are the same as Datasette's: sort
   ascending/descending, facet by this, hide this column, show all columns, show
   not-blank rows; the column's type and description are shown too.
   Filter rows get a "Remove filter" button. */
(function () {
  "use strict";
  if (!window.URLSearchParams) {
    return;
  }

  var ICON = '<svg aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><circle cx="12" cy="12" r="3"></circle><path d="M19.4 15a1.65 1.65 0 0 0 .33 1.82l.06.06a2 2 0 0 1 0 2.83 2 2 0 0 1-2.83 0l-.06-.06a1.65 1.65 0 0 0-1.82-.33 1.65 1.65 0 0 0-1 1.51V21a2 2 0 0 1-2 2 2 2 0 0 1-2-2v-.09A1.65 1.65 0 0 0 9 19.4a1.65 1.65 0 0 0-1.82.33l-.06.06a2 2 0 0 1-2.83 0 2 2 0 0 1 0-2.83l.06-.06a1.65 1.65 0 0 0 .33-1.82 1.65 1.65 0 0 0-1.51-1H3a2 2 0 0 1-2-2 2 2 0 0 1 2-2h.09A1.65 1.65 0 0 0 4.6 9a1.65 1.65 0 0 0-.33-1.82l-.06-.06a2 2 0 0 1 0-2.83 2 2 0 0 1 2.83 0l.06.06a1.65 1.65 0 0 0 1.82.33H9a1.65 1.65 0 0 0 1-1.51V3a2 2 0 0 1 2-2 2 2 0 0 1 2 2v.09a1.65 1.65 0 0 0 1 1.51 1.65 1.65 0 0 0 1.82-.33l.06-.06a2 2 0 0 1 2.83 0 2 2 0 0 1 0 2.83l-.06.06a1.65 1.65 0 0 0-.33 1.82V9a1.65 1.65 0 0 0 1.51 1H21a2 2 0 0 1 2 2 2 2 0 0 1-2 2h-.09a1.65 1.65 0 0 0-1.51 1z"></path></svg>';

  function params() {
    return new URLSearchParams(location.search);
  }
  function toUrl(p) {
    var s = p.toString();
    return s ? "?" + s : location.pathname;
  }
  var urls = {
    sortAsc: function (column) {
      var p = params(); p.set("_sort", column); p.delete("_sort_desc"); p.delete("_next"); return toUrl(p);
    },
    sortDesc: function (column) {
      var p = params(); p.set("_sort_desc", column); p.delete("_sort"); p.delete("_next"); return toUrl(p);
    },
    facet: function (column) {
      var p = params(); p.append("_facet", column); return toUrl(p);
    },
    hide: function (column) {
      var p = params(); p.append("_nocol", column); return toUrl(p);
    },
    showAll: function () {
      var p = params(); p.delete("_nocol"); p.delete("_col"); return toUrl(p);
    },
    notBlank: function (column) {
      var p = params(); p.set(column + "__notblank", "1"); return toUrl(p);
    }
  };

  function start() {
    var header = document.querySelector("[data-allow-facet]");
    var allowFacet = !header || header.getAttribute("data-allow-facet") === "true";
    var table = document.querySelector("table.rows-and-columns");
    if (table) {
      columnMenus(table, allowFacet);
    }
    filterRemoveButtons();
  }

  function columnMenus(table, allowFacet) {
    var menu = document.createElement("div");
    menu.id = "column-menu";
    menu.className = "dropdown-menu column-menu";
    menu.hidden = true;
    menu.innerHTML =
      '<p class="dropdown-menu__title"></p><ul>' +
      '<li><a class="dropdown-sort-asc" href="#">Sort ascending</a></li>' +
      '<li><a class="dropdown-sort-desc" href="#">Sort descending</a></li>' +
      '<li><a class="dropdown-facet" href="#">Facet by this</a></li>' +
      '<li><a class="dropdown-hide-column" href="#">Hide this column</a></li>' +
      '<li><a class="dropdown-show-all-columns" href="#">Show all columns</a></li>' +
      '<li><a class="dropdown-not-blank" href="#">Show not-blank rows</a></li>' +
      '</ul><p class="dropdown-column-type"></p><p class="dropdown-column-description"></p>';
    document.body.appendChild(menu);
    var current = null;

    function item(cls) {
      return menu.querySelector("a." + cls);
    }
    function show(cls, href) {
      var a = item(cls);
      a.parentNode.hidden = !href;
      if (href) { a.setAttribute("href", href); }
    }
    function links() {
      return Array.prototype.filter.call(menu.querySelectorAll("a"), function (a) {
        return !a.parentNode.hidden;
      });
    }
    function close(returnFocus) {
      if (!current) { return; }
      var button = current;
      current = null;
      menu.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (returnFocus) { button.focus(); }
    }
    function open(button, th, focusFirst) {
      if (current) { close(false); }
      var column = th.getAttribute("data-column");
      var p = params();
      var heading = th.getAttribute("data-column-title") || column;
      /* The heading shows the column's title; the menu names the column as the data and SQL do. */
      menu.querySelector(".dropdown-menu__title").textContent =
        "Column: " + heading + (heading !== column ? " (" + column + ")" : "");
      show("dropdown-sort-asc", p.get("_sort") === column ? null : urls.sortAsc(column));
      show("dropdown-sort-desc", p.get("_sort_desc") === column ? null : urls.sortDesc(column));
      show("dropdown-show-all-columns", (p.get("_nocol") || p.get("_col")) ? urls.showAll() : null);
      show("dropdown-hide-column", th.getAttribute("data-is-pk") !== "1" ? urls.hide(column) : null);
      var shownFacets = Array.prototype.map.call(document.querySelectorAll(".facet-info"), function (el) {
        return el.getAttribute("data-column");
      });
      var isFirst = th.parentElement.querySelector("th") === th;
      var isSinglePk = th.getAttribute("data-is-pk") === "1" &&
        document.querySelectorAll('th[data-is-pk="1"]').length === 1;
      show("dropdown-facet", (!allowFacet || isFirst || isSinglePk || shownFacets.indexOf(column) !== -1) ? null : urls.facet(column));
      var index = Array.prototype.indexOf.call(th.parentElement.children, th);
      var blanks = Array.prototype.some.call(table.querySelectorAll("tbody tr"), function (tr) {
        var td = tr.children[index];
        return td && td.textContent.trim() === "";
      });
      show("dropdown-not-blank", (p.get(column + "__notblank") !== "1" && blanks) ? urls.notBlank(column) : null);
      var typeP = menu.querySelector(".dropdown-column-type");
      var type = th.getAttribute("data-column-type");
      typeP.hidden = !type;
      if (type) {
        typeP.textContent = "Type: " + type.toUpperCase() + (th.getAttribute("data-column-not-null") === "1" ? " NOT NULL" : "");
      }
      var descP = menu.querySelector(".dropdown-column-description");
      var desc = th.getAttribute("data-column-description");
      descP.hidden = !desc;
      descP.textContent = desc || "";
      var rect = button.getBoundingClientRect();
      menu.hidden = false;
      var left = rect.left + window.scrollX;
      var maxLeft = document.documentElement.clientWidth - menu.offsetWidth - 4 + window.scrollX;
      menu.style.top = (rect.bottom + window.scrollY + 4) + "px";
      menu.style.left = Math.max(4, Math.min(left, maxLeft)) + "px";
      button.setAttribute("aria-expanded", "true");
      current = button;
      if (focusFirst) {
        var first = links()[0];
        if (first) { first.focus(); }
      }
    }

    Array.prototype.forEach.call(table.querySelectorAll("thead th[data-column]"), function (th) {
      var column = th.getAttribute("data-column");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "column-menu-button";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", "column-menu");
      button.setAttribute("aria-label", "Actions for column " + (th.getAttribute("data-column-title") || column));
      button.innerHTML = ICON;
      button.addEventListener("click", function (ev) {
        ev.preventDefault();
        ev.stopPropagation();
        if (current === button) {
          close(false);
        } else {
          /* detail is 0 when the click came from the keyboard (Enter or Space). */
          open(button, th, ev.detail === 0);
        }
      });
      button.addEventListener("keydown", function (ev) {
        if (ev.key === "ArrowDown" && current !== button) {
          ev.preventDefault();
          open(button, th, true);
        }
      });
      th.appendChild(button);
    });

    menu.addEventListener("keydown", function (ev) {
      var items = links();
      var i = items.indexOf(document.activeElement);
      if (ev.key === "Escape") {
        ev.preventDefault();
        close(true);
      } else if (ev.key === "ArrowDown") {
        ev.preventDefault();
        items[(i + 1) % items.length].focus();
      } else if (ev.key === "ArrowUp") {
        ev.preventDefault();
        items[(i - 1 + items.length) % items.length].focus();
      } else if (ev.key === "Home") {
        ev.preventDefault();
        items[0].focus();
      } else if (ev.key === "End") {
        ev.preventDefault();
        items[items.length - 1].focus();
      } else if (ev.key === "Tab") {
        /* Leave the menu where it was opened, so Tab carries on along the headers. */
        ev.preventDefault();
        var button = current;
        close(true);
        if (ev.shiftKey) { return; }
        var buttons = Array.prototype.slice.call(table.querySelectorAll(".column-menu-button"));
        var next = buttons[buttons.indexOf(button) + 1];
        if (next) { next.focus(); }
      }
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && current && document.activeElement === current) {
        close(true);
      }
    });
    document.addEventListener("click", function (ev) {
      if (current && !menu.contains(ev.target)) { close(false); }
    });
    document.addEventListener("focusin", function (ev) {
      if (current && ev.target !== current && !menu.contains(ev.target)) { close(false); }
    });
    var wrapper = table.closest(".table-wrapper");
    if (wrapper) {
      wrapper.addEventListener("scroll", function () { close(false); });
    }
  }

  function filterRemoveButtons() {
    var rows = Array.prototype.filter.call(document.querySelectorAll(".filters .filter-row"), function (row) {
      return row.querySelector(".filter-op");
    });
    rows.forEach(function (row, n) {
      var column = row.querySelector("select");
      if (!column || !column.value) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "filter-remove";
      button.innerHTML = 'Remove<span class="visually-hidden"> filter ' + (n + 1) + "</span>";
      button.addEventListener("click", function () {
        column.value = "";
        var op = row.querySelector(".filter-op select");
        if (op) { op.value = "exact"; }
        var value = row.querySelector("input.filter-value");
        if (value) { value.value = ""; }
        column.focus();
        button.remove();
      });
      row.appendChild(button);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
