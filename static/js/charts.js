// Draws every chart the server described as JSON (assessments/charts.py), then keeps charts
// sized to their boxes. A file of our own, so the Content-Security-Policy needs no inline script.
// A mark whose customdata is a link (a string starting with "/" or "?") opens it when clicked:
// the portfolio's charts filter the partner table that way. In a [data-link-template] box
// (the KPI heatmap), a cell opens the template with {row} = data-rows[row] and {x} = the column.
(function () {
  function linkOf(point) {
    var data = point && point.customdata;
    if (Array.isArray(data)) return null;
    return typeof data === "string" && (data.charAt(0) === "/" || data.charAt(0) === "?") ? data : null;
  }
  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll(".plotly-chart[data-figure]").forEach(function (el) {
      var figure = JSON.parse(el.dataset.figure);
      var config = JSON.parse(el.dataset.config || "{}");
      window.Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
        el.dataset.drawn = "true";
      });
      var links = el.closest("[data-link-template]");
      el.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        var href = linkOf(point);
        if (!href && links && point && Array.isArray(point.pointIndex)) {
          var rows = JSON.parse(links.dataset.rows);
          href = links.dataset.linkTemplate
            .replace("{row}", encodeURIComponent(rows[point.pointIndex[0]]))
            .replace("{x}", encodeURIComponent(point.x));
        }
        if (href) window.location.assign(href);
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  // Charts render while the page is still laid out; size them to their final boxes.
  window.addEventListener("load", function () { window.dispatchEvent(new Event("resize")); });
})();
