"""A regional specialist's scope: the organizations of his municipality, or of every municipality of his
region. Computed here only (`scope_org_ids`); the request enters it as the organization scope of every
query (models/scope.py `enter_many`, app.py), and every regional query is limited to it by name too."""
from sqlalchemy import and_, or_, select

from sqlalchemy import func

from models import Municipality, Organization, Parent, Region, RegionStaff, Staff, Student, User, db, scope
from services.errors import DomainError


def card_of(user_id):
    """The user's active regional card with its scope's organization ids, in one statement: (card id, region
    id, municipality id, (org ids)), or None."""
    in_scope = or_(Organization.municipality_id == RegionStaff.municipality_id,
                   and_(RegionStaff.municipality_id.is_(None), Organization.municipality_id.in_(
                       select(Municipality.id).where(Municipality.region_id == RegionStaff.region_id))))
    with scope.installation("a regional specialist's card and his scope's organizations"):
        rows = db.session.execute(
            select(RegionStaff.id, RegionStaff.region_id, RegionStaff.municipality_id, Organization.id)
            .outerjoin(Organization, in_scope)
            .where(RegionStaff.user_id == user_id, RegionStaff.active.is_(True))
            .order_by(RegionStaff.id, Organization.id)).all()
    if not rows:
        return None
    card_id, region_id, municipality_id = rows[0][:3]
    return card_id, region_id, municipality_id, tuple(r[3] for r in rows if r[0] == card_id and r[3] is not None)


def scope_org_ids(actor):
    """THE set of organization ids a regional actor's queries may reach (empty for anyone else)."""
    return tuple(actor.region_org_ids or ())


def scope_title(card_id):
    """«Муниципалитет, Регион» or «Регион (весь регион)» of a card, for the page's heading."""
    with scope.installation("the heading of a regional page"):
        card = db.session.get(RegionStaff, card_id)
        if card is None:
            return ""
        region = card.region.name
        return f"{card.municipality.name}, {region}" if card.municipality_id else f"{region} (весь регион)"


def check_card(card):
    """A regional specialist's card before it is saved: his municipality is of his region, and his account
    works in no organization (a person who is also a school's employee signs in with another account: the
    regional scope is never mixed with an organization's)."""
    if card.user_id is None or card.region_id is None:
        raise DomainError("Укажите учётную запись и регион специалиста.")
    if card.municipality_id is not None:
        region_id = db.session.scalar(select(Municipality.region_id).where(Municipality.id == card.municipality_id))
        if region_id != card.region_id:
            raise DomainError("Муниципалитет не входит в выбранный регион.")
    with scope.installation("a regional specialist's account is no installation administrator's"):
        if db.session.scalar(select(User.is_superadmin).where(User.id == card.user_id)):
            raise DomainError("Это учётная запись администратора установки. Специалисту органа управления "
                              "образованием нужна отдельная учётная запись.")
    cards = (select(Staff.id).where(Staff.user_id == card.user_id, Staff.dismissal_date.is_(None))
             .union_all(select(Student.id).where(Student.user_id == card.user_id),
                        select(Parent.id).where(Parent.user_id == card.user_id)))
    with scope.installation("a regional specialist's account has no organization's card"):
        if db.session.execute(cards.limit(1)).first() is not None:
            raise DomainError("У этой учётной записи есть карточка в организации. Специалисту органа управления "
                              "образованием нужна отдельная учётная запись.")


def _count(n, one, few, many):
    """«1 организация», «2 организации», «5 организаций»."""
    word = one if n % 10 == 1 and n % 100 != 11 else few if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) \
        else many
    return f"{n} {word}"


_CARDS = ("карточка специалиста", "карточки специалистов", "карточек специалистов")
# What a region or a municipality holds: (its title, [(the holding column, its words for 1, 2, 5)], the advice).
_HOLDINGS = {
    Municipality: ("Муниципалитет", [(Organization.municipality_id, ("организация", "организации", "организаций")),
                                     (RegionStaff.municipality_id, _CARDS)],
                   "Сначала перенесите организации в другой муниципалитет и измените карточки специалистов."),
    Region: ("Регион", [(Municipality.region_id, ("муниципалитет", "муниципалитета", "муниципалитетов")),
                        (RegionStaff.region_id, _CARDS)],
             "Сначала удалите его муниципалитеты и карточки специалистов."),
}


def check_delete(row):
    """A region or a municipality is deleted only when nothing is in it: its organizations (their scope would
    change silently), municipalities and specialists' cards stay where they are, with a Russian refusal."""
    holding = _HOLDINGS.get(type(row))
    if holding is None:
        return
    title, columns, advice = holding
    with scope.installation("what a region or a municipality being deleted still holds"):
        counts = [(db.session.scalar(select(func.count()).where(column == row.id)), words)
                  for column, words in columns]
    held = [_count(n, *words) for n, words in counts if n]
    if held:
        raise DomainError(f"{title} «{row.name}» не удалён: в нём {', '.join(held)}. {advice}")
