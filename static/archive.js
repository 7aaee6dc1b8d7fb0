// «Архив журналов» (templates/archive/index.html): the whole organization's archive is built in the
// background; this polls its status (JSON) every second and moves the bar until the zip is ready.
(function () {
  var job = document.getElementById("archive-job");
  if (!job) { return; }
  var bar = document.getElementById("archive-bar");
  var state = document.getElementById("archive-state");
  var count = document.getElementById("archive-count");
  var current = document.getElementById("archive-current");
  var link = document.getElementById("archive-download");
  function show(s) {
    var share = s.total ? Math.round(100 * s.done / s.total) : 100;
    bar.style.width = share + "%";
    bar.setAttribute("aria-valuenow", s.done);
    count.textContent = s.done + " из " + s.total;
    current.textContent = s.current || "";
    if (s.state === "done") {
      state.textContent = "готово";
      link.href = s.download;
      link.classList.remove("d-none");
    } else if (s.state === "error") {
      state.textContent = "ошибка: " + s.error;
    }
    return s.state === "running";
  }
  function poll() {
    fetch(job.getAttribute("data-status-url"), {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (s) { if (show(s)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (state.textContent.indexOf("собирается") === 0) { poll(); }
}());
