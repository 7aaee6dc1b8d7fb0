"""Projects («портфолио проектов», seed 000 §4.3): a project has a title, a subject, a supervisor (a member of
the staff), participants (students, of one class or several), stages (a title, a planned date, the date done, a
note) and a result (a text, a file, a mark). Each participant's portfolio lists it.

Who (services/permissions.py, keys "portfolio_project", "portfolio_stage"): the administration every project;
a class teacher those of his class's students and those he supervises or began; a teacher those he supervises
or began; a participant and his parents read theirs. The flush rules below hold on every path (the model views,
the demo, a test): a page adds nothing they do not check.
"""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from models import Project, ProjectStage, Staff, Student, StudentStatus, Subject, db, project_participant
from services import files, permissions
from services.errors import DomainError, PermissionDenied
from services.rules import validator

KEY, STAGE_KEY = "portfolio_project", "portfolio_stage"
MAX_TITLE = 300
MAX_TEXT = 10_000
MAX_PARTICIPANTS = 100
MAX_FILE_BYTES = 10 * 1024 * 1024


def _same_org(row, model, org_id):
    return row is not None and isinstance(row, model) and row.org_id == org_id


@validator(Project, "portfolio.project")
def validate_project(project):
    errors = {}
    project.title = " ".join((project.title or "").split())
    if not project.title:
        errors["title"] = "Укажите тему проекта."
    elif len(project.title) > MAX_TITLE:
        errors["title"] = f"Тема длиннее {MAX_TITLE} знаков."
    supervisor = project.supervisor if project.supervisor is not None else (
        db.session.get(Staff, project.supervisor_id) if project.supervisor_id else None)
    if not _same_org(supervisor, Staff, project.org_id):
        errors["supervisor"] = "Выберите руководителя проекта из сотрудников организации."
    subject = project.subject if project.subject is not None else (
        db.session.get(Subject, project.subject_id) if project.subject_id else None)
    if subject is not None and subject.org_id != project.org_id:
        errors["subject"] = "Выберите предмет вашей организации."
    if project.mark is not None and not 1 <= project.mark <= 5:
        errors["mark"] = "Отметка за проект — от 1 до 5 или пусто."
    if project.result_text is not None:
        project.result_text = project.result_text.replace("\r\n", "\n").strip() or None
        if project.result_text and len(project.result_text) > MAX_TEXT:
            errors["result_text"] = f"Результат длиннее {MAX_TEXT} знаков."
    participants = list(project.participants)
    if not participants:
        errors["participants"] = "Укажите участников проекта (учеников)."
    elif len(participants) > MAX_PARTICIPANTS:
        errors["participants"] = f"Участников больше {MAX_PARTICIPANTS}."
    elif any(s.org_id != project.org_id for s in participants):
        errors["participants"] = "Участники проекта — ученики вашей организации."
    if errors:
        raise DomainError("Проект не сохранён: " + " ".join(errors.values()), fields=errors)


@validator(ProjectStage, "portfolio.stage")
def validate_stage(stage):
    errors = {}
    stage.title = " ".join((stage.title or "").split())
    if not stage.title:
        errors["title"] = "Укажите, что это за этап."
    elif len(stage.title) > MAX_TITLE:
        errors["title"] = f"Название этапа длиннее {MAX_TITLE} знаков."
    project = stage.project if stage.project is not None else (
        db.session.get(Project, stage.project_id) if stage.project_id else None)
    if not _same_org(project, Project, stage.org_id):
        errors["project"] = "Выберите проект вашей организации."
    if stage.planned_date is None:
        errors["planned_date"] = "Укажите срок этапа."
    if stage.done_date is not None and project is not None and project.start_date is not None \
            and stage.done_date < project.start_date:
        errors["done_date"] = "Этап выполнен раньше начала проекта."
    if stage.note is not None:
        stage.note = stage.note.strip() or None
        if stage.note and len(stage.note) > MAX_TEXT:
            errors["note"] = f"Примечание длиннее {MAX_TEXT} знаков."
    if errors:
        raise DomainError("Этап проекта не сохранён: " + " ".join(errors.values()), fields=errors)


RULES = (validate_project, validate_stage)


# -- choices ------------------------------------------------------------------------------------------------------

def participant_choices(actor):
    """Choice filter: students studying now (a project may gather several classes)."""
    return Student.status == StudentStatus.STUDYING.value


def supervisor_choices(actor):
    return Staff.dismissal_date.is_(None)


# -- reads ----------------------------------------------------------------------------------------------------------

def _loaded(query):
    return query.options(joinedload(Project.supervisor), joinedload(Project.subject),
                         joinedload(Project.result_file), selectinload(Project.participants).joinedload(Student.klass),
                         selectinload(Project.stages))


def projects_of(actor, student_id):
    """The projects of a student the actor may read (the participant's portfolio), newest first."""
    if not permissions.allowed(actor, KEY, "list"):
        return []
    return db.session.scalars(_loaded(select(Project)).where(
        Project.org_id == actor.org_id, permissions.row_condition(actor, KEY, "list", Project),
        Project.id.in_(select(project_participant.c.project_id).where(project_participant.c.student_id == student_id)))
        .order_by(Project.start_date.desc(), Project.id.desc())).unique().all()


def projects_of_students(student_ids):
    """{student id: [Project]} of every project the students take part in (a printable portfolio, a summary)."""
    found = {sid: [] for sid in student_ids}
    if not student_ids:
        return found
    rows = db.session.execute(select(project_participant.c.student_id, project_participant.c.project_id).where(
        project_participant.c.student_id.in_(list(student_ids)))).all()
    projects = {p.id: p for p in db.session.scalars(_loaded(select(Project)).where(
        Project.id.in_({r.project_id for r in rows}))).unique()} if rows else {}
    for student_id, project_id in rows:
        found[student_id].append(projects[project_id])
    for items in found.values():
        items.sort(key=lambda p: (p.start_date is None, p.start_date, p.id))
    return found


def project_for(actor, project_id, verb="details"):
    if project_id is None or not permissions.allowed(actor, KEY, verb):
        return None
    return db.session.scalar(_loaded(select(Project)).where(
        Project.id == project_id, Project.org_id == actor.org_id, permissions.row_condition(actor, KEY, verb, Project)))


def set_result_file(actor, project_id, upload=None, drop=False):
    """Attach (or remove) the project's result file: whoever may edit the project."""
    project = project_for(actor, project_id, "edit")
    if project is None:
        raise PermissionDenied("Изменять этот проект вы не можете.")
    if upload is None and not drop:
        raise DomainError("Файл не выбран: выберите файл результата проекта.", fields={"file": "Выберите файл."})
    old = project.result_file
    if upload is not None:
        try:
            project.result_file = files.store(actor.org_id, actor.user_id, upload[0], upload[1], MAX_FILE_BYTES)
        except DomainError as exc:
            raise DomainError(f"Файл не приложен: {exc}", fields={"file": str(exc)}) from None
    else:
        project.result_file = None
    db.session.flush()
    if old is not None:
        files.discard(old)
    return project


def editable_condition(actor):
    """The projects the actor may edit (a stage's project choices)."""
    return permissions.reachable(actor, KEY, "edit", Project)
