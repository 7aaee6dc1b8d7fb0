/* «Итоговые отметки» and exam results: keyboard entry (arrows, Enter, Tab) in the table, the values
   each column allows checked as typed, Ctrl+S saves. The page is a plain form: without this script
   it still works; the server checks every rule. No inline script (CSP). */
(function () {
  "use strict";

  var form = document.getElementById("finals-form");
  if (!form) { return; }
  var shortcuts = { "+": "зач", "-": "незач", "з": "зач", "н": "н/а", "о": "осв" };

  function inputs(tr) { return Array.prototype.slice.call(tr.querySelectorAll("input.fm")); }

  function column(input) { return input.closest("td").cellIndex; }

  function focus(input) {
    if (!input) { return; }
    input.focus();
    input.select();
  }

  function vertical(input, step) {
    var tr = input.closest("tr");
    var index = column(input);
    for (var next = step > 0 ? tr.nextElementSibling : tr.previousElementSibling; next;
         next = step > 0 ? next.nextElementSibling : next.previousElementSibling) {
      var cell = next.cells[index];
      var target = cell && cell.querySelector("input.fm");
      if (target) { return focus(target); }
    }
  }

  function horizontal(input, step) {
    var row = inputs(input.closest("tr"));
    focus(row[row.indexOf(input) + step]);
  }

  function allowed(input) {
    return (input.getAttribute("data-values") || "").split("|");
  }

  function check(input) {
    var value = input.value.trim().toLowerCase().replace(/\s+/g, "");
    var values = allowed(input);
    if (values.indexOf(value) < 0 && shortcuts[value] && values.indexOf(shortcuts[value]) >= 0) {
      value = shortcuts[value];
    }
    if (value !== input.value) { input.value = value; }
    var ok = value === "" || values.indexOf(value) >= 0;
    input.classList.toggle("is-invalid", !ok);
    input.title = ok ? "" : "Недопустимая отметка; можно: " + values.join(", ");
    input.classList.toggle("changed", value !== input.defaultValue);
    return ok;
  }

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S" || event.key === "ы")) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.submit();
      return;
    }
    if (!input.classList || !input.classList.contains("fm")) { return; }
    if (event.key === "ArrowDown" || (event.key === "Enter" && !event.shiftKey)) { event.preventDefault(); vertical(input, 1); }
    else if (event.key === "ArrowUp" || (event.key === "Enter" && event.shiftKey)) { event.preventDefault(); vertical(input, -1); }
    else if (event.key === "ArrowRight" && input.selectionStart === input.value.length) { event.preventDefault(); horizontal(input, 1); }
    else if (event.key === "ArrowLeft" && input.selectionStart === 0) { event.preventDefault(); horizontal(input, -1); }
    else if (event.key === "Escape") {
      input.value = input.defaultValue;
      check(input);
      if (message && !message.hidden) { report(badInputs()); }
    }
  });

  function badInputs() {
    return Array.prototype.filter.call(form.querySelectorAll("input.fm"), function (input) { return !check(input); });
  }

  // The reason a save is held back, shown above the button (a title alone is seen only on hover).
  var message = null;

  function report(bad) {
    if (!bad.length) {
      if (message) { message.hidden = true; }
      return;
    }
    if (!message) {
      message = document.createElement("div");
      message.className = "alert alert-danger py-2 mb-2 no-print";
      message.setAttribute("role", "alert");
      var button = form.querySelector("button[type=submit]");
      form.insertBefore(message, button || form.firstChild);
    }
    message.textContent = "Недопустимая отметка: " + bad.slice(0, 3).map(function (input) {
      return (input.getAttribute("aria-label") || input.name) + " — «" + input.value + "»; можно: " +
        allowed(input).join(", ");
    }).join("; ") + (bad.length > 3 ? "; ещё " + (bad.length - 3) : "") + ". Исправьте и сохраните снова.";
    message.hidden = false;
  }

  form.addEventListener("input", function (event) {
    if (!event.target.classList.contains("fm")) { return; }
    check(event.target);
    if (message && !message.hidden) { report(badInputs()); }
  });

  form.addEventListener("submit", function (event) {
    var bad = badInputs();
    report(bad);
    if (bad.length) {
      event.preventDefault();
      focus(bad[0]);
    }
  });
}());
