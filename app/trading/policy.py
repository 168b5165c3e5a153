"""Trading policy read from DMN tables administrators edit: which province's rules apply
(trade_province_policy.dmn), the green-channel threshold (R29, trade_green_channel.dmn) and the
working days a mediation takes (R25, mediation_policy.dmn)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app import engine
from app.auth.models import Enterprise, Region
from app.errors import Text
from app.extensions import db

PROVINCE_DECISION = "trade_province_policy"
GREEN_DECISION = "trade_green_channel"  # R29
MEDIATION_DECISION = "mediation_policy"  # R25
# R30 (SJZ §2(5)): the seven key industries of the A-grade priority (环保绩效创A).
KEY_INDUSTRIES = ("钢铁", "焦化", "水泥", "平板玻璃", "建筑陶瓷", "火电", "垃圾发电", "燃煤发电")
PUBLIC_METHODS = ("listing", "auction", "call_auction")  # R20 public bidding
METHODS = ("agreement", *PUBLIC_METHODS)  # R20
# R20: the seeded defaults of trade_province_policy.dmn, for a table edited before its columns
DEFAULT_BID_INCREMENT = Decimal("100.00")
DEFAULT_BID_UP_DAYS = 1
METHOD_NAMES = {"agreement": _l("协议转让"), "listing": _l("挂牌转让"), "auction": _l("拍卖转让"),
                "call_auction": _l("集合竞价")}


@dataclass(frozen=True)
class ProvincePolicy:
    """The rules that apply in one province (RULES.md "Which province's rules apply")."""

    province_code: str
    province_name: str
    green_channel: bool  # R29, R30
    benchmark_floor: bool  # R21 first sentence
    priority_buyback: bool  # R21 second sentence
    fee_reserve_price: bool  # R20 second sentence
    water_system_bound: bool  # R28
    cross_region_approval: bool  # R26
    deposit_ratio: Decimal  # R27a
    certification_months: int  # R30: the tradable amount certified within N calendar months
    bidding_days: int  # R20: working days a public sale stays open for bids (R5 counting)
    bid_increment: Decimal  # R20: the minimum raise over the best bid (auction, listing bid-up)
    bid_up_days: int  # R20: working days of a listing's bid-up among several intended buyers

    def tag(self) -> Text:
        """The province named in a refusal: whose policy applied."""
        return _l("（适用%(province)s政策）", province=self.province_name)


def province_policy(*, province_code: str) -> ProvincePolicy:
    """The province's row of the policy table."""
    out = engine.decide(PROVINCE_DECISION, {"province_code": province_code})
    region = db.session.get(Region, province_code)
    return ProvincePolicy(
        province_code=province_code,
        province_name=region.name if region else province_code,
        green_channel=bool(out.get("green_channel")),
        benchmark_floor=bool(out.get("benchmark_floor")),
        priority_buyback=bool(out.get("priority_buyback")),
        fee_reserve_price=bool(out.get("fee_reserve_price")),
        water_system_bound=bool(out.get("water_system_bound")),
        cross_region_approval=bool(out.get("cross_region_approval", True)),
        deposit_ratio=Decimal(str(out.get("deposit_ratio") or 0)),
        certification_months=int(out.get("certification_months") or 1),
        bidding_days=int(out.get("bidding_days") or 5),
        # a table edited before these columns existed reads the shipped defaults
        bid_increment=Decimal(str(out.get("bid_increment") or DEFAULT_BID_INCREMENT)),
        bid_up_days=int(out.get("bid_up_days") or DEFAULT_BID_UP_DAYS),
    )


def is_green(total_tonnes: Decimal, *, seller_kind: str) -> bool:
    """R29 through the DMN table: new rights summed over pollutants below the threshold, bought
    from a government reserve (`seller_kind` "reserve"; a unit's surplus is "enterprise")."""
    out = engine.decide(GREEN_DECISION, {"total_tonnes": total_tonnes, "seller_kind": seller_kind})
    return bool(out.get("green_channel"))


def mediation_days(*, province_code: str) -> int:
    """R25: the working days the trading administration has to mediate a dispute (R5 counting)."""
    out = engine.decide(MEDIATION_DECISION, {"province_code": province_code})
    return int(out.get("mediation_days") or 20)


def is_key_a_grade(enterprise: Enterprise | None) -> bool:
    """R30: an A-grade unit of one of the seven key industries."""
    if enterprise is None or enterprise.grade != "A":
        return False
    return any(word in (enterprise.industry or "") for word in KEY_INDUSTRIES)
