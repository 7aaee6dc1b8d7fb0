"""Electronic tests (issue 18.4): the teacher's «Электронные тесты» (his tests, their questions, their
assignments, the results per student and per question, a re-score by hand, the marks into the journal) and
the student's «Тесты» (the tests given to him, the start page, his attempt, his score; a parent reads his
children's results). Every rule is services/learning/quizzes.py's; a row the actor may not read is 404."""
from flask import abort, flash, redirect, url_for
from flask_admin import expose
from sqlalchemy import select

from models import (QUESTION_KINDS, Quiz, QuizAssignment, QuizAttempt, QuizOption, Student, TaskType, db)
from services import clock, dates, permissions
from services.errors import DomainError, PermissionDenied
from services.learning import quizzes

from admin_views.base import SecurePage, requires
from admin_views.forms import REFUSED, Sent, refused
from admin_views.learning.quiz_forms import AnswersForm, AssignForm, QuestionForm, QuizForm, RescoreForm

JOURNAL = "Журнал"


def _found(fn, *args):
    try:
        return fn(*args)
    except PermissionDenied:
        abort(404)


class QuizView(SecurePage):
    """The teacher's tests."""

    view_key = quizzes.KEY

    @requires("list", rows=Quiz)
    @expose("/")
    def index(self, sent=None):
        return self.render("learning/quizzes.html", rows=quizzes.quizzes_of(self.actor),
                           subjects=quizzes.teacher_subjects(self.actor), sent=sent or Sent(),
                           can_create=self._can("create"))

    def _can(self, verb, key=quizzes.KEY):
        return permissions.allowed(self.actor, key, verb)

    @requires("create", rows=Quiz)
    @expose("/create", methods=("POST",))
    def create(self):
        try:
            quiz = quizzes.create_quiz(self.actor, QuizForm.from_form().data_input())
        except DomainError as exc:
            return self.index(sent=refused(exc)), REFUSED
        flash("Тест создан: добавьте вопросы.", "success")
        return redirect(url_for(".quiz", quiz_id=quiz.id), 303)

    @requires("details", rows=Quiz, denied=404)
    @expose("/<id:quiz_id>/")
    def quiz(self, quiz_id, sent=None, which=None):
        quiz = _found(quizzes.get_quiz, self.actor, quiz_id)
        own = self._owns(quiz)
        assignments = quizzes.assignments_of_quiz(quiz.id)
        targets = quizzes.teacher_assignments(self.actor, quiz) if own else []
        lessons = quizzes.lessons_for(targets)
        types = db.session.scalars(select(TaskType).where(TaskType.is_active.is_(True))
                                   .order_by(TaskType.sort_order, TaskType.name)).all() if own else []
        today = clock.now(self.actor.org)
        return self.render("learning/quiz.html", quiz=quiz, own=own,
                           questions=quizzes.questions_of([quiz.id]).get(quiz.id, []), kinds=QUESTION_KINDS,
                           assignments=assignments, targets=targets, lessons=lessons, types=types,
                           sent=sent or Sent(), which=which, subjects=quizzes.teacher_subjects(self.actor),
                           plain=quizzes.plain_number, max_options=quizzes.MAX_OPTIONS,
                           default_day=dates.format_date(today.date()), blank_sent=Sent())

    def _owns(self, quiz):
        try:
            quizzes.get_quiz(self.actor, quiz.id, "edit")
        except PermissionDenied:
            return False
        return True

    @requires("edit", rows=Quiz, denied=404)
    @expose("/<id:quiz_id>/settings", methods=("POST",))
    def settings(self, quiz_id):
        return self._save(quiz_id, "settings", lambda: quizzes.update_quiz(
            self.actor, quiz_id, QuizForm.from_form().data_input()), "Тест сохранён.")

    @requires("edit", rows=Quiz, denied=404)
    @expose("/<id:quiz_id>/questions", methods=("POST",))
    def add_question(self, quiz_id):
        return self._save(quiz_id, "question", lambda: quizzes.add_question(
            self.actor, quiz_id, QuestionForm.from_form().data_input()), "Вопрос добавлен.")

    @requires("edit", rows=Quiz, denied=404)
    @expose("/<id:quiz_id>/questions/<id:question_id>/delete", methods=("POST",))
    def delete_question(self, quiz_id, question_id):
        return self._save(quiz_id, "delete", lambda: quizzes.delete_question(self.actor, quiz_id, question_id),
                          "Вопрос удалён.")

    @requires("create", rows=QuizAssignment, view=quizzes.ASSIGN_KEY)
    @expose("/<id:quiz_id>/assign", methods=("POST",))
    def assign(self, quiz_id):
        return self._save(quiz_id, "assign", lambda: quizzes.assign(
            self.actor, quiz_id, AssignForm.from_form().data_input()), "Тест назначен.")

    def _save(self, quiz_id, which, action, message):
        _found(quizzes.get_quiz, self.actor, quiz_id)
        try:
            action()
        except PermissionDenied:
            db.session.rollback()
            abort(404)
        except DomainError as exc:
            return self.quiz(quiz_id, sent=refused(exc), which=which), REFUSED
        flash(message, "success")
        return redirect(url_for(".quiz", quiz_id=quiz_id), 303)

    # results ------------------------------------------------------------------------------------------------

    @requires("details", rows=QuizAssignment, view=quizzes.ASSIGN_KEY, denied=404)
    @expose("/results/<id:qa_id>/")
    def results(self, qa_id):
        row = _found(quizzes.get_assignment, self.actor, qa_id)
        return self.render("learning/quiz_results.html", row=row, quiz=row.quiz, results=quizzes.results(row),
                           stats=quizzes.question_stats(row), window=quizzes.window_state(row),
                           can_push=self._can("push", quizzes.ASSIGN_KEY) and row.task_id is not None,
                           now=clock.utcnow())

    @requires("push", rows=QuizAssignment, view=quizzes.ASSIGN_KEY, denied=404)
    @expose("/results/<id:qa_id>/push", methods=("POST",))
    def push(self, qa_id):
        _found(quizzes.get_assignment, self.actor, qa_id)
        try:
            count = quizzes.push_marks(self.actor, qa_id)
        except PermissionDenied:
            db.session.rollback()
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            flash(f"Отметки в журнал не перенесены (результаты теста сохранены). {exc}", "error")
            return redirect(url_for(".results", qa_id=qa_id), 303)
        flash(f"Отметок перенесено в журнал: {count}." if count else "Отметки в журнале уже совпадают с результатами.",
              "success")
        return redirect(url_for(".results", qa_id=qa_id), 303)

    @requires("details", rows=QuizAssignment, view=quizzes.ASSIGN_KEY, denied=404)
    @expose("/results/<id:qa_id>/attempt/<id:attempt_id>/")
    def attempt(self, qa_id, attempt_id):
        row, attempt = _found(quizzes.get_attempt_of, self.actor, qa_id, attempt_id)
        return self.render("learning/quiz_review.html", row=row, attempt=attempt,
                           student=db.session.get(Student, attempt.student_id),
                           items=quizzes.attempt_answers(attempt), plain=quizzes.plain_number,
                           can_rescore=self._can("rescore", quizzes.ASSIGN_KEY))

    @requires("rescore", rows=QuizAssignment, view=quizzes.ASSIGN_KEY, denied=404)
    @expose("/results/<id:qa_id>/attempt/<id:attempt_id>/rescore", methods=("POST",))
    def rescore(self, qa_id, attempt_id):
        _found(quizzes.get_attempt_of, self.actor, qa_id, attempt_id)
        form = RescoreForm.from_form()
        try:
            quizzes.rescore(self.actor, qa_id, form.answer_id.data, form.verdict.data == "right")
        except PermissionDenied:
            db.session.rollback()
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash("Балл пересчитан.", "success")
        return redirect(url_for(".attempt", qa_id=qa_id, attempt_id=attempt_id), 303)


