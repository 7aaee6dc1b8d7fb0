// The recipients' select: typing in the search box shows only the options whose name contains it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-filter-select]").forEach(function (box) {
    var select = document.getElementById(box.getAttribute("data-filter-select"));
    if (!select) { return; }
    box.addEventListener("input", function () {
      var text = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (option) {
        option.hidden = text !== "" && option.textContent.toLowerCase().indexOf(text) < 0 && !option.selected;
      });
    });
  });
});
