"""Who may trade what, at which price, across which regions: the checks on a trade's start data
(R9, R18–R21, R23, R27, R28, R29, R30). Each refusal names its rule and the province whose policy
applied; the shaped result is the trade's start data."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from app.auth.models import Enterprise, Region
from app.common import clock
from app.common.money import fmt_tonnes, fmt_yuan, to_tonnes, to_yuan
from app.common.regions import common_superior
from app.errors import RuleViolation, Text, ValidationFailed, joined
from app.extensions import db
from app.ledger import policy as ledger_policy
from app.ledger import services as ledger
from app.ledger.models import AIR, WATER
from app.reserve.services import available_with_cover
from app.trading import policy
from app.trading.policy import ProvincePolicy


@dataclass(frozen=True)
class Party:
    """The selling side: a unit's surplus (R19) or a bureau's reserve (R20)."""

    kind: str  # enterprise | reserve
    region_code: str
    enterprise: Enterprise | None = None

    @property
    def account(self) -> str:
        if self.kind == "enterprise":
            return f"enterprise:{self.enterprise.id}"
        return f"reserve:{self.region_code}"


def parse_seller(raw: Any, buyer: Enterprise) -> Party:
    """`"<enterprise_id>"` or `"reserve:<region_code>"`."""
    try:
        owner = ledger.Owner.parse(raw)
    except ValueError:
        raise ValidationFailed(_l("卖方格式有误"), fields={
            "seller": [_l("应为排污单位编号或 reserve:行政区划代码")]}) from None
    if owner.kind == "enterprise":
        seller = db.session.get(Enterprise, owner.enterprise_id)
        if seller is None:
            raise ValidationFailed(_l("卖方不存在"), fields={"seller": [_l("排污单位不存在")]})
        if seller.id == buyer.id:
            raise ValidationFailed(_l("不能向本单位购买"),
                                   fields={"seller": [_l("买卖双方不能相同")]})
        return Party("enterprise", seller.region_code, seller)
    if owner.kind == "reserve" and db.session.get(Region, owner.region_code) is not None:
        return Party("reserve", owner.region_code)
    raise ValidationFailed(_l("卖方不存在"), fields={"seller": [_l("储备账户所在行政区划不存在")]})


def parse_price(raw: Any) -> Decimal:
    try:
        price = to_yuan(raw)
    except (TypeError, ValueError):
        raise ValidationFailed(_l("价格有误"), fields={
            "price_per_tonne": [_l("应为金额字符串，如 \"5000.00\"")]}) from None
    if price <= 0:
        raise ValidationFailed(_l("价格有误"), fields={"price_per_tonne": [_l("价格须大于 0")]})
    return price


def check_substitution(amounts: dict[str, str], substitution: dict[str, str],
                       pp: ProvincePolicy) -> None:
    """R18: the bought amount per pollutant equals the project's reduction substitution."""
    bought = {p: to_tonnes(v) for p, v in amounts.items()}
    needed = {p: to_tonnes(v) for p, v in substitution.items()}
    if bought != needed:
        diff = joined(
            _l("%(pollutant)s 申购 %(bought)s 吨/替代 %(needed)s 吨", pollutant=p,
               bought=fmt_tonnes(bought.get(p, Decimal(0))),
               needed=fmt_tonnes(needed.get(p, Decimal(0))))
            for p in sorted(set(bought) | set(needed)) if bought.get(p) != needed.get(p))
        raise RuleViolation(
            "R18", _l("购买量须等于项目削减替代量：%(diff)s%(policy)s", diff=diff, policy=pp.tag()))


def paid_holdings(enterprise_id: int) -> dict[str, Decimal]:
    """R19: tonnes per pollutant a unit holds by paying (not leased, not free)."""
    out: dict[str, Decimal] = {}
    for lot in ledger.lots(ledger.Owner("enterprise", enterprise_id=enterprise_id)):
        if lot.acquisition in ("paid", "allocation") and not lot.temporary:
            out[lot.pollutant] = out.get(lot.pollutant, Decimal(0)) + lot.balance
    return out


