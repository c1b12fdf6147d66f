// The progress bar of a running catalog import: asks the server how far the import got (the JSON
// at the section's data-progress address) every second and moves the bar; when the import has
// finished it reloads the page, which then shows the result. Without this script the page
// refreshes itself (a <noscript> meta refresh) and has a Refresh link.
(function () {
  "use strict";
  var section = document.getElementById("import-progress");
  if (!section || !window.fetch) return;
  var bar = document.getElementById("import-bar");
  var count = document.getElementById("import-count");
  var url = section.dataset.progress;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (p) {
        if (!p) { setTimeout(poll, 3000); return; }
        if (p.finished) { location.reload(); return; }
        if (p.rows_total > 0) {
          bar.max = p.rows_total;
          bar.value = p.rows_done;
          bar.textContent = p.percent + " %";
          count.textContent = p.rows_done + " of " + p.rows_total + " rows";
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }

  setTimeout(poll, 500);
})();
