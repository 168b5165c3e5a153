"""Policy tables administrators edit: fee standards (R15), benchmark prices (R21), pilot pollutants
(R2). Every change is audited (`audit_event`, no instance, action "policy_changed") with who, when,
and the old and new value."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import Region
from app.common import clock
from app.common.audit import POLICY_CHANGED, policy_audit, record_policy_change  # noqa: F401
from app.common.money import to_yuan
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.ledger import policy
from app.ledger.models import PILOT_POLLUTANTS, POLLUTANTS, BenchmarkPrice, FeeStandard

_audit = record_policy_change


def _province(code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None or region.level != "province":
        raise ValidationFailed(
            _l("请选择省份"), fields={"province_code": [_l("不是省级行政区：%(code)s", code=code)]})
    return region


def _amount(raw: str) -> Decimal:
    try:
        value = to_yuan(str(raw).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationFailed(_l("金额无效"), fields={"value": [_l("请输入金额（元）")]}) from exc
    if value <= 0:
        raise ValidationFailed(_l("金额无效"), fields={"value": [_l("金额必须大于零")]})
    return value


def _pollutant(name: str) -> str:
    if name not in POLLUTANTS + PILOT_POLLUTANTS:
        raise ValidationFailed(_l("污染物无效"),
                               fields={"pollutant": [_l("未知污染物：%(name)s", name=name)]})
    return name


def set_fee_standard(*, province_code: str, pollutant: str, value: str,
                     actor_id: int | None) -> FeeStandard:
    """R15: set a province's paid-use fee standard (元/吨·年); audited."""
    _province(province_code)
    amount, pollutant = _amount(value), _pollutant(pollutant)
    row = db.session.scalar(select(FeeStandard).where(
        FeeStandard.province_code == province_code, FeeStandard.pollutant == pollutant))
    old = str(row.yuan_per_tonne_year) if row else None
    if row is None:
        row = FeeStandard(province_code=province_code, pollutant=pollutant,
                          yuan_per_tonne_year=amount)
        db.session.add(row)
    row.yuan_per_tonne_year, row.updated_at = amount, clock.now()
    _audit(actor_id=actor_id, table="fee_standard",
           subject={"province_code": province_code, "pollutant": pollutant}, old=old,
           new=str(amount))
    db.session.flush()
    return row


def set_benchmark_price(*, province_code: str, pollutant: str, value: str,
                        actor_id: int | None) -> BenchmarkPrice:
    """R21: set a province's trading benchmark price (元/吨); audited."""
    _province(province_code)
    amount, pollutant = _amount(value), _pollutant(pollutant)
    row = db.session.scalar(select(BenchmarkPrice).where(
        BenchmarkPrice.province_code == province_code, BenchmarkPrice.pollutant == pollutant))
    old = str(row.yuan_per_tonne) if row else None
    if row is None:
        row = BenchmarkPrice(province_code=province_code, pollutant=pollutant,
                             yuan_per_tonne=amount)
        db.session.add(row)
    row.yuan_per_tonne, row.updated_at = amount, clock.now()
    _audit(actor_id=actor_id, table="benchmark_price",
           subject={"province_code": province_code, "pollutant": pollutant}, old=old,
           new=str(amount))
    db.session.flush()
    return row


def set_pilot(*, region_code: str, pollutant: str, enabled: bool, actor_id: int | None) -> None:
    """R2: switch a pilot pollutant on or off for a region; audited."""
    if db.session.get(Region, region_code) is None:
        raise NotFound(_l("行政区划不存在：%(code)s", code=region_code))
    before = policy.allowed_pollutants(region_code=region_code)
    policy.set_pilot_pollutant(region_code=region_code, pollutant=pollutant, enabled=enabled)
    _audit(actor_id=actor_id, table="pilot_pollutant",
           subject={"region_code": region_code, "pollutant": pollutant},
           old=pollutant in before, new=enabled)
    db.session.flush()
