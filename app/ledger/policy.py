"""Policy data the ledger and trading read: pilot pollutants (R2), attainment (R27), fee standards
(R15) and benchmark prices (R21). Numbers are rows administrators edit; `seed_policies` sets the
RULES.md defaults once and never overwrites an administrator's change."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Region
from app.common import clock
from app.common.audit import record_policy_change
from app.common.money import fmt_tonnes, to_tonnes
from app.errors import NotFound, Text, ValidationFailed
from app.extensions import db
from app.ledger.models import (
    PILOT_POLLUTANTS,
    POLLUTANTS,
    BenchmarkPrice,
    FeeStandard,
    PilotPollutant,
    RegionAttainment,
)

ZHEJIANG, HEBEI = "330000", "130000"

# R15: Zhejiang paid-use fee standards, 元/吨·年.
SEED_FEE_STANDARDS = {
    ZHEJIANG: {"COD": "4000", "NH3-N": "4000", "SO2": "1000", "NOx": "1000"},
}
# R21: Hebei benchmark prices, 元/吨.
SEED_BENCHMARK_PRICES = {
    HEBEI: {"SO2": "5000", "NOx": "6000", "COD": "4000", "NH3-N": "8000"},
}


def _ancestors(region_code: str) -> list[str]:
    region = db.session.get(Region, region_code)
    return region.path.split("/") if region is not None else [region_code]


def allowed_pollutants(*, region_code: str) -> tuple[str, ...]:
    """R2: the four base pollutants, plus pilot ones switched on for the region or an ancestor."""
    on = set(
        db.session.scalars(
            select(PilotPollutant.pollutant).where(
                PilotPollutant.region_code.in_(_ancestors(region_code)),
                PilotPollutant.enabled.is_(True),
            )
        )
    )
    return POLLUTANTS + tuple(p for p in PILOT_POLLUTANTS if p in on)


AMOUNT = _l("数量")  # what parse_amounts calls the tonnes unless the caller names them


def parse_amounts(raw, *, region_code: str | None = None, field: str = "amounts",
                  noun: Text = AMOUNT, required: bool = True) -> dict[str, str]:
    """Tonnes per pollutant from user input, as 4-place Decimal strings (R1): the base
    pollutants, plus a pilot one only where switched on for the region (R2). A pollutant left
    empty is skipped; with `required=False` nothing at all gives {}. Errors name the field."""
    if raw in (None, {}, "") and not required:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise ValidationFailed(_l("请填写%(noun)s", noun=noun),
                               fields={field: [_l("至少填写一种污染物")]})
    allowed = allowed_pollutants(region_code=region_code) if region_code else POLLUTANTS
    errors: dict[str, list[Text]] = {}
    amounts: dict[str, str] = {}
    for pollutant, value in raw.items():
        key = f"{field}.{pollutant}"
        if value in (None, ""):
            continue
        if pollutant not in allowed:
            errors[key] = [_l("R2：本地区不适用的污染物 %(pollutant)s", pollutant=pollutant)]
            continue
        try:
            tonnes = to_tonnes(value)
        except (TypeError, ValueError):
            errors[key] = [_l("R1：须为不超过4位小数的吨数（字符串）")]
            continue
        if tonnes <= 0:
            errors[key] = [_l("%(noun)s须大于 0", noun=noun)]
            continue
        amounts[pollutant] = fmt_tonnes(tonnes)
    if errors:
        raise ValidationFailed(_l("%(noun)s有误", noun=noun), fields=errors)
    if not amounts and required:
        raise ValidationFailed(_l("请填写%(noun)s", noun=noun),
                               fields={field: [_l("至少填写一种污染物")]})
    return amounts


def set_pilot_pollutant(*, region_code: str, pollutant: str, enabled: bool) -> PilotPollutant:
    """R2: switch a pilot pollutant on or off for a region (and the regions below it)."""
    if pollutant not in PILOT_POLLUTANTS:
        raise ValidationFailed(
            _l("不是试点污染物"),
            fields={"pollutant": [_l("不是试点污染物：%(pollutant)s", pollutant=pollutant)]},
        )
    if db.session.get(Region, region_code) is None:
        raise NotFound(_l("行政区划不存在：%(code)s", code=region_code))
    row = db.session.scalar(
        select(PilotPollutant).where(
            PilotPollutant.region_code == region_code, PilotPollutant.pollutant == pollutant
        )
    )
    if row is None:
        row = PilotPollutant(region_code=region_code, pollutant=pollutant, enabled=enabled)
        db.session.add(row)
    row.enabled = enabled
    db.session.flush()
    return row


def set_attainment(
    *, region_code: str, year: int, air: bool, water: bool, actor_id: int | None = None
) -> RegionAttainment:
    """R27: record whether a region met its air and water quality targets in `year`."""
    if db.session.get(Region, region_code) is None:
        raise NotFound(_l("行政区划不存在：%(code)s", code=region_code))
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_l("年份无效"),
                               fields={"year": [_l("年份无效：%(year)s", year=year)]})
    row = db.session.get(RegionAttainment, (region_code, year))
    old = None if row is None else {"air": row.air, "water": row.water}
    if row is None:
        row = RegionAttainment(region_code=region_code, year=year, air=air, water=water,
                               updated_at=clock.now())
        db.session.add(row)
    row.air, row.water, row.updated_at, row.updated_by = air, water, clock.now(), actor_id
    record_policy_change(actor_id=actor_id, table="region_attainment",
                         subject={"region_code": region_code, "year": year},
                         old=old, new={"air": air, "water": water})
    db.session.flush()
    return row


def attainment(*, region_code: str, year: int) -> RegionAttainment | None:
    """R27: the stored attainment of a region in a year (None when not recorded)."""
    return db.session.get(RegionAttainment, (region_code, year))


def attainment_rows(*, year: int | None = None) -> list[RegionAttainment]:
    query = select(RegionAttainment).order_by(RegionAttainment.year.desc(),
                                               RegionAttainment.region_code)
    if year is not None:
        query = query.where(RegionAttainment.year == year)
    return list(db.session.scalars(query))


def fee_standard(*, province_code: str, pollutant: str) -> Decimal | None:
    """R15: the paid-use fee standard (元/吨·年) of a province, None when it has none."""
    return db.session.scalar(
        select(FeeStandard.yuan_per_tonne_year).where(
            FeeStandard.province_code == province_code, FeeStandard.pollutant == pollutant
        )
    )


def benchmark_price(*, province_code: str, pollutant: str) -> Decimal | None:
    """R21: the benchmark price (元/吨) of a province, None when it has none."""
    return db.session.scalar(
        select(BenchmarkPrice.yuan_per_tonne).where(
            BenchmarkPrice.province_code == province_code, BenchmarkPrice.pollutant == pollutant
        )
    )


def seed_policies() -> int:
    """Insert the RULES.md defaults (R15, R21) that are missing; idempotent. Returns rows added.
    Safe when two requests seed at once (two first trades): a row another transaction inserted
    meanwhile is skipped, not an error."""
    added = 0
    now = clock.now()
    for province, table in SEED_FEE_STANDARDS.items():
        for pollutant, value in table.items():
            if fee_standard(province_code=province, pollutant=pollutant) is None:
                added += _add_default(FeeStandard(
                    province_code=province, pollutant=pollutant,
                    yuan_per_tonne_year=Decimal(value), updated_at=now))
    for province, table in SEED_BENCHMARK_PRICES.items():
        for pollutant, value in table.items():
            if benchmark_price(province_code=province, pollutant=pollutant) is None:
                added += _add_default(BenchmarkPrice(
                    province_code=province, pollutant=pollutant,
                    yuan_per_tonne=Decimal(value), updated_at=now))
    db.session.flush()
    return added


def _add_default(row) -> int:
    """Insert one default row in a savepoint: 0 when a concurrent transaction already has it."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return 0
    return 1
