// Small behaviours for every page, without inline handlers (the Content-Security-Policy
// allows scripts from our own files only).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-submit-on-change]") && field.form) {
    field.form.submit();
  }
});
