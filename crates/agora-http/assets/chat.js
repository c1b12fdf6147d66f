// Live updates of a conversation page: new messages and read receipts arrive over the WebSocket
// (/api/v1/ws, authenticated by the session cookie), the reply form posts without reloading, and
// after a lost connection the page reconnects and asks for what it missed. Without this script
// the page works by posting the form and reloading.
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  if (!log || !window.WebSocket || !window.fetch) return;
  var conversation = log.dataset.conversation;
  var me = log.dataset.account;
  var mySide = log.dataset.side;
  var last = Number(log.dataset.lastSeq || 0);
  var form = document.getElementById("chat-form");
  var statusEl = document.getElementById("chat-status");
  var seenEl = document.getElementById("chat-seen");
  var errorEl = document.getElementById("body-error");
  var csrf = form ? form.querySelector("input[name=csrf]").value : "";
  var retry = 1000;

  function status(text) {
    if (statusEl) statusEl.textContent = text;
  }

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Adds a message in its place by seq, once.
  function show(m) {
    if (document.getElementById("m" + m.seq)) return;
    // A negotiation's event reads as one line with a link to the negotiation.
    var isEvent = m.kind === "event";
    var item = el("li", "chat-message " + (isEvent ? "chat-event" : m.side === mySide ? "mine" : "theirs"));
    item.id = "m" + m.seq;
    item.dataset.seq = m.seq;
    var time = el("time", "", when(m.created_at));
    time.setAttribute("datetime", m.created_at);
    if (isEvent) {
      var line = el("p", "chat-body", m.body);
      var neg = m.event && m.event.negotiation_id;
      if (neg) {
        var link = el("a", "", "See the negotiation");
        link.href = "/negotiations/" + neg;
        line.appendChild(document.createTextNode(" · "));
        line.appendChild(link);
      }
      item.appendChild(line);
      var at = el("p", "chat-meta muted");
      at.appendChild(time);
      item.appendChild(at);
    } else {
      var meta = el("p", "chat-meta");
      meta.appendChild(el("strong", "", m.sender_name));
      var detail = el("span", "muted", " (" + (m.side === "seller" ? "Seller" : "Buyer") + ") · ");
      detail.appendChild(time);
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(detail);
      item.appendChild(meta);
      if (m.body) item.appendChild(el("p", "chat-body", m.body));
    }
    if (m.attachment) {
      var p = el("p");
      var a = el("a", "", m.attachment.filename);
      a.href = "/messages/" + conversation + "/files/" + m.id;
      p.appendChild(a);
      item.appendChild(p);
    }
    var next = null;
    for (var i = 0; i < log.children.length; i++) {
      if (Number(log.children[i].dataset.seq) > m.seq) { next = log.children[i]; break; }
    }
    log.insertBefore(item, next);
    var empty = document.getElementById("chat-empty");
    if (empty) empty.remove();
    if (m.seq > last) last = m.seq;
    if (seenEl && m.side === mySide) seenEl.textContent = "";
    item.scrollIntoView({ block: "nearest" });
  }

  function markRead() {
    if (document.visibilityState !== "visible") return;
    var body = "csrf=" + encodeURIComponent(csrf) + "&seq=" + last;
    fetch("/messages/" + conversation + "/read", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
      credentials: "same-origin"
    }).catch(function () {});
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/api/v1/ws");
    socket.onopen = function () {
      retry = 1000;
      status("Live");
      socket.send(JSON.stringify({ type: "catch_up", conversation_id: conversation, after: last }));
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.conversation_id !== conversation) return;
      if (frame.type === "message") {
        show(frame.message);
        if (frame.message.sender_account_id !== me) markRead();
      } else if (frame.type === "read" && frame.side !== mySide && seenEl) {
        seenEl.textContent = frame.seq >= last ? "Seen" : "";
      }
    };
    socket.onclose = function () {
      status("Reconnecting…");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (errorEl) errorEl.textContent = "";
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Agora-Fetch": "1", "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (res) {
        return res.json().then(function (data) {
          if (res.ok) {
            show(data);
            form.reset();
          } else if (errorEl) {
            errorEl.textContent = data.error || "The message could not be sent.";
          }
        });
      }).catch(function () {
        if (errorEl) errorEl.textContent = "The message could not be sent; check your connection.";
      }).then(function () {
        button.disabled = false;
      });
    });
  }

  document.addEventListener("visibilitychange", markRead);
  connect();
})();
