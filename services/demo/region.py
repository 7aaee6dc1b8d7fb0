"""The regional layer of the demo (issue 20.1): the region, the demo organization's municipality, and two
specialists of the bodies managing education — of the municipality and of the whole region — whose
accounts are printed with the other demo accounts."""
from types import SimpleNamespace

from models import Municipality, Region, RegionStaff, db
from services.people import accounts

SPECIALISTS = (
    ("Специалист муниципалитета (образование)", ("Мельникова", "Ольга", "Сергеевна"),
     "Главный специалист управления образования", True),
    ("Специалист региона (образование)", ("Гришин", "Андрей", "Павлович"),
     "Консультант отдела общего образования министерства", False),
)


def create_region_demo(org, password=None):
    """The region, the municipality of `org`, the specialists: [(role label, login, password, full name)]."""
    region = Region(name="Свердловская область")
    municipality = Municipality(region=region, name="Городской округ Заречный")
    db.session.add_all([region, municipality, Municipality(region=region, name="Белоярский городской округ")])
    db.session.flush()
    org.municipality_id = municipality.id
    result, taken = [], set()
    for label, (last, first, middle), position, municipal in SPECIALISTS:
        name = SimpleNamespace(last_name=last, first_name=first, middle_name=middle)
        full_name = f"{last} {first} {middle}"
        login = accounts.unique_login(accounts.base_login(name), taken)
        user, pw = accounts.new_user(login, full_name, password, must_change=False)
        db.session.add(RegionStaff(user=user, region=region, municipality=municipality if municipal else None,
                                   full_name=full_name, position=position))
        result.append((label, login, pw, full_name))
    db.session.flush()
    return result
