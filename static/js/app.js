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
// fits an A4 page (186 mm between 12 mm margins, static/css/print.css); back to the screen
// size afterwards.
(function () {
  var PRINT_WIDTH_PX = 680;
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
      window.Plotly.relayout(el, { width: PRINT_WIDTH_PX, autosize: false });
    });
  }
  function toScreen() {
    if (!printing) return;
    printing = false;
    charts().forEach(function (el) {
      window.Plotly.relayout(el, { width: null, autosize: true });
    });
  }
  window.addEventListener("beforeprint", toPaper);
  window.addEventListener("afterprint", toScreen);
  var media = window.matchMedia && window.matchMedia("print");
  if (media && media.addEventListener) {
    media.addEventListener("change", function (query) { (query.matches ? toPaper : toScreen)(); });
  }
})();
