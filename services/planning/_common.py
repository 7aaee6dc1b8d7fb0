"""Helpers the planning domain's modules share: a related row before the flush, refusing with the
collected errors, the closed year, hours as typed."""
from decimal import Decimal

from models import db
from services.errors import DomainError


def related(obj, rel, fk, model):
    """The related row whether a form set the relationship or the id (ids follow only at flush)."""
    value = getattr(obj, rel)
    if value is not None:
        return value
    pk = getattr(obj, fk)
    return db.session.get(model, pk) if pk is not None else None


def raise_if(errors, what, fields=None):
    if errors:
        raise DomainError(what, errors, fields)


def check_open_year(year, errors):
    if year is not None and year.is_closed:
        errors.append(f"Учебный год {year.name} закрыт: его данные не меняются")


def hours(value):
    """Hours from a form or a cell: '3', '1,5', 2 → Decimal (tenths at most); '' → None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        result = Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError:
        raise ValueError(f"«{value}» — не число часов") from None
    if not result.is_finite() or not 0 <= result <= 2000 or result != result.quantize(Decimal("0.1")):
        raise ValueError(f"«{value}» — не число часов (от 0 до 2000, с точностью до десятых)")
    return result


def fmt_hours(value):
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.to_integral():
        return str(value.quantize(Decimal("1")))
    return str(value.normalize()).replace(".", ",")
