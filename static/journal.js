/* The journal grid: keyboard entry (arrows, Enter, Tab), validation of marks and attendance codes,
   new task columns, comments, and one save of every change (POST → services.journal.save_entries).
   Plain JavaScript: the machine serving the school may have no internet. */
(function () {
  "use strict";

  var configNode = document.getElementById("journal-config");
  if (!configNode) { return; }
  var config = JSON.parse(configNode.textContent);
  var grid = document.getElementById("journal-grid");
  var form = document.getElementById("journal-form");
  var statusBox = document.getElementById("journal-status");
  var dirtyLabel = document.getElementById("journal-dirty");
  var pendingKey = "journal-pending:" + config.assignmentId + ":" + config.periodId;
  var newTaskCounter = 0;
  var saving = false;

  var markValues = config.markValues.map(function (v) { return v.toLowerCase(); });
  var periodValues = config.periodMarkValues.map(function (v) { return v.toLowerCase(); });
  var codes = config.codes.map(function (c) { return c.code.toLowerCase(); });
  var shortcuts = { "+": "зач", "-": "незач", "з": "зач" };

  // -- cells and their columns ---------------------------------------------------------------------

  function headerCells() {
    return grid ? grid.querySelectorAll("thead tr.jh-tasks th") : [];
  }

  function describe(input) {
    /* What an input of the grid is: {kind, lesson, task, student, row}. */
    var tr = input.closest("tr");
    var td = input.closest("td");
    var info = { student: parseInt(tr.getAttribute("data-student"), 10), row: tr };
    if (input.classList.contains("pm")) { info.kind = "pm"; return info; }
    var th = headerCells()[td.cellIndex - 1];
    info.lesson = parseInt(th.getAttribute("data-lesson"), 10);
    if (input.classList.contains("a")) { info.kind = "a"; return info; }
    info.kind = "m";
    info.task = th.getAttribute("data-task");
    return info;
  }

  function version(input) {
    var v = input.getAttribute("data-v");
    return v ? parseInt(v, 10) : null;
  }

  function renumber() {
    /* data-col follows the cell's place in its row (new task columns shift the rest). */
    if (!grid) { return; }
    grid.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.cells, function (cell) {
        var input = cell.querySelector("input.jc");
        if (input) { input.setAttribute("data-col", String(cell.cellIndex)); }
      });
    });
  }

  // -- keyboard ------------------------------------------------------------------------------------

  function rowInputs(tr) {
    return Array.prototype.slice.call(tr.querySelectorAll("input.jc"));
  }

  function col(input) { return parseInt(input.getAttribute("data-col"), 10); }

  function focusCell(input) {
    if (!input) { return false; }
    input.focus();
    input.select();
    return true;
  }

  function move(input, dRow, dCol) {
    var tr = input.closest("tr");
    if (dCol) {
      var inputs = rowInputs(tr);
      var i = inputs.indexOf(input) + dCol;
      return focusCell(inputs[i]);
    }
    var c = col(input);
    var next = dRow > 0 ? tr.nextElementSibling : tr.previousElementSibling;
    while (next) {
      var target = next.querySelector('input.jc[data-col="' + c + '"]');
      if (target) { return focusCell(target); }
      next = dRow > 0 ? next.nextElementSibling : next.previousElementSibling;
    }
    return false;
  }

  function onGridKey(event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("jc")) { return; }
    var key = event.key;
    if (key === "ArrowRight") { event.preventDefault(); move(input, 0, 1); }
    else if (key === "ArrowLeft") { event.preventDefault(); move(input, 0, -1); }
    else if (key === "ArrowDown") { event.preventDefault(); move(input, 1, 0); }
    else if (key === "ArrowUp") { event.preventDefault(); move(input, -1, 0); }
    else if (key === "Enter") { event.preventDefault(); move(input, event.shiftKey ? -1 : 1, 0); }
    else if (key === "F2" && input.classList.contains("m")) { event.preventDefault(); editComment(input); }
    else if (key === "Escape") { input.value = input.defaultValue; changed(input); input.select(); }
  }

  // -- validation and change tracking ---------------------------------------------------------------

  function normalize(input) {
    var value = input.value.trim().toLowerCase();
    if (input.classList.contains("m") && markValues.indexOf("зач") >= 0 && shortcuts[value]) {
      value = shortcuts[value];
    }
    if (value !== input.value) { input.value = value; }
    return value;
  }

  function valid(input, value) {
    if (value === "") { return true; }
    if (input.classList.contains("m")) { return markValues.indexOf(value) >= 0; }
    if (input.classList.contains("a")) { return codes.indexOf(value) >= 0; }
    if (input.classList.contains("pm")) { return periodValues.indexOf(value) >= 0; }
    return true;
  }

  function isChanged(input) {
    if (input.classList.contains("jc")) {
      var comment = input.getAttribute("data-c") || "";
      return input.value !== input.defaultValue || comment !== (input.dataset.co || "");
    }
    if (input.type === "checkbox") { return (input.checked ? "1" : "") !== (input.getAttribute("data-o") || ""); }
    return input.value !== (input.getAttribute("data-o") || "");
  }

  function changed(input) {
    if (input.classList.contains("jc")) {
      var value = normalize(input);
      var ok = valid(input, value);
      input.classList.toggle("invalid", !ok);
      input.title = ok ? (input.getAttribute("data-c") || "") : "Недопустимое значение";
    }
    input.classList.toggle("changed", isChanged(input));
    updateDirty();
  }

  function allFields() {
    return Array.prototype.slice.call(document.querySelectorAll("input.jc, .jl-field, .jt-field"));
  }

  function dirtyCount() {
    return allFields().filter(isChanged).length + document.querySelectorAll(".task-editor.new-task").length;
  }

  function updateDirty() {
    if (!dirtyLabel) { return; }
    var n = dirtyCount();
    dirtyLabel.textContent = n ? "Несохранённых изменений: " + n : "Изменений нет";
    dirtyLabel.classList.toggle("text-danger", n > 0);
  }

  function editComment(input) {
    var current = input.getAttribute("data-c") || "";
    var text = window.prompt("Комментарий к отметке (пусто — без комментария):", current);
    if (text === null) { return; }
    text = text.trim().slice(0, 300);
    if (text) { input.setAttribute("data-c", text); } else { input.removeAttribute("data-c"); }
    input.closest("td").classList.toggle("has-comment", !!text);
    changed(input);
    input.focus();
  }

  // -- new task columns ------------------------------------------------------------------------------

  function decimal(text) { return String(text || "").replace(",", ".").trim(); }
  function weightLabel(text) {
    var number = parseFloat(decimal(text));
    return isNaN(number) ? String(text) : String(number).replace(".", ",");
  }

  function typeById(id) {
    for (var i = 0; i < config.types.length; i++) {
      if (String(config.types[i].id) === String(id)) { return config.types[i]; }
    }
    return config.types[0];
  }

  function addTask(lessonId, preset) {
    if (!config.types.length) { showStatus("danger", "Нет типов заданий: их добавляет администратор."); return null; }
    newTaskCounter += 1;
    var key = (preset && preset.key) || ("n" + newTaskCounter);
    var type = typeById(preset ? preset.type_id : config.types[0].id);
    // The editor in the lessons table.
    var holder = document.querySelector('[data-tasks-of="' + lessonId + '"]');
    var editor = document.createElement("div");
    editor.className = "form-inline task-editor new-task mb-1";
    editor.setAttribute("data-new-task", key);
    editor.setAttribute("data-lesson", String(lessonId));
    var select = document.createElement("select");
    select.className = "form-control form-control-sm mr-1 nt-type";
    select.setAttribute("aria-label", "Тип задания");
    config.types.forEach(function (t) {
      var option = document.createElement("option");
      option.value = t.id; option.textContent = t.name;
      if (t.id === type.id) { option.selected = true; }
      select.appendChild(option);
    });
    var weight = document.createElement("input");
    weight.className = "form-control form-control-sm mr-1 nt-weight jt-weight";
    weight.size = 3; weight.title = "Вес"; weight.setAttribute("aria-label", "Вес");
    weight.value = preset ? preset.weight : weightLabel(type.weight);
    var mandatoryLabel = document.createElement("label");
    mandatoryLabel.className = "small mr-1";
    var mandatory = document.createElement("input");
    mandatory.type = "checkbox"; mandatory.className = "mr-1 nt-mandatory";
    mandatory.checked = preset ? !!preset.is_mandatory : !!type.mandatory;
    mandatoryLabel.appendChild(mandatory);
    mandatoryLabel.appendChild(document.createTextNode("обяз."));
    var topic = document.createElement("input");
    topic.className = "form-control form-control-sm mr-1 nt-topic";
    topic.placeholder = "тема задания"; topic.maxLength = 300;
    topic.setAttribute("aria-label", "Тема задания");
    topic.value = preset ? (preset.topic || "") : "";
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "btn btn-link btn-sm text-danger p-0";
    remove.textContent = "убрать";
    editor.appendChild(select); editor.appendChild(weight); editor.appendChild(mandatoryLabel);
    editor.appendChild(topic); editor.appendChild(remove);
    if (holder) { holder.insertBefore(editor, holder.querySelector(".add-task")); }

    // The column in the grid, after the lesson's last column.
    var heads = headerCells();
    var last = -1;
    Array.prototype.forEach.call(heads, function (th, i) {
      if (th.getAttribute("data-lesson") === String(lessonId)) { last = i; }
    });
    if (last < 0) { return key; }
    var th = document.createElement("th");
    th.className = "jt-head new-col";
    th.setAttribute("data-lesson", String(lessonId));
    th.setAttribute("data-task", key);
    function label() {
      var t = typeById(select.value);
      th.textContent = t.short || t.name.slice(0, 3);
      var sup = document.createElement("sup"); sup.textContent = weightLabel(weight.value); th.appendChild(sup);
      th.title = t.name + ", вес " + weightLabel(weight.value) + (mandatory.checked ? ", обязательное" : "");
    }
    label();
    // Another type brings its own default weight and mandatory flag.
    select.addEventListener("change", function () {
      var t = typeById(select.value);
      weight.value = weightLabel(t.weight);
      mandatory.checked = !!t.mandatory;
    });
    [select, weight, mandatory].forEach(function (el) { el.addEventListener("change", label); });
    heads[last].parentNode.insertBefore(th, heads[last].nextSibling);
    var dateHead = grid.querySelector('thead tr.jh-dates th[data-lesson="' + lessonId + '"]');
    if (dateHead) { dateHead.colSpan = dateHead.colSpan + 1; }
    // A lesson not given yet (after today) takes no marks: its new column stays read-only (grid_save refuses them).
    var future = !!(dateHead && dateHead.classList.contains("future"));
    grid.querySelectorAll("tbody tr").forEach(function (tr) {
      var td = document.createElement("td");
      td.className = "jm";
      if (future) {
        td.className = "jm ro nf";
        td.title = "урок ещё не проведён";
      } else if (tr.getAttribute("data-marks") === "1") {
        var input = document.createElement("input");
        input.className = "jc m";
        td.appendChild(input);
      } else {
        td.className = "jm ro";
      }
      var anchor = tr.cells[last + 1];
      tr.insertBefore(td, anchor.nextSibling);
    });
    renumber();
    remove.addEventListener("click", function () {
      var index = Array.prototype.indexOf.call(headerCells(), th);
      grid.querySelectorAll("tbody tr").forEach(function (tr) { tr.deleteCell(index + 1); });
      th.parentNode.removeChild(th);
      if (dateHead) { dateHead.colSpan = dateHead.colSpan - 1; }
      editor.parentNode.removeChild(editor);
      renumber();
      updateDirty();
    });
    updateDirty();
    return key;
  }

  // -- the payload --------------------------------------------------------------------------------

  // The fields of a lesson and of a saved task (their data-f) as the save names them.
  var LESSON_FIELDS = { topic: "topic", homework: "homework", due: "homework_due_lesson_id",
                        attendance_taken: "attendance_taken" };
  var TASK_FIELDS = { type: "type_id", weight: "weight", mandatory: "is_mandatory", topic: "topic",
                      "delete": "delete" };

  function fieldValue(field) {
    if (field.type === "checkbox") { return field.checked; }
    var name = field.getAttribute("data-f");
    if (name === "type" || name === "due") { return field.value ? parseInt(field.value, 10) : null; }
    return name === "weight" ? decimal(field.value) : field.value;
  }

  function changedRows(selector, idAttribute, idKey, names) {
    /* One item per lesson (or saved task) the user changed: its id, the version the page showed
       (data-v of its row) and only the fields he changed — a field he did not touch is not sent, so
       it never writes back what another user saved in it meanwhile; a stale version is refused. */
    var items = {};
    var order = [];
    document.querySelectorAll(selector).forEach(function (field) {
      if (!isChanged(field)) { return; }
      var id = field.getAttribute(idAttribute);
      if (!items[id]) {
        items[id] = { version: version(field.closest("[data-v]")) };
        items[id][idKey] = parseInt(id, 10);
        order.push(id);
      }
      items[id][names[field.getAttribute("data-f")]] = fieldValue(field);
    });
    return order.map(function (id) { return items[id]; });
  }

  function collect() {
    var payload = { lessons: [], tasks: [], marks: [], attendance: [], period_marks: [] };
    var bad = [];
    var emptyColumns = {};
    document.querySelectorAll("input.jc").forEach(function (input) {
      if (input.classList.contains("invalid")) { bad.push(input); return; }
      if (!isChanged(input)) { return; }
      var info = describe(input);
      if (info.kind === "a") {
        payload.attendance.push({ lesson_id: info.lesson, student_id: info.student, code: input.value,
                                  version: version(input) });
      } else if (info.kind === "pm") {
        payload.period_marks.push({ student_id: info.student, value: input.value, version: version(input) });
      } else {
        var mark = { student_id: info.student, value: input.value, comment: input.getAttribute("data-c") || "",
                     version: version(input) };
        if (/^t\d+$/.test(info.task)) { mark.task_id = parseInt(info.task.slice(1), 10); }
        else { mark.task_key = info.task; }
        if (info.task.charAt(0) === "L" && input.value) { emptyColumns[info.task] = info.lesson; }
        payload.marks.push(mark);
      }
    });
    // A lesson's empty column becomes a task of the default type when a mark is typed in it.
    Object.keys(emptyColumns).forEach(function (key) {
      var th = grid.querySelector('thead tr.jh-tasks th[data-task="' + key + '"]');
      var t = config.types[0];
      payload.tasks.push({ task_id: null, key: key, lesson_id: emptyColumns[key], type_id: t.id,
                           weight: decimal(t.weight), is_mandatory: !!t.mandatory, topic: "", delete: false });
      if (th) { th.classList.add("changed"); }
    });
    payload.marks = payload.marks.filter(function (m) {
      return !(m.task_key && m.task_key.charAt(0) === "L" && !emptyColumns[m.task_key]);
    });
    document.querySelectorAll(".task-editor.new-task").forEach(function (editor) {
      payload.tasks.push({
        task_id: null, key: editor.getAttribute("data-new-task"),
        lesson_id: parseInt(editor.getAttribute("data-lesson"), 10),
        type_id: parseInt(editor.querySelector(".nt-type").value, 10),
        weight: decimal(editor.querySelector(".nt-weight").value),
        is_mandatory: editor.querySelector(".nt-mandatory").checked,
        topic: editor.querySelector(".nt-topic").value, delete: false
      });
    });
    payload.tasks = payload.tasks.concat(changedRows(".jt-field", "data-task", "task_id", TASK_FIELDS));
    payload.lessons = changedRows(".jl-field", "data-lesson", "lesson_id", LESSON_FIELDS);
    return { payload: payload, bad: bad };
  }

  // -- saving ----------------------------------------------------------------------------------------

  function showStatus(kind, text, extra) {
    if (!statusBox) { window.alert(text); return; }
    statusBox.className = "alert alert-" + kind + " mb-2";
    statusBox.textContent = text;
    if (extra) { statusBox.appendChild(extra); }
    statusBox.scrollIntoView({ block: "nearest" });
  }

  function remember() {
    /* The unsaved edits, to bring back after a reload (a concurrent change made the save fail). */
    var cells = [];
    document.querySelectorAll("input.jc").forEach(function (input) {
      if (!isChanged(input)) { return; }
      var info = describe(input);
      cells.push({ kind: info.kind, student: info.student, lesson: info.lesson || null, task: info.task || null,
                   value: input.value, comment: input.getAttribute("data-c") || "" });
    });
    var fields = [];
    document.querySelectorAll(".jl-field, .jt-field").forEach(function (field) {
      if (!isChanged(field)) { return; }
      fields.push({ selector: field.classList.contains("jl-field")
        ? '.jl-field[data-lesson="' + field.getAttribute("data-lesson") + '"][data-f="' + field.getAttribute("data-f") + '"]'
        : '.jt-field[data-task="' + field.getAttribute("data-task") + '"][data-f="' + field.getAttribute("data-f") + '"]',
        value: field.type === "checkbox" ? (field.checked ? "1" : "") : field.value, checkbox: field.type === "checkbox" });
    });
    var created = [];
    document.querySelectorAll(".task-editor.new-task").forEach(function (editor) {
      created.push({ key: editor.getAttribute("data-new-task"), lesson: editor.getAttribute("data-lesson"),
                     type_id: editor.querySelector(".nt-type").value, weight: editor.querySelector(".nt-weight").value,
                     is_mandatory: editor.querySelector(".nt-mandatory").checked,
                     topic: editor.querySelector(".nt-topic").value });
    });
    sessionStorage.setItem(pendingKey, JSON.stringify({ cells: cells, fields: fields, created: created }));
  }

  function restore() {
    var raw = sessionStorage.getItem(pendingKey);
    if (!raw) { return; }
    sessionStorage.removeItem(pendingKey);
    var pending;
    try { pending = JSON.parse(raw); } catch (e) { return; }
    var lost = 0;
    (pending.created || []).forEach(function (t) {
      if (!addTask(parseInt(t.lesson, 10), t)) { lost += 1; }
    });
    (pending.cells || []).forEach(function (c) {
      var tr = grid && grid.querySelector('tbody tr[data-student="' + c.student + '"]');
      var target = null;
      if (tr) {
        rowInputs(tr).some(function (input) {
          var info = describe(input);
          if (info.kind === c.kind && (c.kind === "pm" || (info.lesson === c.lesson && (c.kind === "a" || info.task === c.task)))) {
            target = input; return true;
          }
          return false;
        });
      }
      if (!target) { lost += 1; return; }
      target.value = c.value;
      if (c.comment) { target.setAttribute("data-c", c.comment); } else { target.removeAttribute("data-c"); }
      changed(target);
    });
    (pending.fields || []).forEach(function (f) {
      var field = document.querySelector(f.selector);
      if (!field) { lost += 1; return; }
      if (f.checkbox) { field.checked = !!f.value; } else { field.value = f.value; }
      changed(field);
    });
    showStatus("warning", "Страница обновлена: видны изменения других пользователей, поверх них восстановлены ваши "
      + "несохранённые записи (выделены). Проверьте их и сохраните ещё раз."
      + (lost ? " Не удалось восстановить записей: " + lost + "." : ""));
  }

  function save(event) {
    if (event) { event.preventDefault(); }
    if (saving) { return; }
    var collected = collect();
    if (collected.bad.length) {
      showStatus("danger", "Исправьте недопустимые значения (выделены красным): отметки " + config.markValues.join(", ")
        + "; посещаемость " + config.codes.map(function (c) { return c.code; }).join(", ") + ".");
      focusCell(collected.bad[0]);
      return;
    }
    var p = collected.payload;
    if (!p.lessons.length && !p.tasks.length && !p.marks.length && !p.attendance.length && !p.period_marks.length) {
      showStatus("info", "Изменений нет: сохранять нечего.");
      return;
    }
    var data = new FormData(form);
    data.set("payload", JSON.stringify(p));
    saving = true;
    var button = document.getElementById("journal-save");
    if (button) { button.disabled = true; }
    fetch(config.saveUrl, { method: "POST", body: data, credentials: "same-origin",
                            headers: { "X-Requested-With": "fetch", "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () {
          return { ok: false, message: "Сервер вернул ошибку " + response.status + ". Ничего не сохранено." };
        });
      })
      .then(function (answer) {
        saving = false;
        if (button) { button.disabled = false; }
        if (answer.ok) {
          window.removeEventListener("beforeunload", warnUnsaved);
          window.location.href = answer.redirect;
          return;
        }
        var extra = null;
        if (answer.conflict) {
          extra = document.createElement("div");
          extra.className = "mt-2";
          var reload = document.createElement("button");
          reload.type = "button"; reload.className = "btn btn-sm btn-warning";
          reload.textContent = "Обновить страницу и вернуть мои изменения";
          reload.addEventListener("click", function () {
            remember();
            window.removeEventListener("beforeunload", warnUnsaved);
            window.location.reload();
          });
          extra.appendChild(reload);
        }
        showStatus("danger", answer.message || "Ничего не сохранено.", extra);
      })
      .catch(function () {
        saving = false;
        if (button) { button.disabled = false; }
        showStatus("danger", "Нет связи с сервером. Ничего не сохранено; ваши записи остались на странице — "
          + "повторите сохранение.");
      });
  }

  function warnUnsaved(event) {
    if (dirtyCount()) { event.preventDefault(); event.returnValue = ""; }
  }

  // -- history of a cell (deputy director) --------------------------------------------------------

  function openHistory(cell) {
    var parts = cell.getAttribute("data-history").split(":");
    var url = config.historyUrl + "?fragment=1&task_id=" + parts[0] + "&student_id=" + parts[1];
    var body = document.getElementById("history-body");
    body.textContent = "Загрузка…";
    window.jQuery("#history-modal").modal("show");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); })
      .then(function (html) { body.innerHTML = html; })
      .catch(function () { body.textContent = "Не удалось загрузить историю."; });
  }

  // -- wiring ------------------------------------------------------------------------------------------

  if (grid) {
    renumber();
    grid.querySelectorAll("input.jc").forEach(function (input) {
      input.dataset.co = input.getAttribute("data-c") || "";
      input.setAttribute("maxlength", "5");
      input.setAttribute("autocomplete", "off");
    });
    grid.addEventListener("keydown", onGridKey);
    grid.addEventListener("input", function (e) { if (e.target.classList.contains("jc")) { changed(e.target); } });
    grid.addEventListener("focusin", function (e) { if (e.target.classList.contains("jc")) { e.target.select(); } });
    grid.addEventListener("dblclick", function (e) {
      if (e.target.classList && e.target.classList.contains("jc") && e.target.classList.contains("m")) { editComment(e.target); }
    });
    if (config.historyUrl) {
      grid.addEventListener("click", function (e) {
        var cell = e.target.closest("td[data-history]");
        if (cell) { openHistory(cell); }
      });
    }
    // Show the latest lessons: scroll the grid to today's column.
    var wrap = document.getElementById("journal-wrap");
    var today = grid.querySelector("th.focus") || (function () {
      var heads = grid.querySelectorAll("thead tr.jh-dates th.jl-head");
      return heads.length ? heads[heads.length - 1] : null;
    })();
    if (wrap && today) {
      // The latest lesson given ends just left of the figures: the past weeks fill the view.
      var figures = 0;
      grid.querySelectorAll("thead tr.jh-dates th.jstat").forEach(function (th) { figures += th.offsetWidth; });
      if (window.getComputedStyle(grid.querySelector("th.jstat")).position !== "sticky") { figures = 0; }
      wrap.scrollLeft = Math.max(0, today.offsetLeft + today.offsetWidth - (wrap.clientWidth - figures) + 8);
    }
  }
  document.addEventListener("input", function (e) {
    if (e.target.classList && (e.target.classList.contains("jl-field") || e.target.classList.contains("jt-field"))) { changed(e.target); }
  });
  document.addEventListener("change", function (e) {
    if (e.target.classList && (e.target.classList.contains("jl-field") || e.target.classList.contains("jt-field"))) { changed(e.target); }
    if (e.target.classList && e.target.closest(".new-task")) { updateDirty(); }
  });
  document.querySelectorAll(".add-task").forEach(function (button) {
    button.addEventListener("click", function () { addTask(parseInt(button.getAttribute("data-lesson"), 10)); });
  });
  document.querySelectorAll(".ktp-fill").forEach(function (button) {
    button.addEventListener("click", function () {
      var id = button.getAttribute("data-lesson");
      var topic = document.querySelector('.jl-field[data-lesson="' + id + '"][data-f="topic"]');
      var homework = document.querySelector('.jl-field[data-lesson="' + id + '"][data-f="homework"]');
      topic.value = button.getAttribute("data-topic"); changed(topic);
      if (homework && !homework.value && button.getAttribute("data-homework")) {
        homework.value = button.getAttribute("data-homework"); changed(homework);
      }
      topic.focus();
    });
  });
  // The choices of a task's type and of a homework's due lesson are filled in when first used:
  // forty lessons' worth of identical option lists would make the page heavy.
  function fillOptions(select, items) {
    if (select.dataset.filled) { return; }
    select.dataset.filled = "1";
    var current = select.value;
    var chosen = select.selectedOptions[0];
    var keep = Array.prototype.slice.call(select.options).filter(function (o) { return o.value === ""; });
    select.innerHTML = "";
    keep.forEach(function (o) { select.appendChild(o); });
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = String(item.id); option.textContent = item.label;
      select.appendChild(option);
    });
    // A type taken out of use (or a due lesson now cancelled) stays as it is until changed.
    if (chosen && !Array.prototype.some.call(select.options, function (o) { return o.value === current; })) {
      select.appendChild(chosen);
    }
    select.value = current;
  }
  function laterLessons(lessonId) {
    var ids = config.lessons.map(function (l) { return String(l.id); });
    return config.lessons.slice(ids.indexOf(String(lessonId)) + 1);
  }
  function prepareSelect(e) {
    var select = e.target;
    if (!select.classList) { return; }
    if (select.classList.contains("lazy-type")) {
      fillOptions(select, config.types.map(function (t) { return { id: t.id, label: t.name }; }));
    } else if (select.classList.contains("lazy-due")) {
      fillOptions(select, laterLessons(select.getAttribute("data-lesson")));
    }
  }
  document.addEventListener("focusin", prepareSelect);
  document.addEventListener("mousedown", prepareSelect);

  var switcher = document.getElementById("journal-switch");
  if (switcher) { switcher.addEventListener("change", function () { window.location.href = switcher.value; }); }
  if (form) {
    form.addEventListener("submit", save);
    document.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "ы")) { save(e); }
    });
    window.addEventListener("beforeunload", warnUnsaved);
    restore();
    updateDirty();
  }
}());
