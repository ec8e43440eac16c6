// Polls the import's status while it is checked or imported; reloads when it is done.
(function () {
  var card = document.getElementById("progress-card");
  if (!card) return;
  var bar = document.getElementById("progress");
  var done = document.getElementById("rows-done");
  function poll() {
    fetch(card.dataset.statusUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.max = Math.max(1, s.rows_total);
        bar.value = s.rows_done;
        done.textContent = s.rows_done.toLocaleString();
        if (s.busy) { setTimeout(poll, 700); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 500);
})();
