// The configuration editor's live checks (no inline script: the CSP allows only our files).
// Model versions: the form is posted to its validate URL as the admin types (debounced); the
// server's own writer checks it and returns the errors by field, the weight total and each
// line's share. KPIs: the formula is checked as typed and its input KPIs shown; aggregation is
// hidden for formula KPIs. Without JS both forms still work by a normal POST.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function post(url, form) {
    return fetch(url, {method: "POST", body: new FormData(form), credentials: "same-origin",
                       headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function formatNumber(x) {
    return (Math.round(x * 100) / 100).toLocaleString(undefined, {maximumFractionDigits: 2});
  }

  // -- model version --------------------------------------------------------------------------
  function versionEditor(form) {
    var state = document.getElementById("live-state");
    var general = document.querySelector('[data-errors-for="__all__"]');

    function showErrors(errors) {
      document.querySelectorAll("[data-errors-for]").forEach(function (el) { el.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
      var count = 0;
      Object.keys(errors).forEach(function (key) {
        var text = errors[key].join(" ");
        count += errors[key].length;
        var box = document.querySelector('[data-errors-for="' + key + '"]') || general;
        box.textContent = (box.textContent ? box.textContent + " " : "") + text;
        var input = form.elements.namedItem(key);
        if (input && input.setAttribute) { input.setAttribute("aria-invalid", "true"); }
      });
      return count;
    }

    function showWeights(result) {
      document.getElementById("weight-total").textContent = formatNumber(result.total);
      Object.keys(result.percent).forEach(function (row) {
        var cell = document.querySelector('[data-share-for="' + row + '"]');
        var pct = result.percent[row];
        if (cell) { cell.textContent = pct === null ? "" : pct.toFixed(1) + "%"; }
      });
    }

    function showDirection(select) {
      var row = select.name.replace(/-kpi$/, "");
      var cell = document.querySelector('[data-direction-for="' + row + '"]');
      var option = select.options[select.selectedIndex];
      if (!cell) { return; }
      var d = option ? option.getAttribute("data-direction") : "";
      cell.textContent = d === "lower" ? "lower \u2193" : d === "higher" ? "higher \u2191" : "";
    }

    var check = debounce(function () {
      state.textContent = "Checking\u2026";
      post(form.dataset.validateUrl, form).then(function (result) {
        var count = showErrors(result.errors);
        showWeights(result);
        state.textContent = count ? count + " problem" + (count > 1 ? "s" : "") + " to fix"
                                  : "No problems found (not saved yet)";
        state.className = count ? "error small" : "muted small";
      }).catch(function () { state.textContent = "Could not check now; saving checks again."; });
    }, 350);

    form.addEventListener("input", check);
    form.addEventListener("change", function (event) {
      if (event.target.name && /^lines-\d+-kpi$/.test(event.target.name)) { showDirection(event.target); }
      check();
    });
  }

  // -- KPI ------------------------------------------------------------------------------------
  function kpiEditor(form) {
    var source = form.elements.namedItem("source");
    var formula = form.elements.namedItem("formula");
    var code = form.elements.namedItem("code");
    var aggregation = document.getElementById("aggregation-field");
    var error = document.getElementById("formula-error");
    var inputs = document.getElementById("formula-inputs");
    var refs = document.getElementById("formula-refs");

    function toggle() { if (aggregation && source) { aggregation.hidden = source.value === "formula"; } }

    var check = debounce(function () {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", form.elements.namedItem("csrfmiddlewaretoken").value);
      body.append("code", code ? code.value : "");
      body.append("formula", formula.value);
      fetch(form.dataset.checkUrl, {method: "POST", body: body, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (result) {
          error.textContent = result.error;
          formula.setAttribute("aria-invalid", result.error ? "true" : "false");
          inputs.hidden = !result.ok;
          var words = result.inputs.join(", ") || "\u2013";
          if (result.previous.length) { words += "; previous period: " + result.previous.join(", "); }
          refs.textContent = words;
        });
    }, 300);

    if (source) { source.addEventListener("change", toggle); toggle(); }
    if (formula) { formula.addEventListener("input", check); }
  }

  var version = document.getElementById("version-form");
  if (version && version.dataset.validateUrl) { versionEditor(version); }
  var kpi = document.getElementById("kpi-form");
  if (kpi && kpi.dataset.checkUrl) { kpiEditor(kpi); }
})();
