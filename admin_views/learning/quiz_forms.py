"""The inputs of the electronic tests' pages (admin_views/forms.py): the services read and check every value."""
from admin_views.forms import IdField, PageForm, TextField
from services.learning import quizzes

MAX_FORM_OPTIONS = quizzes.MAX_OPTIONS


class QuizForm(PageForm):
    title = TextField("Название")
    subject_id = TextField("Предмет")
    grade = TextField("Параллель")
    time_limit = TextField("Время, минут")
    max_attempts = TextField("Попыток")
    shuffle = TextField("Перемешивать")
    show_answers = TextField("Показывать ответы")

    def data_input(self):
        return quizzes.QuizInput(title=self.title.data, subject_id=self.subject_id.data, grade=self.grade.data,
                                 time_limit=self.time_limit.data, max_attempts=self.max_attempts.data,
                                 shuffle=bool(self.shuffle.data), show_answers=bool(self.show_answers.data))


class QuestionForm(PageForm):
    """A new question; its options are the inputs option-1 … option-N with the checkboxes correct-1 …"""

    kind = TextField("Тип")
    text = TextField("Вопрос")
    points = TextField("Баллы")
    number = TextField("Верный ответ")
    tolerance = TextField("Допуск")
    accepted = TextField("Верные ответы")

    def data_input(self):
        options = []
        for n in range(1, MAX_FORM_OPTIONS + 1):
            text = self.value(f"option-{n}")
            if text is not None:
                options.append((text, bool(self.value(f"correct-{n}"))))
        return quizzes.QuestionInput(kind=self.kind.data or "", text=self.text.data or "", points=self.points.data,
                                     options=options, number=self.number.data or "",
                                     tolerance=self.tolerance.data or "", accepted=self.accepted.data or "")


class AssignForm(PageForm):
    assignment_id = TextField("Назначение")
    opens_date = TextField("Начало, дата")
    opens_time = TextField("Начало, время")
    closes_date = TextField("Окончание, дата")
    closes_time = TextField("Окончание, время")
    lesson_id = TextField("Урок")
    task_type_id = TextField("Тип задания")
    threshold5 = TextField("Порог «5»")
    threshold4 = TextField("Порог «4»")
    threshold3 = TextField("Порог «3»")

    def data_input(self):
        return quizzes.AssignInput(**{name: getattr(self, name).data for name in (
            "assignment_id", "opens_date", "opens_time", "closes_date", "closes_time", "lesson_id", "task_type_id",
            "threshold5", "threshold4", "threshold3")})


class RescoreForm(PageForm):
    answer_id = IdField()
    verdict = TextField("Решение")


class AnswersForm(PageForm):
    """The student's answers: the inputs q-<question id> (several values for a multiple choice)."""

    def responses(self):
        return {key[2:]: self.formdata.getlist(key) for key in self.formdata if key.startswith("q-")}
