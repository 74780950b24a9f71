/* Live notifications: keeps the unread badge and the notification list up to date without a
   reload, and syncs read state across the user's tabs. The pages work without it: the badge
   is rendered by the server on every page, and every form posts and redirects as usual.
   Vendored, no dependencies (offline intranets). Protocol: notifications/consumers.py. */
(function () {
  "use strict";
  var badge = document.querySelector("[data-notifications-badge]");
  if (!badge || !window.WebSocket || !window.fetch) {
    return;
  }
  var counter = badge.querySelector("[data-unread-count]");
  var list = document.querySelector("[data-notification-list] tbody");
  var readAll = document.querySelector("[data-notifications-read-all]");
  var params = new URLSearchParams(window.location.search);
  var firstPage = !params.get("page") || params.get("page") === "1";
  // Ids up to the one the server rendered are already counted in the badge and listed.
  // lowWater: every id up to it is on this page (the server says so as it moves it);
  // have: the ids above it that are. A reconnecting socket sends both and gets the rest.
  var lowWater = parseInt(badge.getAttribute("data-last-id"), 10) || 0;
  var lastId = lowWater;
  var unread = parseInt(counter.textContent, 10) || 0;
  var have = {};
  var retries = 0;
  var socket = null;
  var toastTimer = null;

  function setUnread(n) {
    unread = Math.max(0, n);
    counter.textContent = String(unread);
    counter.hidden = unread === 0;
    if (readAll) {
      readAll.hidden = unread === 0;
    }
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function announce(text) {
    var main = document.getElementById("main");
    if (!main) {
      return;
    }
    var box = document.getElementById("notification-toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "notification-toast";
      box.className = "message info";
      box.setAttribute("role", "status");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
    box.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () {
      box.hidden = true;
    }, 8000);
  }

  function row(n) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-notification-id", String(n.id));
    var text = document.createElement("td");
    var link = document.createElement("a");
    link.href = n.url;
    link.textContent = n.text;
    var time = document.createElement("td");
    var stamp = document.createElement("time");
    stamp.setAttribute("datetime", n.created);
    stamp.textContent = new Date(n.created).toLocaleString();
    time.appendChild(stamp);
    var actions = document.createElement("td");
    if (!n.read) {
      tr.setAttribute("data-unread", "");
      var mark = document.createElement("span");
      mark.className = "badge state-submitted";
      mark.setAttribute("data-unread-mark", "");
      mark.textContent = badge.getAttribute("data-new-label") || "•";
      text.appendChild(mark);
      text.appendChild(document.createTextNode(" "));
      var form = document.createElement("form");
      form.method = "post";
      form.action = n.read_url;
      form.className = "inline";
      form.setAttribute("data-notification-read", "");
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrfmiddlewaretoken";
      token.value = csrfToken();
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "button small secondary";
      button.textContent = badge.getAttribute("data-read-label") || "✓";
      form.appendChild(token);
      form.appendChild(button);
      actions.appendChild(form);
    }
    text.appendChild(link);
    tr.appendChild(text);
    tr.appendChild(time);
    tr.appendChild(actions);
    return tr;
  }

  function setLowWater(w) {
    lowWater = Math.max(lowWater, w || 0);
    Object.keys(have).forEach(function (id) {
      if (Number(id) <= lowWater) {
        delete have[id];
      }
    });
  }

  // Returns false for an id this page already has.
  function add(n) {
    if (have[n.id] || n.id <= lowWater) {
      return false;
    }
    have[n.id] = true;
    lastId = Math.max(lastId, n.id);
    if (readAll) {
      readAll.querySelector("input[name=up_to]").value = String(lastId);
    }
    if (list && firstPage) {
      var empty = list.querySelector("[data-empty]");
      if (empty) {
        empty.parentNode.removeChild(empty);
      }
      // Newest first, by id: one that was caught up late goes where it belongs.
      var before = null;
      Array.prototype.some.call(list.children, function (tr) {
        var id = parseInt(tr.getAttribute("data-notification-id"), 10);
        if (id < n.id) {
          before = tr;
          return true;
        }
        return false;
      });
      list.insertBefore(row(n), before);
    }
    return true;
  }

  function markRead(ids, upTo) {
    if (!list) {
      return;
    }
    var rows = list.querySelectorAll("tr[data-unread]");
    Array.prototype.forEach.call(rows, function (tr) {
      var id = parseInt(tr.getAttribute("data-notification-id"), 10);
      var hit = ids ? ids.indexOf(id) >= 0 : upTo === null || upTo === undefined || id <= upTo;
      if (!hit) {
        return;
      }
      tr.removeAttribute("data-unread");
      Array.prototype.forEach.call(
        tr.querySelectorAll("[data-unread-mark], form[data-notification-read]"),
        function (el) {
          el.parentNode.removeChild(el);
        }
      );
    });
  }

  function receive(message) {
    if (message.type === "catchup") {
      var fresh = message.notifications.filter(add);
      if (fresh.length) {
        announce(fresh[fresh.length - 1].text);
      }
      setUnread(message.unread);
      setLowWater(message.low_water);
    } else if (message.type === "sync") {
      setLowWater(message.low_water);
    } else if (message.type === "notification") {
      if (add(message.notification)) {
        if (!message.notification.read) {
          setUnread(unread + 1);
        }
        announce(message.notification.text);
      }
    } else if (message.type === "read") {
      markRead(message.ids, message.up_to);
      setUnread(message.unread);
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + badge.getAttribute("data-ws-path"));
    socket.onopen = function () {
      retries = 0;
      socket.send(
        JSON.stringify({ type: "hello", last_id: lowWater, have: Object.keys(have).map(Number) })
      );
    };
    socket.onmessage = function (event) {
      try {
        receive(JSON.parse(event.data));
      } catch (err) {
        /* a malformed frame is ignored; the next page load is authoritative */
      }
    };
    socket.onclose = function (event) {
      if (event.code === 4401) {
        return; // logged out or refused: nothing to wait for
      }
      // Back off 1, 2, 4 ... 30 s, with jitter so that a restarted server is not stormed.
      var delay = Math.min(30000, 1000 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
      retries += 1;
      window.setTimeout(connect, delay);
    };
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-notification-read], form[data-notifications-read-all]")) {
      return;
    }
    event.preventDefault();
    window
      .fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        setUnread(data.unread);
      })
      .catch(function () {
        form.submit(); // the plain form still works
      });
  });

  connect();
})();
