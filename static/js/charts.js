// Draws every chart the server described as JSON (assessments/charts.py), then keeps charts
// sized to their boxes. A file of our own, so the Content-Security-Policy needs no inline script.
(function () {
  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll(".plotly-chart[data-figure]").forEach(function (el) {
      var figure = JSON.parse(el.dataset.figure);
      var config = JSON.parse(el.dataset.config || "{}");
      window.Plotly.newPlot(el, figure.data, figure.layout, config);
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
