// «Импорт и выгрузка данных» (templates/imports/job.html): while «Загрузить» is being applied (the form is
// posted as usual, the page changes when the server answers), the job's progress is polled and the bar moves.
(function () {
  var form = document.getElementById("import-apply");
  if (!form) { return; }
  var box = document.getElementById("import-progress");
  var bar = document.getElementById("import-bar");
  var count = document.getElementById("import-count");
  var url = form.getAttribute("data-status-url");
  function poll() {
    fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.total) {
          bar.style.width = Math.round(100 * s.done / s.total) + "%";
          bar.setAttribute("aria-valuenow", s.done);
          count.textContent = s.done + " из " + s.total;
        }
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    box.classList.remove("d-none");
    setTimeout(function () { button.disabled = true; }, 0);
    setTimeout(poll, 500);
  });
}());