def check_seller(seller: Party, buyer: Enterprise, amounts: dict[str, str],
                 pp: ProvincePolicy) -> None:
    """R23 industrial never with agricultural; R19 the seller paid for its rights and monitors
    automatically; a reserve must hold what it sells (R33, R37)."""
    if seller.kind == "enterprise":
        unit = seller.enterprise
        if unit.source_type != buyer.source_type:
            raise RuleViolation("R23", _l(
                "工业源与农业源之间不得交易（卖方%(seller)s为%(seller_source)s，买方为%(buyer_source)s）"
                "%(policy)s", seller=unit.name, seller_source=_source_name(unit),
                buyer_source=_source_name(buyer), policy=pp.tag()))
        if not unit.auto_monitoring:
            raise RuleViolation("R19", _l(
                "%(name)s 未安装自动监测设备，不得转让富余排污权%(policy)s", name=unit.name,
                policy=pp.tag()))
        held = paid_holdings(unit.id)
        short = [p for p, t in amounts.items() if held.get(p, Decimal(0)) < to_tonnes(t)]
        if short:
            text = joined(_l("%(pollutant)s 持有 %(tonnes)s 吨", pollutant=p,
                             tonnes=fmt_tonnes(held.get(p, Decimal(0)))) for p in short)
            raise RuleViolation("R19", _l("%(name)s 有偿取得的排污权不足以转让：%(held)s%(policy)s",
                                          name=unit.name, held=text, policy=pp.tag()))
        return
    # R34: a county reserve that runs short is topped up from the city, then the province
    held = {p: available_with_cover(region_code=seller.region_code, pollutant=p) for p in amounts}
    short = [p for p, t in amounts.items() if held[p] < to_tonnes(t)]
    if short:
        text = joined(_l("%(pollutant)s 可调配 %(tonnes)s 吨", pollutant=p,
                         tonnes=fmt_tonnes(held[p])) for p in short)
        raise RuleViolation("R37", _l("本级及上级政府储备均不足：%(held)s", held=text), status=409)


def _source_name(unit: Enterprise) -> Text:
    return _l("农业源") if unit.source_type == "agricultural" else _l("工业源")


def check_price(*, seller: Party, amounts: dict[str, str], method: str, price: Decimal,
                green: bool, pp: ProvincePolicy) -> bool:
    """R20 reserve sales by public bidding, the fee standard as reserve price (where it applies);
    R21 no deal below the benchmark price (where it applies). Returns whether a surplus transfer
    below the fee standard must first be offered to the bureau for buyback (R21, ZJ)."""
    province = pp.province_code
    if seller.kind == "reserve" and not green and pp.fee_reserve_price:
        if method not in policy.PUBLIC_METHODS:
            raise RuleViolation("R20", _l(
                "政府储备排污权须公开竞价出让（挂牌、拍卖或集合竞价），不得%(method)s%(policy)s",
                method=policy.METHOD_NAMES.get(method, method), policy=pp.tag()))
        for pollutant in amounts:
            standard = ledger_policy.fee_standard(province_code=province, pollutant=pollutant)
            if standard is not None and price < standard:
                raise RuleViolation("R20", _l(
                    "储备出让底价为有偿使用费标准 %(standard)s 元/吨（%(pollutant)s），"
                    "报价 %(price)s 元/吨%(policy)s", standard=fmt_yuan(standard),
                    pollutant=pollutant, price=fmt_yuan(price), policy=pp.tag()))
    if pp.benchmark_floor:
        for pollutant in amounts:
            floor = ledger_policy.benchmark_price(province_code=province, pollutant=pollutant)
            if floor is not None and price < floor:
                raise RuleViolation("R21", _l(
                    "成交价 %(price)s 元/吨低于%(pollutant)s基准价 %(floor)s 元/吨%(policy)s",
                    price=fmt_yuan(price), pollutant=pollutant, floor=fmt_yuan(floor),
                    policy=pp.tag()))
    if seller.kind == "enterprise" and pp.priority_buyback:
        for pollutant in amounts:
            standard = ledger_policy.fee_standard(province_code=province, pollutant=pollutant)
            if standard is not None and price < standard:
                return True
    return False


def reserve_price(*, seller: Party, amounts: dict[str, str],
                  pp: ProvincePolicy) -> Decimal | None:
    """R20, R21: the lowest price a public sale accepts, announced as its reserve price (底价): the
    fee standard of a reserve sale where it applies (ZJ) and the benchmark price where that applies
    (SJZ), the highest over the pollutants sold; None when no floor applies."""
    floors = []
    for pollutant in amounts:
        if seller.kind == "reserve" and pp.fee_reserve_price:
            floors.append(ledger_policy.fee_standard(province_code=pp.province_code,
                                                     pollutant=pollutant))
        if pp.benchmark_floor:
            floors.append(ledger_policy.benchmark_price(province_code=pp.province_code,
                                                        pollutant=pollutant))
    found = [f for f in floors if f is not None]
    return max(found) if found else None


