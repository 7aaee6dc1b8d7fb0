"""A regional specialist's scope: the organizations of his municipality, or of every municipality of his
region. Computed here only (`scope_org_ids`); the request enters it as the organization scope of every
query (models/scope.py `enter_many`, app.py), and every regional query is limited to it by name too."""
from sqlalchemy import and_, or_, select

from models import Municipality, Organization, RegionStaff, db, scope


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
