/* Live review dashboard: redraws the scoring progress of a call whenever the server sends a
   fresh snapshot over /ws/review/<call>/ (protocol: notifications/dashboard.py). The page
   works without it: the server renders the same snapshot, and the reload link fetches a newer
   one. Every text is set with textContent. Vendored, no dependencies (offline intranets). */
(function () {
  "use strict";
  var root = document.querySelector("[data-review-dashboard]");
  if (!root || !window.WebSocket) {
    return;
  }
  var status = document.querySelector("[data-dashboard-status]");
  var updated = document.querySelector("[data-dashboard-updated]");
  var complete = root.querySelector("[data-dashboard-complete]");
  var progress = root.querySelector("[data-total-progress]");
  var retries = 0;

  function label(name) {
    return root.getAttribute("data-" + name + "-label") || "";
  }

  function setStatus(live) {
    if (status) {
      status.textContent = label(live ? "live" : "offline");
    }
  }

  function cell(tr, content, numeric, strong) {
    var td = document.createElement("td");
    if (numeric) {
      td.className = "num";
    }
    if (strong) {
      var bold = document.createElement("strong");
      bold.textContent = content;
      td.appendChild(bold);
    } else {
      td.textContent = content;
    }
    tr.appendChild(td);
  }

  function badge(tr, item, assigned) {
    var td = document.createElement("td");
    var span = document.createElement("span");
    var state = item.complete ? "complete" : assigned ? "scoring" : "none";
    span.className =
      "badge " +
      { complete: "state-accepted", scoring: "state-submitted", none: "state-draft" }[state];
    span.textContent = label(state);
    td.appendChild(span);
    tr.appendChild(td);
  }

  function fill(name, items, columns, emptyLabel) {
    var body = root.querySelector('[data-dashboard-rows="' + name + '"]');
    if (!body) {
      return;
    }
    var rows = items.map(function (item) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-id", String(item.id));
      columns(tr, item);
      return tr;
    });
    if (!rows.length) {
      var tr = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = body.parentNode.querySelectorAll("thead th").length;
      td.textContent = label(emptyLabel);
      tr.appendChild(td);
      rows.push(tr);
    }
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    rows.forEach(function (tr) {
      body.appendChild(tr);
    });
  }

  function render(snapshot) {
    ["submitted", "sheets", "flagged", "unexplained", "awaiting_answer"].forEach(function (key) {
      var el = root.querySelector('[data-total="' + key + '"]');
      if (el) {
        el.textContent = String(snapshot[key]);
      }
    });
    if (progress) {
      progress.max = snapshot.sheets;
      progress.value = snapshot.submitted;
    }
    if (complete) {
      complete.hidden = !snapshot.complete;
    }
    fill(
      "applications",
      snapshot.applications,
      function (tr, a) {
        cell(tr, a.title);
        cell(tr, a.organisation);
        cell(tr, a.submitted + " / " + a.sheets, true);
        cell(tr, String(a.flagged), true, a.flagged > 0);
        cell(tr, String(a.unexplained), true, a.unexplained > 0);
        badge(tr, a, a.sheets > 0);
      },
      "no-applications"
    );
    fill(
      "experts",
      snapshot.experts,
      function (tr, e) {
        cell(tr, e.name);
        cell(tr, e.submitted + " / " + e.assigned, true);
        badge(tr, e, true);
      },
      "no-experts"
    );
    if (updated) {
      var now = new Date();
      updated.setAttribute("datetime", now.toISOString());
      updated.textContent = now.toLocaleTimeString();
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-ws-path"));
    socket.onopen = function () {
      retries = 0;
      setStatus(true);
    };
    socket.onmessage = function (event) {
      try {
        var message = JSON.parse(event.data);
        if (message.type === "snapshot") {
          render(message);
        }
      } catch (err) {
        /* a malformed frame is ignored; the next snapshot or a reload is authoritative */
      }
    };
    socket.onclose = function (event) {
      setStatus(false);
      if (event.code === 4401 || event.code === 4403) {
        return; // logged out, or no longer allowed: a reload shows why
      }
      // Back off 1, 2, 4 ... 30 s, with jitter; each new connection starts with a snapshot.
      var delay = Math.min(30000, 1000 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
      retries += 1;
      window.setTimeout(connect, delay);
    };
  }

  connect();
})();