def _fmt_price(price: Decimal | None) -> str | None:
    return fmt_yuan(to_yuan(price)) if price is not None else None


def _attainment(region_code: str, year: int):
    """R27: the region's record for `year`, else its nearest ancestor's (None when none)."""
    region = db.session.get(Region, region_code)
    codes = region.path.split("/") if region is not None else [region_code]
    for code in reversed(codes):
        row = ledger_policy.attainment(region_code=code, year=year)
        if row is not None:
            return row
    return None


def buyer_water_system(buyer: Enterprise, project: dict) -> str | None:
    """R28: the discharging project's water system (default: the unit's, then its county's)."""
    return (project.get("water_system") or buyer.water_system
            or (buyer.region.water_system if buyer.region else None))


def seller_water_system(seller: Party) -> str | None:
    if seller.kind == "enterprise":
        unit = seller.enterprise
        return unit.water_system or (unit.region.water_system if unit.region else None)
    region = db.session.get(Region, seller.region_code)
    return region.water_system if region else None


def cross_region_problem(*, buyer_id: int, seller: str, amounts: dict[str, str],
                         project: dict) -> tuple[str, Text] | None:
    """R27, R28 for a trade between two different counties: (rule, reason) or None."""
    buyer = db.session.get(Enterprise, int(buyer_id))
    party = parse_seller(seller, buyer)
    pp = policy.province_policy(province_code=buyer.region.province_code)
    year = clock.today().year - 1
    record = _attainment(buyer.region_code, year)
    if record is not None:
        if not record.air and any(p in AIR for p in amounts):
            return "R27", _l("买方所在地区 %(year)s 年环境空气质量未达标，不得参与增加其大气"
                             "污染物排放总量的交易%(policy)s", year=year, policy=pp.tag())
        if not record.water and any(p in WATER for p in amounts):
            return "R27", _l("买方所在地区 %(year)s 年水环境质量未达标，不得参与增加其水污染物"
                             "排放总量的交易%(policy)s", year=year, policy=pp.tag())
    if pp.water_system_bound and any(p in WATER for p in amounts):
        ours, theirs = buyer_water_system(buyer, project), seller_water_system(party)
        if ours != theirs:
            return "R28", _l("水污染物跨区域交易限于同一水系：买方项目属%(ours)s，卖方属%(theirs)s"
                             "%(policy)s", ours=ours or _l("无水系"),
                             theirs=theirs or _l("无水系"), policy=pp.tag())
    return None


@dataclass(frozen=True)
class Checked:
    data: dict
    handling_region: str
    priority: int


