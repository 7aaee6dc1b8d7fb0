"""The inputs of the learning materials' pages (admin_views/forms.py)."""
from admin_views.forms import DateField, IdField, IdListField, IntField, PageForm, TextField
from services.learning.materials import MAX_GRADE, AssignInput, CourseInput, MaterialInput
from services.params import parse_id


class LibraryQuery(PageForm):
    subject = IdField()
    grade = IntField(low=1, high=MAX_GRADE)


class MaterialForm(PageForm):
    """A new or edited material; its file is the upload «file» (services/uploads.read_upload)."""

    title = TextField("Название")
    kind = TextField("Вид")
    subject_id = IdField()
    grade = IntField("Класс", low=1, high=MAX_GRADE)
    url = TextField("Ссылка", strip=True)
    body = TextField("Текст")
    shared = TextField()
    version = TextField()

    def material(self, upload=None):
        return MaterialInput(title=self.title.data or "", kind=self.kind.data or "", subject_id=self.subject_id.data,
                             grade=self.grade.data, url=self.url.data or "", body=self.body.data or "",
                             shared=bool(self.shared.data), upload=upload)


class CourseForm(PageForm):
    """A new or edited course: the materials ticked («material»), in the order of their numbers («pos-<id>»)."""

    title = TextField("Название")
    subject_id = IdField()
    grade = IntField("Класс", low=1, high=MAX_GRADE)
    description = TextField("Описание")
    shared = TextField()
    material = IdListField()
    version = TextField()

    def course(self):
        chosen = self.material.data or []
        positions = {}
        for key, value in self.named("pos-"):
            material_id = parse_id(key)
            number = parse_id(value)
            if material_id is not None and number is not None:
                positions[material_id] = number
        ordered = sorted(chosen, key=lambda m: (positions.get(m, 10 ** 6), chosen.index(m)))
        return CourseInput(title=self.title.data or "", subject_id=self.subject_id.data, grade=self.grade.data,
                           description=self.description.data or "", shared=bool(self.shared.data),
                           material_ids=ordered)


class AssignForm(PageForm):
    """Whom to give a material or a course: a lesson, or a class («<class id>:<subgroup id>») for a window."""

    target = TextField()
    lesson_id = IdField()
    group = TextField()
    start_date = DateField("Показывать с", strip=True)
    end_date = DateField("Показывать по", strip=True)

    def assignment(self):
        class_id = subgroup_id = None
        raw = self.group.data or ""
        if raw:
            left, _, right = raw.partition(":")
            class_id = parse_id(left)
            subgroup_id = parse_id(right) if right else None
            if class_id is None or (right and subgroup_id is None):
                class_id, subgroup_id = -1, None  # not an offered choice: the service names it
        return AssignInput(target=self.target.data or "", lesson_id=self.lesson_id.data, class_id=class_id,
                           subgroup_id=subgroup_id, start_date=self.start_date.data, end_date=self.end_date.data)
