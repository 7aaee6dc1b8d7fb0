/* What the templates used to say in on* attributes, which the Content-Security-Policy does not run:
   data-autosubmit (a select that sends its form), data-print, data-confirm (a button that asks first),
   data-model-action (Flask-Admin's «С выбранными» menu); data-autodownload (a link followed once the page is
   shown: the slips of logins just issued). Plain JavaScript, no library needed. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (field && field.form) { field.form.submit(); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm], [data-print], [data-model-action], a[href^='javascript:']");
    if (!target) { return; }
    if (target.hasAttribute("data-confirm")) {
      if (!window.confirm(target.getAttribute("data-confirm"))) { event.preventDefault(); }
    } else if (target.hasAttribute("data-print")) {
      window.print();
    } else if (target.hasAttribute("data-model-action")) {
      event.preventDefault();
      window.modelActions.execute(target.getAttribute("data-model-action"));
    } else {
      event.preventDefault();  // Flask-Admin's placeholder links (javascript:void(0)) lead nowhere
    }
  });

  function autodownload() {
    var link = document.querySelector("a[data-autodownload]");
    if (link) { link.removeAttribute("data-autodownload"); link.click(); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", autodownload);
  } else {
    autodownload();
  }
})();

/* Phones: each cell of a model list gets its column's name (data-label), shown above the value when
   static/app.css lays the rows out as cards. */
(function () {
  "use strict";
  function labelLists() {
    document.querySelectorAll("table.model-list").forEach(function (table) {
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.replace(/\s+/g, " ").trim();
      });
      table.querySelectorAll("tbody tr, tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (cell.tagName === "TD" && names[i] && !cell.hasAttribute("colspan")) {
            cell.setAttribute("data-label", names[i]);
            if (!cell.textContent.trim() && !cell.querySelector("input, select, a, img, svg")) {
              cell.classList.add("cell-empty");  // a card leaves out the columns this row has nothing in
            }
          }
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", labelLists);
  } else {
    labelLists();
  }
})();
