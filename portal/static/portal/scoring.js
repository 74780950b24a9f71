/* Score sheet: keeps the running total up to date and marks unusual scores while the expert
   types. The page works without it: the server counts the total again on every save and
   checks every mark on submission. Vendored, no dependencies (offline intranets). */
(function () {
  "use strict";
  var form = document.querySelector("form.score-sheet");
  var output = document.getElementById("running-total");
  if (!form || !output) {
    return;
  }
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input.score-input"));

  // Points in hundredths, so that 0.1 + 0.2 adds up exactly; null when not a valid mark.
  function cents(text) {
    var value = (text || "").trim();
    if (!/^\d+(\.\d{1,2})?$/.test(value)) {
      return null;
    }
    return Math.round(parseFloat(value) * 100);
  }

  function update() {
    var total = 0;
    inputs.forEach(function (input) {
      var mark = cents(input.value);
      var max = Math.round(parseFloat(input.getAttribute("data-max")) * 100);
      var low = parseFloat(input.getAttribute("data-low")) * 100;
      var high = parseFloat(input.getAttribute("data-high")) * 100;
      var valid = mark !== null && mark <= max;
      if (valid) {
        total += mark;
      }
      var row = input.closest("tr");
      if (!row) {
        return;
      }
      var comment = row.querySelector("textarea");
      var unusual = valid && (mark < low || mark > high);
      var needsComment = unusual && comment && comment.value.trim() === "";
      row.classList.toggle("score-unusual", unusual);
      var hint = row.querySelector(".unusual-hint");
      if (hint) {
        hint.hidden = !needsComment;
      }
    });
    output.textContent = (total / 100).toFixed(2);
  }

  form.addEventListener("input", update);
  update();
})();