def check_trade(data: dict, buyer: Enterprise) -> Checked:
    """Validate and shape a trade's start data (API.md "trade"), refusing with the rule."""
    seller = parse_seller(data.get("seller"), buyer)
    amounts = ledger_policy.parse_amounts(data.get("amounts"), region_code=buyer.region_code,
                                          noun=_l("交易数量"))
    method = data.get("method") or "agreement"
    if method not in policy.METHODS:
        raise ValidationFailed(_l("交易方式有误"), fields={
            "method": [_l("应为 %(choices)s 之一", choices=" | ".join(policy.METHODS))]})
    price = parse_price(data.get("price_per_tonne"))
    project = data.get("project")
    if not isinstance(project, dict) or not str(project.get("name") or "").strip():
        raise ValidationFailed(_l("请填写建设项目"),
                               fields={"project.name": [_l("请填写项目名称")]})
    substitution = ledger_policy.parse_amounts(
        project.get("substitution"), region_code=buyer.region_code,
        field="project.substitution", noun=_l("削减替代量"))
    ledger_policy.seed_policies()  # R15/R21 defaults where missing (never over an edit)
    pp = policy.province_policy(province_code=buyer.region.province_code)
    check_substitution(amounts, substitution, pp)  # R18
    superior = common_superior(buyer.region_code, seller.region_code)  # R9
    check_seller(seller, buyer, amounts, pp)  # R23, R19
    total = sum((to_tonnes(t) for t in amounts.values()), Decimal(0))
    green = pp.green_channel and policy.is_green(total, seller_kind=seller.kind)  # R29
    if green:
        method = "agreement"  # R29: bought by agreement
    buyback = check_price(seller=seller, amounts=amounts, method=method, price=price,
                          green=green, pp=pp)  # R20, R21
    shaped_project = {"name": str(project["name"]).strip(), "substitution": substitution,
                      "water_system": buyer_water_system(buyer, project),
                      "major": bool(project.get("major"))}
    cross = superior is not None and pp.cross_region_approval
    if superior is not None:
        problem = cross_region_problem(buyer_id=buyer.id, seller=seller.account,
                                       amounts=amounts, project=shaped_project)
        if problem:
            raise RuleViolation(*problem)
    key_unit = pp.green_channel and (policy.is_key_a_grade(seller.enterprise)
                                     or policy.is_key_a_grade(buyer))  # R30
    # R20: a reserve sale or a surplus transfer by listing, auction or call auction goes to public
    # bidding (announced, R38); agreement and the green channel (R29) do not
    bidding = not green and method in policy.PUBLIC_METHODS
    deposit = None
    if not green and pp.deposit_ratio > 0:  # R27a
        deposit = {"ratio": fmt_yuan(to_yuan(pp.deposit_ratio)),
                   "amount": fmt_yuan(to_yuan(pp.deposit_ratio * price * total)),
                   "status": "due"}
    shaped = {
        "buyer_id": buyer.id,
        "buyer_region": buyer.region_code,
        "seller": seller.account,
        "seller_kind": seller.kind,
        "seller_id": seller.enterprise.id if seller.enterprise else None,
        "seller_region": seller.region_code,
        "province_code": pp.province_code,
        "amounts": amounts,
        "total_tonnes": fmt_tonnes(total),
        "method": method,
        "price_per_tonne": fmt_yuan(price),
        "total_price": fmt_yuan(to_yuan(price * total)),
        "project": shaped_project,
        "green_channel": green,
        "inbox_flags": ["green_channel"] if green else [],
        "cross_region": cross,
        "approving_region": superior if cross else None,
        "buyback_offer": buyback,
        "deposit_required": deposit is not None,
        "deposit": deposit,
        "key_unit": key_unit,
        "certification_months": pp.certification_months if (
            key_unit and seller.kind == "enterprise") else 0,
        "certification_days": 0,  # read by diagram versions before the R30 month count
        "applicant_id": buyer.id,
        "bidding": bidding,
        "bidding_days": pp.bidding_days if bidding else 0,
        "bid_increment": fmt_yuan(to_yuan(pp.bid_increment)) if bidding else None,
        "bid_up_days": pp.bid_up_days if bidding else 0,
        "reserve_price": _fmt_price(reserve_price(seller=seller, amounts=amounts, pp=pp))
        if bidding else None,
        "bidding_closes_at": None,
        "bid_up_closes_at": None,
        "settlement_outcome": None,  # R24/R27a: set by the settlement confirmation
        "settlement_refusal": None,  # R37: set when the settlement finds the rights sold
        "end_reason": None,
        "winning_price": None,
        "contract_signed_at": None,
        "settle_due_at": None,
        "certificate": None,
        "outcome": None,
    }
    priority = (20 if key_unit else 0) + (10 if shaped_project["major"] else 0)  # R30, R35
    return Checked(shaped, seller.region_code, priority)


def check_bidder(data: dict, bidder: Enterprise, price: Decimal) -> None:
    """A unit bidding in a public sale (R20) passes the checks the trade applied to its buyer:
    R16 no overdue fee notice, R9/R23/R37 against the seller, R27/R28 across regions, and the bid
    needs no cross-region approval other than the one the trade holds (R26); the price is at
    least the reserve price (R20 fee standard, R21 benchmark where they apply)."""
    from app.ledger.fees import assert_no_overdue_fee

    assert_no_overdue_fee(enterprise_id=bidder.id)  # R16
    seller = parse_seller(data.get("seller"), bidder)
    pp = policy.province_policy(province_code=bidder.region.province_code)
    superior = common_superior(bidder.region_code, seller.region_code)  # R9
    amounts = data.get("amounts") or {}
    check_seller(seller, bidder, amounts, pp)  # R23, R37
    if pp.cross_region_approval and superior != data.get("approving_region"):
        raise RuleViolation("R26", _l(
            "本次出让未经贵单位所在地与出让方的共同上级生态环境部门审批，不能参与竞价%(policy)s",
            policy=pp.tag()))
    if superior is not None:
        problem = cross_region_problem(buyer_id=bidder.id, seller=seller.account,
                                       amounts=amounts, project={})
        if problem:
            raise RuleViolation(*problem)
    check_price(seller=seller, amounts=amounts, method=data.get("method") or "auction",
                price=price, green=False, pp=pp)  # R20, R21
