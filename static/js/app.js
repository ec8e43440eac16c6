// Small behaviours for every page, without inline handlers (the Content-Security-Policy
// allows scripts from our own files only).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-submit-on-change]") && field.form) {
    field.form.submit();
  }
});

// Print (the scorecard's Print button, templates/assessments/_export_links.html).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

// On paper: the print date is today's, and Plotly charts are redrawn at a fixed width that
// fits an A4 page (186 mm between 12 mm margins, static/css/print.css) and a little shorter,
// so a scorecard stays on two pages; back to the screen size afterwards.
(function () {
  var PRINT_WIDTH_PX = 680;
  var PRINT_HEIGHT_SCALE = 0.75;
  var printing = false;
  function charts() {
    return window.Plotly ? document.querySelectorAll(".js-plotly-plot") : [];
  }
  function toPaper() {
    if (printing) return;
    printing = true;
    var now = new Date();
    var today = [now.getFullYear(), now.getMonth() + 1, now.getDate()]
      .map(function (n) { return String(n).padStart(2, "0"); }).join("-");
    document.querySelectorAll("[data-print-date]").forEach(function (el) { el.textContent = today; });
    charts().forEach(function (el) {
      var height = el.layout && el.layout.height;
      el.dataset.screenHeight = height || "";
      var paper = { width: PRINT_WIDTH_PX, autosize: false };
      if (height) paper.height = Math.round(height * PRINT_HEIGHT_SCALE);
      window.Plotly.relayout(el, paper);
    });
  }
  function toScreen() {
    if (!printing) return;
    printing = false;
    charts().forEach(function (el) {
      var screen = { width: null, autosize: true };
      if (el.dataset.screenHeight) screen.height = Number(el.dataset.screenHeight);
      window.Plotly.relayout(el, screen);
    });
  }
  window.addEventListener("beforeprint", toPaper);
  window.addEventListener("afterprint", toScreen);
  var media = window.matchMedia && window.matchMedia("print");
  if (media && media.addEventListener) {
    media.addEventListener("change", function (query) { (query.matches ? toPaper : toScreen)(); });
  }
})();
