/* datasette-vega's chart builder, loaded when it is wanted rather than with the page.
   Why: its bundle is 944 KB of JavaScript (React, Vega 4), which a phone on a slow
   network would otherwise fetch and run on every table page before the page could be
   used. templates/_vega.html puts a "Show charting options" button where the plugin
   puts its own; pressing it loads the plugin's stylesheet and bundle, then opens the
   builder. A URL whose fragment describes a chart (#g.mark=..., a shared chart link)
   loads it at once, so the chart is drawn as before.
   The bundle starts itself on DOMContentLoaded, which has already fired by then: the
   listener it adds while it runs is kept and called once it has loaded. */
(function () {
  "use strict";
  var loading = false;

  function start(holder, open) {
    if (loading) { return; }
    loading = true;
    holder.setAttribute("aria-busy", "true");
    (holder.getAttribute("data-vega-css") || "").split(" ").filter(Boolean).forEach(function (href) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.appendChild(link);
    });
    var urls = (holder.getAttribute("data-vega-js") || "").split(" ").filter(Boolean);
    var listeners = [];
    var add = document.addEventListener;
    document.addEventListener = function (type, fn, options) {
      if (type === "DOMContentLoaded") { listeners.push(fn); return; }
      return add.call(document, type, fn, options);
    };
    function next() {
      if (!urls.length) { return done(); }
      var script = document.createElement("script");
      script.src = urls.shift();
      script.onload = next;
      script.onerror = function () { document.addEventListener = add; failed(holder); };
      document.head.appendChild(script);
    }
    function done() {
      document.addEventListener = add;
      listeners.forEach(function (fn) { fn.call(document); });
      holder.parentNode.removeChild(holder);
      if (!open) { return; }
      var button = document.querySelector(".datasette-vega-inactive button");
      if (!button) { return; }
      button.click();
      // The builder replaced the button that had the focus: give it to the builder's
      // first control once React has drawn it.
      var tries = 0;
      (function focusBuilder() {
        var first = document.querySelector("form.datasette-vega select, form.datasette-vega button");
        if (first) { return first.focus(); }
        if (++tries < 50) { window.setTimeout(focusBuilder, 50); }
      }());
    }
    next();
  }

  function failed(holder) {
    holder.removeAttribute("aria-busy");
    var p = document.createElement("p");
    p.textContent = "The chart builder could not be loaded. The data is in the table below.";
    holder.appendChild(p);
  }

  function ready() {
    var holder = document.querySelector(".reg-vega-lazy[data-vega-js]");
    if (!holder) { return; }
    if (/(^#|&)g\.mark=/.test(window.location.hash)) { return start(holder, false); }
    holder.querySelector("button").addEventListener("click", function () { start(holder, true); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
}());
