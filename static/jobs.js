// A background job's progress block (templates/jobs/_progress.html): polls its JSON status every second while
// the job is queued or running, moves the bar, then shows the download link or the Russian error (or, with
// data-reload, reloads the page, which shows the job's outcome: the import's).
(function () {
  var labels = {queued: "в очереди", running: "выполняется", done: "готово", failed: "ошибка"};
  function width(bar, done, total) {
    var share = total ? Math.round(100 * done / total) : 0;
    bar.style.width = share + "%";
    bar.setAttribute("aria-valuenow", done);
    bar.setAttribute("aria-valuemax", total);
  }
  function follow(box) {
    var bar = box.querySelector(".job-bar");
    var state = box.querySelector(".job-state");
    var count = box.querySelector(".job-count");
    var text = box.querySelector(".job-text");
    var error = box.querySelector(".job-error");
    var link = box.querySelector(".job-download");
    width(bar, +bar.getAttribute("data-done"), +bar.getAttribute("data-total"));
    if (box.getAttribute("data-state") === "done") { width(bar, 1, 1); }
    function show(s) {
      state.textContent = labels[s.state] || s.state;
      count.textContent = s.total ? s.done + " из " + s.total : "";
      text.textContent = s.text || "";
      width(bar, s.state === "done" ? 1 : s.done, s.state === "done" ? 1 : s.total);
      if (s.state === "done" && s.download) {
        link.href = s.download;
        link.classList.remove("d-none");
      } else if (s.state === "failed") {
        bar.classList.add("bg-danger");
        error.textContent = s.error;
        error.classList.remove("d-none");
      }
      return s.state === "queued" || s.state === "running";
    }
    function poll() {
      fetch(box.getAttribute("data-status-url"), {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (show(s)) { setTimeout(poll, 1000); } else if (box.getAttribute("data-reload")) { window.location.reload(); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    var now = box.getAttribute("data-state");
    if (now === "queued" || now === "running") { poll(); }
  }
  Array.prototype.forEach.call(document.querySelectorAll(".job-progress"), follow);
}());
