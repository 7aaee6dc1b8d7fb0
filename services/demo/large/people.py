"""The staff with their accounts, the students' cards, their parents and the accounts of both."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as hhmm
from types import SimpleNamespace

from models import (ClassMembership, MovementItem, MovementOrder, Organization, Parent, Position, Staff, StaffRole,
                    Student, User, db, student_parent)
from services.people import accounts
from services.demo.school import SURNAMES, STREETS, patronymic
from services.demo.large.data import ABSENCE_MEDIAN, ABSENCE_SPREAD, FEMALE_FIRST, MALE_FIRST


@dataclass(eq=False)
class _Pupil:
    id: int
    card: dict
    level: float  # his usual mark
    absence: float  # his share of days missed
    family: str
    father_name: str
    sibling_of: object = None
    stays: list = field(default_factory=list)  # [(year start, class key), first day, last day or None, orders]
    status: str = "studying"
    subgroup: dict = field(default_factory=dict)  # (year start, class key, subject[, quarter]) -> 1 or 2
    mother: dict | None = None
    father: dict | None = None


class PeopleSteps:
    """The staff, the students and their parents (a step of _School)."""

    def _person(self, female=None, family=None):
        last, first, middle, sex = self.names.person(female, family)
        return dict(last_name=last, first_name=first, middle_name=middle, sex=sex)

    def _phone(self, prefix="912"):
        r = self.rnd
        return f"+7 ({prefix}) {r.randint(100, 999)}-{r.randint(10, 99)}-{r.randint(10, 99)}"

    def _account(self, person):
        """A user row for a card (written later, with everybody's); returns its id."""
        login = _unique_login(accounts.base_login(SimpleNamespace(**person)), self.taken)
        uid = self.w.ids(User)
        name = " ".join(p for p in (person["last_name"], person["first_name"], person["middle_name"]) if p)
        self.w.add(User, dict(id=uid, login=login, password_hash=self.password_hash, is_blocked=False,
                              is_superadmin=False, must_change_password=False,
                              session_token=accounts.new_session_token(), display_name=name,
                              created_at=datetime(self.starts[0] - 1, 8, 25, 9, 0), last_login_at=None))
        self.logins[uid] = (login, name)
        return uid

    def _staff(self):
        first = self.starts[0]
        positions = {}
        for name in ("Директор", "Заместитель директора по УВР", "Специалист по кадрам", "Системный администратор",
                     "Учитель"):
            positions[name] = self.w.ids(Position)
            self.w.add(Position, dict(id=positions[name], org_id=self.org.id, name=name))
        self.logins = {}
        self.staff = []

        def card(position, role, female=None):
            row = dict(id=self.w.ids(Staff), org_id=self.org.id, **self._person(female),
                       position_id=positions[position],
                       birth_date=date(1962 + self.rnd.randint(0, 36), self.rnd.randint(1, 12),
                                       self.rnd.randint(1, 28)),
                       hire_date=date(first - self.rnd.randint(1, 25), 8, 25), snils=self.names.snils(self.staff_snils),
                       qualification_category=self.rnd.choice(["высшая", "первая", "первая", None]),
                       phone=self._phone(), email=None, rank=None, hire_order_number=f"{self.rnd.randint(10, 99)}-к",
                       dismissal_date=None, created_at=datetime(first - 1, 8, 20, 9, 0))
            row["user_id"] = self._account(row)
            self.staff.append((row, role))
            return row

        self.director = card("Директор", "director", female=True)
        self.deputies = [card("Заместитель директора по УВР", "deputy") for _ in range(2 if self.scale.teachers > 50
                                                                                    else 1)]
        self.hr = card("Специалист по кадрам", "hr", female=True)
        self.admin = card("Системный администратор", "admin")
        self.teachers = [card("Учитель", "teacher", female=self.rnd.random() < 0.82)
                         for _ in range(self.scale.teachers)]
        self.teacher_user = [t["user_id"] for t in self.teachers]
        self.user_of_staff = {row["id"]: row["user_id"] for row, _ in self.staff}
        db.session.execute(Organization.__table__.update().where(Organization.__table__.c.id == self.org.id).values(
            director_name=" ".join(self.director[k] for k in ("last_name", "first_name", "middle_name"))))
        self.w.flush(Position, User)
        for row, _role in self.staff:
            self.w.add(Staff, row)
        self.w.flush(Staff)
        for row, role in self.staff:
            self.w.add(StaffRole, dict(staff_id=row["id"], role=role))
        self.w.flush(StaffRole)

    def _new_pupil(self, start, key, enrolled_on, order=None):
        r = self.rnd
        entry_year = start - key[0] + 1
        sibling = r.choice(self.pupils[-300:]) if self.pupils and r.random() < self.scale.siblings else None
        female = r.random() < 0.5
        if sibling is not None:
            family, father = sibling.family, sibling.father_name
            person = dict(last_name=family + ("а" if female else ""),
                          first_name=r.choice(FEMALE_FIRST if female else MALE_FIRST),
                          middle_name=patronymic(father, female), sex="f" if female else "m")
        else:
            family = r.choice(SURNAMES)
            person = self._person(female, family)
            father = self.names.father
        born = date(entry_year - 7, 1, 1) + timedelta(days=r.randint(-120, 300))
        pid = self.w.ids(Student)
        card = dict(id=pid, org_id=self.org.id, **person, birth_date=born,
                    personal_file_number=f"{entry_year % 100:02d}-{pid:05d}",
                    snils=self.names.snils(self.student_snils),
                    address=f"г. Заречный, {r.choice(STREETS)}, д. {r.randint(1, 60)}, кв. {r.randint(1, 120)}",
                    birth_certificate_series=f"{r.choice(['I', 'II', 'III', 'IV'])}-АИ",
                    birth_certificate_number=f"{r.randint(100000, 999999)}",
                    birth_certificate_date=born + timedelta(days=20),
                    passport_series=None, passport_number=None, passport_date=None, passport_issued_by=None,
                    family_composition=r.choice(["полная", "полная", "неполная", "многодетная"]),
                    social_status=r.choice([None, None, None, "малообеспеченная семья"]),
                    foreign_language="Английский",
                    enrollment_order_number=order[1] if order else f"{r.randint(10, 99)}-у",
                    enrollment_order_date=enrolled_on, created_at=datetime.combine(enrolled_on, hhmm(10, 0)),
                    user_id=None)
        fourteen = date(born.year + 14, born.month, min(born.day, 28))
        if fourteen <= self.real_today:  # the card rules ask for a passport from 14 on
            card.update(passport_series=f"65{r.randint(10, 24):02d}", passport_number=f"{r.randint(100000, 999999)}",
                        passport_date=min(fourteen + timedelta(days=r.randint(10, 40)), self.real_today),
                        passport_issued_by="ГУ МВД России по Свердловской области")
        pupil = _Pupil(pid, card, level=min(4.95, max(2.6, r.gauss(3.95, 0.5))),
                       absence=min(0.3, ABSENCE_MEDIAN * r.lognormvariate(0, ABSENCE_SPREAD)),
                       family=family, father_name=father, sibling_of=sibling)
        self.pupils.append(pupil)
        return pupil

    def _write_pupils(self):
        """Accounts, students, parents and the class history, all at once."""
        r = self._rnd("parents")
        current = self.starts[-1]
        with_account = set()
        for key in self.class_keys:
            ordered = sorted((p for p in self.members[(current, key)]
                              if p.status == "studying" and p.stays[-1][0] == (current, key)),
                             key=lambda p: (p.card["last_name"], p.card["first_name"], p.id))
            with_account.update(p.id for p in ordered[:self.scale.parent_accounts])
            for p in ordered[:self.scale.student_accounts]:
                p.card["user_id"] = self._account(p.card)
        parents, links = [], []
        for pupil in self.pupils:
            if pupil.sibling_of is not None:
                pupil.mother, pupil.father = pupil.sibling_of.mother, pupil.sibling_of.father
            else:
                mother = self._person(True, pupil.family)
                del mother["sex"]
                pupil.mother = dict(id=self.w.ids(Parent), org_id=self.org.id, **mother, relation="mother",
                                    phone=self._phone("922"), email=None, address=pupil.card["address"],
                                    workplace=None, user_id=None, created_at=pupil.card["created_at"])
                parents.append(pupil.mother)
                if r.random() < 0.6:
                    middle = self._person(False)["middle_name"]
                    pupil.father = dict(id=self.w.ids(Parent), org_id=self.org.id, last_name=pupil.family,
                                        first_name=pupil.father_name, middle_name=middle, relation="father",
                                        phone=None, email=None, address=pupil.card["address"], workplace=None,
                                        user_id=None, created_at=pupil.card["created_at"])
                    parents.append(pupil.father)
            links.append(dict(student_id=pupil.id, parent_id=pupil.mother["id"]))
            if pupil.father is not None:
                links.append(dict(student_id=pupil.id, parent_id=pupil.father["id"]))
            if pupil.id in with_account and pupil.mother["user_id"] is None:
                pupil.mother["user_id"] = self._account(pupil.mother)
        self.w.flush(User)
        memberships = []
        for pupil in self.pupils:
            self.w.add(Student, dict(pupil.card, class_id=self.class_id[pupil.stays[-1][0]], status=pupil.status))
            for key, start, end, start_order, end_order in pupil.stays:
                memberships.append(dict(org_id=self.org.id, student_id=pupil.id, class_id=self.class_id[key],
                                        start_date=start, end_date=end, on_leave=False, start_order_id=start_order,
                                        end_order_id=end_order))
        self.w.add_many(Parent, parents)
        self.w.add_many(student_parent, links)
        self.w.flush(Student, Parent, student_parent, MovementOrder, MovementItem)
        self.w.add_many(ClassMembership, memberships)
        self.w.flush(ClassMembership)
        self.summary.students += sum(1 for p in self.pupils if p.status == "studying")
        self.summary.students_total += len(self.pupils)
        if self.number == 1:
            subject_teacher = next((t for i, t in enumerate(self.teachers) if i not in self.class_teacher.values()),
                                   self.teachers[-1])
            parent = next(p.mother for p in self.pupils if p.mother["user_id"])
            self.summary.logins = [(label, *self.logins[row["user_id"]]) for label, row in (
                ("Администратор", self.admin), ("Заместитель директора", self.deputies[0]),
                ("Учитель", subject_teacher), ("Родитель", parent))]


def _unique_login(base, taken):
    """`base`, or `base2`, `base3` …: the first login not taken in the installation (loaded once)."""
    login, n = base, 1
    while login in taken:
        n += 1
        login = f"{base}{n}"
    taken.add(login)
    return login
