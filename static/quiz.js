// The countdown of a test's attempt (templates/learning/attempt.html): shows the time left; the server keeps the
// deadline whatever this shows.
(function () {
  "use strict";
  var box = document.querySelector(".quiz-timer");
  if (!box) { return; }
  var deadline = Date.parse(box.getAttribute("data-deadline"));
  var left = box.querySelector(".quiz-left");
  function tick() {
    var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    left.textContent = seconds > 0 ? "Осталось " + m + ":" + (s < 10 ? "0" : "") + s + "." : "Время истекло.";
    if (seconds > 0) { window.setTimeout(tick, 1000); }
  }
  if (!isNaN(deadline)) { tick(); }
}());
