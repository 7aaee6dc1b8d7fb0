// The report's form (templates/reports/report.html): a new class lists its own students, so changing the
// class drops the chosen student and shows the form again with the class's list.
(function () {
  var klass = document.getElementById("f-class");
  var student = document.getElementById("f-student");
  if (!klass || !student) { return; }
  klass.addEventListener("change", function () {
    student.value = "";
    klass.form.submit();
  });
}());
