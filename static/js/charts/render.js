/* Draws each chart on a page from its Vega-Lite spec, kept in a
   <script type="application/json"> data block that the chart's element names in its
   data-spec attribute. Why this way: the site's Content-Security-Policy allows no inline
   script and no eval, so the spec is data (never executed), and Vega runs with its
   CSP-safe expression interpreter (`ast: true`). Vega, Vega-Lite and vega-embed are
   served from /static/vendor/, never from a CDN.
   Fast on a phone: this file is small; the 840 KB of Vega it needs (the element's
   data-vega-js) is fetched only once the page has loaded and a chart is on or near the
   screen, so the page is readable and usable first. The space the chart takes is kept
   for it from the start (the placeholder's height, worked out from the spec by
   register/site/charts.py), so nothing below it moves when it is drawn. */
(function () {
  "use strict";
  var loaded = null;

  function fail(el, message) {
    el.setAttribute("data-chart-error", message);
    var p = document.createElement("p");
    p.className = "reg-chart__fallback";
    p.textContent = "The chart could not be drawn. The same figures are in the table below.";
    el.appendChild(p);
  }

  function loadScripts(urls) {
    if (loaded) { return loaded; }
    loaded = urls.reduce(function (previous, url) {
      return previous.then(function () {
        return new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = url;
          script.onload = resolve;
          script.onerror = function () { reject(new Error("could not load " + url)); };
          document.head.appendChild(script);
        });
      });
    }, Promise.resolve());
    return loaded;
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-spec"));
    if (!source) { return fail(el, "no spec"); }
    if (typeof window.vegaEmbed !== "function") { return fail(el, "vega-embed not loaded"); }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return fail(el, "bad spec"); }
    // Keep the reserved space while the chart replaces the placeholder.
    el.style.minHeight = el.offsetHeight + "px";
    var space = el.querySelector(".reg-chart__space");
    if (space) { space.parentNode.removeChild(space); }
    window.vegaEmbed(el, spec, {
      actions: false,        // no export menu: the data links are on the page
      ast: true,             // expressions interpreted, not compiled: no 'unsafe-eval'
      renderer: "svg",
      defaultStyle: false,   // vega-embed would otherwise inject an inline <style>
      tooltip: false,        // the tooltip plugin injects inline styles too
      // The charts have no input bindings; without an element of its own for them, Vega
      // adds an empty <form> to the chart, which has no submit button (WCAG H32).
      bind: document.createElement("div")
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

  function show(el) {
    var urls = (el.getAttribute("data-vega-js") || "").split(" ").filter(Boolean);
    loadScripts(urls).then(function () { draw(el); }, function (err) { fail(el, err.message); });
  }

  function start() {
    var charts = Array.prototype.slice.call(document.querySelectorAll("[data-spec]"));
    if (!charts.length) { return; }
    if (!("IntersectionObserver" in window)) { return charts.forEach(show); }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          show(entry.target);
        }
      });
    }, { rootMargin: "200px 0px" });
    charts.forEach(function (el) { observer.observe(el); });
  }

  // After the load event and after the next frame is painted: the page's text is on
  // the screen (its largest paint done) before any of Vega is asked for.
  function afterPaint() {
    window.requestAnimationFrame(function () { window.setTimeout(start, 0); });
  }
  if (document.readyState === "complete") {
    afterPaint();
  } else {
    window.addEventListener("load", afterPaint);
  }
}());
