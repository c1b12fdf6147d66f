// Live updates of a negotiation page: when either side moves (a `negotiation` frame on the
// WebSocket /api/v1/ws for this negotiation), the page fetches itself again and swaps in the
// fresh status, rounds and actions, without a reload. After a lost connection it reconnects and
// fetches again. Without this script the page shows the same after a reload.
(function () {
  "use strict";
  var live = document.getElementById("negotiation-live");
  if (!live || !window.WebSocket || !window.fetch || !window.DOMParser) return;
  var id = live.dataset.negotiation;
  var retry = 1000;
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        var doc = html && new DOMParser().parseFromString(html, "text/html");
        var fresh = doc && doc.getElementById("negotiation-live");
        // Unchanged: keep what is there (and whatever the viewer is typing).
        if (!fresh || (fresh.dataset.rounds === live.dataset.rounds && fresh.dataset.status === live.dataset.status)) return;
        live.replaceWith(fresh);
        live = fresh;
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/api/v1/ws");
    socket.onopen = function () {
      retry = 1000;
      refresh();
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type !== "negotiation" || frame.negotiation_id !== id) return;
      if (String(frame.rounds) !== live.dataset.rounds || frame.status !== live.dataset.status) refresh();
    };
    socket.onclose = function () {
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  connect();
})();
