/* Rubric editor (评分细则): adds rows from the <template> without a round trip, and keeps the
   weight totals per level and of the scoring rows up to date while the user types. The page
   works without it: "Add rows" posts the table back with blank rows, and the server counts
   and validates everything on save. Every text is set with textContent. No dependencies. */
(function () {
  "use strict";
  var form = document.querySelector("[data-rubric-editor]");
  if (!form) {
    return;
  }
  var body = form.querySelector("[data-rows]");
  var template = form.querySelector("template[data-row-template]");
  var totalForms = form.querySelector("input[name$='-TOTAL_FORMS']");
  var maxForms = form.querySelector("input[name$='-MAX_NUM_FORMS']");
  var totals = form.querySelector("[data-rubric-totals]");
  var addButton = form.querySelector("[data-add-row]");

  function field(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }

  function number(text) {
    var value = parseFloat(String(text || "").replace(",", "."));
    return isFinite(value) ? value : 0;
  }

  function format(value) {
    return String(Math.round(value * 100) / 100);
  }

  function recount() {
    if (!totals) {
      return;
    }
    var rows = [];
    var parents = {};
    body.querySelectorAll("tr[data-row]").forEach(function (row) {
      var remove = field(row, "DELETE");
      var code = (field(row, "code") || {}).value || "";
      var weight = (field(row, "weight") || {}).value || "";
      if ((remove && remove.checked) || (!code.trim() && !weight.trim())) {
        row.classList.toggle("removed", Boolean(remove && remove.checked));
        return;
      }
      row.classList.remove("removed");
      var parent = ((field(row, "parent") || {}).value || "").trim();
      if (parent) {
        parents[parent] = true;
      }
      rows.push({
        code: code.trim(),
        level: (field(row, "level") || {}).value,
        weight: number(weight),
      });
    });
    var levels = { 1: 0, 2: 0, 3: 0 };
    var leaves = 0;
    rows.forEach(function (r) {
      if (levels.hasOwnProperty(r.level)) {
        levels[r.level] += r.weight;
      }
      if (!parents[r.code]) {
        leaves += r.weight;
      }
    });
    Object.keys(levels).forEach(function (level) {
      var out = totals.querySelector("[data-total-level='" + level + "']");
      if (out) {
        out.textContent = format(levels[level]);
      }
    });
    var leavesOut = totals.querySelector("[data-total-leaves]");
    if (leavesOut) {
      leavesOut.textContent = format(leaves);
    }
    var status = totals.querySelector("[data-total-status]");
    if (status) {
      var ok = Math.abs(leaves - 100) < 0.005;
      status.textContent = totals.getAttribute(ok ? "data-ok-label" : "data-off-label") || "";
      status.className = ok ? "total-ok" : "total-off";
    }
  }

  function addRow() {
    var index = parseInt(totalForms.value, 10) || 0;
    var limit = maxForms ? parseInt(maxForms.value, 10) : NaN;
    if (isFinite(limit) && index >= limit) {
      return;
    }
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    while (holder.firstElementChild) {
      body.appendChild(holder.firstElementChild);
    }
    totalForms.value = String(index + 1);
    var first = body.lastElementChild && field(body.lastElementChild, "code");
    if (first) {
      first.focus();
    }
  }

  if (addButton && template && totalForms) {
    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      addRow();
    });
  }
  form.addEventListener("input", recount);
  form.addEventListener("change", recount);
  recount();
})();
