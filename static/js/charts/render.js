/* Draws each chart on a page from its Vega-Lite spec, kept in a
   <script type="application/json"> data block that the chart's element names in its
   data-spec attribute. Why this way: the site's Content-Security-Policy allows no inline
   script and no eval, so the spec is data (never executed), and Vega runs with its
   CSP-safe expression interpreter (`ast: true`). Vega, Vega-Lite and vega-embed are
   served from /static/vendor/, never from a CDN. */
(function () {
  "use strict";

  function fail(el, message) {
    el.setAttribute("data-chart-error", message);
    var p = document.createElement("p");
    p.className = "reg-chart__fallback";
    p.textContent = "The chart could not be drawn. The same figures are in the table below.";
    el.appendChild(p);
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-spec"));
    if (!source) { return fail(el, "no spec"); }
    if (typeof window.vegaEmbed !== "function") { return fail(el, "vega-embed not loaded"); }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return fail(el, "bad spec"); }
    window.vegaEmbed(el, spec, {
      actions: false,        // no export menu: the data links are on the page
      ast: true,             // expressions interpreted, not compiled: no 'unsafe-eval'
      renderer: "svg",
      defaultStyle: false,   // vega-embed would otherwise inject an inline <style>
      tooltip: false         // the tooltip plugin injects inline styles too
    }).then(function () {
      // One image with a text description for assistive technology: the figures
      // themselves are in the table that follows every chart.
      var svg = el.querySelector("svg");
      if (svg) {
        svg.setAttribute("role", "img");
        svg.setAttribute("aria-label", spec.description || "Chart");
      }
      el.setAttribute("data-chart-drawn", "true");
    }).catch(function (err) {
      fail(el, String(err && err.message || err));
    });
  }

  function start() {
    var charts = document.querySelectorAll("[data-spec]");
    for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
