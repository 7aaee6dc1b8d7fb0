"""The organization's current academic year, found in one place."""
from sqlalchemy import select

from models import AcademicYear, Organization, db
from services import dates


def current_year(org, day=None):
    """The academic year of `org` (an Organization or its id) that contains `day` (default: the
    organization's today), else the nearest open one to come, else the latest open one, else the
    latest; None when the organization has no year."""
    if org is None:
        return None
    if not isinstance(org, Organization):
        org = db.session.get(Organization, org)
        if org is None:
            return None
    day = day or dates.today(org)
    years = db.session.scalars(select(AcademicYear).where(AcademicYear.org_id == org.id)
                               .order_by(AcademicYear.start_date)).all()
    for year in years:
        if year.start_date <= day <= year.end_date:
            return year
    upcoming = [y for y in years if not y.is_closed and y.start_date > day]
    if upcoming:
        return upcoming[0]
    open_years = [y for y in years if not y.is_closed]
    return (open_years or years or [None])[-1]
