/* 常用意见: turns the listed frequent opinions next to an opinion field into buttons that insert
   the phrase at the cursor. Markup (portal/_phrases.html):
     <div data-phrases-for="ID of the textarea"> ... <li data-phrase="text">text</li> ... </div>
   Without JavaScript the phrases stay a list to copy from. Vendored, no dependencies (offline
   intranets); safe to load more than once on a page. */
(function () {
  "use strict";

  function insert(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    if (typeof start !== "number" || typeof end !== "number") {
      start = end = textarea.value.length;
    }
    if (typeof textarea.setRangeText === "function") {
      textarea.setRangeText(text, start, end, "end");
    } else {
      textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
      textarea.selectionStart = textarea.selectionEnd = start + text.length;
    }
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  function enhance(box) {
    if (box.getAttribute("data-phrases-ready")) {
      return;
    }
    var textarea = document.getElementById(box.getAttribute("data-phrases-for"));
    if (!textarea) {
      return;
    }
    box.setAttribute("data-phrases-ready", "1");
    var hint = box.querySelector(".phrases-hint");
    if (hint && box.getAttribute("data-button-hint")) {
      hint.textContent = box.getAttribute("data-button-hint");
    }
    Array.prototype.forEach.call(box.querySelectorAll("li[data-phrase]"), function (item) {
      var text = item.getAttribute("data-phrase");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button small secondary";
      button.textContent = text;
      button.setAttribute("aria-controls", textarea.id);
      // Keep the cursor where it is in the field while the button is pressed.
      button.addEventListener("mousedown", function (event) {
        event.preventDefault();
      });
      button.addEventListener("click", function () {
        insert(textarea, text);
      });
      item.textContent = "";
      item.appendChild(button);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-phrases-for]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