class MyTestsView(SecurePage):
    """The student's tests (and a parent's view of his children's results)."""

    view_key = quizzes.TAKE_KEY

    @requires("list", rows=QuizAssignment)
    @expose("/")
    def index(self):
        rows = quizzes.my_tests(self.actor)
        names = {}
        if not self.actor.student_id:
            ids = {a.student_id for *_, attempts in rows for a in attempts}
            names = {s.id: s.short_name for s in db.session.scalars(select(Student).where(Student.id.in_(ids)))}
        return self.render("learning/my_tests.html", rows=rows, now=clock.utcnow(), names=names,
                           student=bool(self.actor.student_id), window_state=quizzes.window_state,
                           expired=quizzes.is_expired)

    @requires("details", rows=QuizAssignment, denied=404)
    @expose("/<id:qa_id>/")
    def test(self, qa_id):
        row = _found(quizzes.get_taken, self.actor, qa_id)
        students = [self.actor.student_id] if self.actor.student_id else list(self.actor.child_ids)
        attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_assignment_id == row.id,
                                                                QuizAttempt.student_id.in_(students))
                                      .order_by(QuizAttempt.number)).all()
        count = len(quizzes.questions_of([row.quiz_id]).get(row.quiz_id, []))
        now = clock.utcnow()
        going = next((a for a in attempts if a.state == "open" and not quizzes.is_expired(a, now)), None)
        return self.render("learning/my_test.html", row=row, quiz=row.quiz, attempts=attempts, count=count,
                           window=quizzes.window_state(row, now), going=going, expired=quizzes.is_expired,
                           can_take=self._take_allowed())

    def _take_allowed(self):
        return permissions.allowed(self.actor, quizzes.TAKE_KEY, "take")

    @requires("take", rows=QuizAssignment, denied=404)
    @expose("/<id:qa_id>/start", methods=("POST",))
    def start(self, qa_id):
        try:
            attempt = quizzes.start(self.actor, qa_id)
        except PermissionDenied:
            db.session.rollback()
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".test", qa_id=qa_id), 303)
        return redirect(url_for(".attempt", attempt_id=attempt.id), 303)

    @requires("details", rows=QuizAssignment, denied=404)
    @expose("/attempt/<id:attempt_id>/", methods=("GET",))
    def attempt(self, attempt_id, sent=None):
        attempt = _found(quizzes.get_attempt, self.actor, attempt_id)
        row = attempt.quiz_assignment
        done = attempt.state == "done"
        # The questions (no answers) only to their student while the attempt goes on; a parent sees results only.
        if not done and not self.actor.student_id:
            return redirect(url_for(".test", qa_id=row.id), 303)
        revealed = done and quizzes.answers_open(attempt)
        items = quizzes.attempt_view(attempt, reveal=revealed)
        options = {}
        if done:
            options = {o.id: o for o in db.session.scalars(select(QuizOption).where(
                QuizOption.question_id.in_([i.id for i in items])))}
        return self.render("learning/attempt.html", attempt=attempt, row=row, quiz=row.quiz, items=items, done=done,
                           revealed=revealed,
                           expired=quizzes.is_expired(attempt), sent=sent or Sent(), options=options,
                           answer_text=quizzes.answer_text, kinds=QUESTION_KINDS,
                           mark=quizzes.mark_for(row, attempt.percent) if done else "",
                           deadline_iso=attempt.deadline.strftime("%Y-%m-%dT%H:%M:%SZ"))

    @requires("take", rows=QuizAssignment, denied=404)
    @expose("/attempt/<id:attempt_id>/", methods=("POST",))
    def submit(self, attempt_id):
        try:
            result = quizzes.submit(self.actor, attempt_id, AnswersForm.from_form().responses())
        except PermissionDenied:
            db.session.rollback()
            abort(404)
        except DomainError as exc:
            return self.attempt(attempt_id, sent=refused(exc)), REFUSED
        if result.late:
            flash("Время на выполнение теста истекло: ответы не засчитаны.", "error")
        elif result.journal:
            flash("Ответы отправлены. Отметку в журнал учитель выставит позже.", "success")
        else:
            flash("Ответы отправлены.", "success")
        return redirect(url_for(".attempt", attempt_id=attempt_id), 303)


def pages():
    """Registered in admin_views/registry.py."""
    return [QuizView(name="Электронные тесты", category=JOURNAL, endpoint="quizzes", url="/quizzes"),
            MyTestsView(name="Тесты", endpoint="my_tests", url="/my-tests")]
