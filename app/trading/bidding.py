"""Public bidding of a trade by listing, auction or call auction (R20, ZJ §4(3)(4)) with each
bidder's deposit (R27a).

A non-green trade by listing (挂牌), auction (拍卖) or call auction (集合竞价) — a sale from a
government reserve or the transfer of a unit's surplus alike — is, after its announcement on the
public portal (R38), open for bids for the province policy's `bidding_days` working days (R5
counting). The applicant's offer is the first bid. Other units that pass the checks the trade
applied to its buyer may bid, at least at the reserve price; each bidder's deposit is held. The
three methods differ:

- listing: during the period units register as intended buyers (意向受让方) at the listed price
  (the applicant's offer). One intended buyer → it buys at the listed price. Several → a bid-up
  round of `bid_up_days` working days among them only, each bid beating the best so far by the
  policy's `bid_increment`.
- auction: open ascending bids from the applicant's offer; each bid beats the best so far by at
  least `bid_increment`; bidders see every price (not who bid it).
- call auction: one sealed bid per unit, at least the reserve price; nobody — the bureau included
  — sees another unit's bid until the period has closed.

When bidding ends (timers in the diagram) the bureau confirms the result: the highest bid wins (the
earliest of equal bids), the winner becomes the trade's buyer, every other bidder's deposit is
refunded. A trade opened by an older diagram version (it sets no `bidding_phase`) keeps the rule it
was announced with: a bid may not be below the highest so far.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app import engine
from app.auth.models import Enterprise, User
from app.common import clock
from app.common.money import fmt_yuan, to_tonnes, to_yuan
from app.engine.models import ProcessInstance
from app.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from app.extensions import db
from app.trading import eligibility, settlement
from app.trading.models import Bid

OPEN, BID_UP = "open", "bid_up"  # the phases in which bids are taken
PROBE_PRICE = Decimal("9999999999.99")  # standing_refusal: above any best bid plus increment


def _ranked(instance_id: int) -> list[Bid]:
    """Highest price first; of equal prices the earliest bid first (R20)."""
    return list(db.session.scalars(
        select(Bid).where(Bid.instance_id == instance_id)
        .order_by(Bid.price_per_tonne.desc(), Bid.placed_at, Bid.id)))


def bids_count(instance_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Bid).where(Bid.instance_id == instance_id)) or 0


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def phase(summary: dict, now: datetime) -> str | None:
    """The phase taking bids now (`open`, or a listing's `bid_up`), None when none is."""
    if not summary.get("bidding") or summary.get("bidding_closed_at"):
        return None
    closes = _moment(summary.get("bidding_closes_at"))
    if closes is not None and now < closes:
        return OPEN
    bid_up_closes = _moment(summary.get("bid_up_closes_at"))
    if summary.get("bidding_phase") == BID_UP and bid_up_closes and now < bid_up_closes:
        return BID_UP
    return None


def _legacy(summary: dict) -> bool:
    """Opened by a diagram version from before the methods differed (it sets no phase): every
    method is an ascending bidding there."""
    return summary.get("bidding_phase") is None


def sealed(summary: dict, now: datetime) -> bool:
    """R20 call auction: the bids stay sealed until the bidding period has closed."""
    if _legacy(summary) or summary.get("method") != "call_auction":
        return False
    closes = _moment(summary.get("bidding_closes_at"))
    return closes is None or now < closes


def _increment(summary: dict) -> Decimal:
    return to_yuan(summary.get("bid_increment") or "0")


# -- script functions (called from bpmn/trade.bpmn) ------------------------------------------

def open_bidding(buyer_id: int, price_per_tonne: str, project: dict | None = None) -> dict:
    """Script function (R20): the applicant's offer is the first bid (its deposit, if any, was
    held at the announcement)."""
    instance_id = engine.current_instance_id()
    if not db.session.scalar(select(Bid.id).where(Bid.instance_id == instance_id,
                                                  Bid.enterprise_id == int(buyer_id))):
        db.session.add(Bid(instance_id=instance_id, enterprise_id=int(buyer_id),
                           price_per_tonne=to_yuan(price_per_tonne),
                           project_name=str((project or {}).get("name") or "")[:200] or None,
                           placed_at=clock.now(), status="active"))
        db.session.flush()
    return {"bids_count": bids_count(instance_id)}


def close_bidding(method: str) -> dict:
    """Script function (R20): the bidding period is over. A listing with several intended buyers
    goes to a bid-up among them (`bid_up`); every other sale waits for the bureau (`closed`)."""
    instance_id = engine.current_instance_id()
    bidders = db.session.scalar(select(func.count(func.distinct(Bid.enterprise_id)))
                                .where(Bid.instance_id == instance_id)) or 0
    return {"phase": BID_UP if method == "listing" and bidders > 1 else "closed",
            "bidders": bidders}


def award_bids(buyer_id: int, total_tonnes: str, project: dict, buyer_region: str) -> dict:
    """Script function (R20, R27a): the highest bid wins (earliest of equal bids); the winner
    becomes the buyer (the instance's unit too, so its contract and certificate tasks go to
    it); every other bidder's deposit is refunded."""
    instance_id = engine.current_instance_id()
    bids = _ranked(instance_id)
    if not bids:  # nothing to decide: the applicant's terms stand
        return {"buyer_id": buyer_id, "winning_price": None, "bids_count": 0}
    winner = bids[0]
    for bid in bids:
        bid.status = "won" if bid.id == winner.id else "lost"
    refunded = settlement.refund_others(instance_id=instance_id, winner_id=winner.enterprise_id)
    _tell_losers(instance_id, {b.enterprise_id for b in bids} - {winner.enterprise_id})
    price = winner.price_per_tonne
    out: dict[str, Any] = {
        "buyer_id": winner.enterprise_id, "buyer_region": buyer_region, "project": project,
        "winning_price": fmt_yuan(price), "price_per_tonne": fmt_yuan(price),
        "total_price": fmt_yuan(to_yuan(price * to_tonnes(total_tonnes))),
        "bids_count": len(bids), "refunded_deposits": len(refunded),
    }
    if winner.enterprise_id != int(buyer_id):
        unit = db.session.get(Enterprise, winner.enterprise_id)
        inst = db.session.get(ProcessInstance, instance_id)
        inst.enterprise_id = unit.id  # the winner's users sign the contract (R24)
        out["buyer_region"] = unit.region_code
        named = [b.project_name for b in bids
                 if b.enterprise_id == winner.enterprise_id and b.project_name]
        out["project"] = {  # the project the winner named with its bids (the best one first)
            "name": named[0] if named else "竞得方建设项目",
            "substitution": (project or {}).get("substitution") or {},
            "water_system": eligibility.buyer_water_system(unit, {}),
            "major": False,
        }
    row = settlement.deposit_of(instance_id, winner.enterprise_id)
    out["deposit"] = settlement.deposit_summary(row)
    db.session.flush()
    return out


def _tell_losers(instance_id: int, unit_ids: set[int]) -> None:
    """R20, R27a: every bidder that did not win is told so, and that its deposit comes back."""
    if not unit_ids:
        return
    from app.notifications.services import notify_users, unit_users

    inst = db.session.get(ProcessInstance, instance_id)
    notify_users(user_ids=unit_users(unit_ids), kind="decision", ref=f"bid-lost:{instance_id}",
                 title=_l("竞价结果：未竞得，保证金予以退还（%(number)s）",
                          number=inst.business_key or instance_id),
                 link="/my/trades")


# -- services (the bids API) ------------------------------------------------------------------

@dataclass(frozen=True)
class BidView:
    """A bid as one caller may see it: bidders see every price but only their own identity."""

    id: int
    price_per_tonne: str
    placed_at: datetime
    status: str
    mine: bool
    enterprise_id: int | None
    enterprise_name: str | None
    deposit: dict | None


@dataclass(frozen=True)
class Board:
    """The bids one caller may see, with the state of the bidding (R20)."""

    items: list[BidView]
    method: str | None
    phase: str | None  # open | bid_up while bids are taken, else None
    sealed: bool  # call auction before its close: only the caller's own bid is shown
    bids_count: int
    best_price: str | None  # the best bid so far (not while sealed)
    min_next_price: str | None  # the lowest acceptable next bid, where one is announced
    closes_at: datetime | None  # the end of the phase taking bids


def _view(bid: Bid, *, viewer_enterprise: int | None, bureau: bool) -> BidView:
    mine = viewer_enterprise is not None and bid.enterprise_id == viewer_enterprise
    shown = bureau or mine
    unit = db.session.get(Enterprise, bid.enterprise_id) if shown else None
    deposit = (settlement.deposit_summary(settlement.deposit_of(bid.instance_id, bid.enterprise_id))
               if shown else None)
    return BidView(id=bid.id, price_per_tonne=fmt_yuan(bid.price_per_tonne),
                   placed_at=bid.placed_at, status=bid.status, mine=mine,
                   enterprise_id=bid.enterprise_id if shown else None,
                   enterprise_name=unit.name if unit else None, deposit=deposit)


def public_sale(instance_id: int, *, lock: bool = False) -> ProcessInstance:
    """A running or ended trade sold by public bidding (R20); else 404."""
    query = select(ProcessInstance).where(ProcessInstance.id == instance_id,
                                          ProcessInstance.key == "trade")
    if lock:  # bids on one trade are placed one after the other (PostgreSQL row lock)
        query = query.with_for_update().execution_options(populate_existing=True)
    inst = db.session.scalar(query)
    if inst is None or not (inst.summary or {}).get("bidding"):
        raise NotFound(_l("该交易不是公开竞价交易"))
    return inst


reserve_sale = public_sale  # the name before surplus transfers were bid for too


def _closed_refusal(summary: dict, now: datetime) -> RuleViolation:
    closes = _moment(summary.get("bid_up_closes_at")) or _moment(summary.get("bidding_closes_at"))
    if closes and now >= closes:
        return RuleViolation("R20", _l(
            "该交易当前不在竞价期内，不接受报价（竞价期已于 %(closed)s 届满）",
            closed=clock.deadline_text(closes)), status=409)
    return RuleViolation("R20", _l("该交易当前不在竞价期内，不接受报价"), status=409)


def registration(summary: dict, current: str | None) -> bool:
    """R20: a listing's period, when units register as intended buyers at the listed price (a
    registration names no price of its own)."""
    return current == OPEN and summary.get("method") == "listing" \
        and bool(summary.get("listed_price")) and not _legacy(summary)


def _parse_price(price: Any, summary: dict, current: str | None) -> Decimal:
    """The bid's price; a listing's registration may leave it out (the listed price)."""
    if (price is None or price == "") and registration(summary, current):
        return to_yuan(summary["listed_price"])
    try:
        amount = to_yuan(price)
    except (TypeError, ValueError, ArithmeticError):
        raise ValidationFailed(_l("报价有误"), fields={
            "price_per_tonne": [_l("应为金额字符串，如 \"5000.00\"")]}) from None
    if amount <= 0:
        raise ValidationFailed(_l("报价有误"), fields={"price_per_tonne": [_l("报价须大于 0")]})
    return amount


def _check_raise(ranked: list[Bid], bidder_id: int, amount: Decimal, increment: Decimal) -> None:
    """R20 auction and a listing's bid-up: beat the best bid so far by the minimum increment."""
    if not ranked:
        return
    best = ranked[0]
    if best.enterprise_id == bidder_id:
        raise RuleViolation("R20", _l("贵单位的报价 %(price)s 元/吨已是当前最高报价，无须再加价",
                                      price=fmt_yuan(best.price_per_tonne)), status=409)
    least = best.price_per_tonne + increment
    if amount < least:
        raise RuleViolation("R20", _l(
            "报价 %(price)s 元/吨过低：须不低于当前最高报价 %(best)s 元/吨加最低加价幅度 "
            "%(increment)s 元/吨，即 %(least)s 元/吨", price=fmt_yuan(amount),
            best=fmt_yuan(best.price_per_tonne), increment=fmt_yuan(increment),
            least=fmt_yuan(least)))


def _check_method(summary: dict, current: str, ranked: list[Bid], bidder_id: int,
                  amount: Decimal) -> None:
    """R20: what each method accepts as the next bid (the module docstring)."""
    method = summary.get("method")
    mine = [b for b in ranked if b.enterprise_id == bidder_id]
    if _legacy(summary):  # the rule such a sale was announced with
        if ranked and amount < ranked[0].price_per_tonne:
            raise RuleViolation("R20", _l(
                "报价 %(price)s 元/吨低于当前最高报价 %(best)s 元/吨", price=fmt_yuan(amount),
                best=fmt_yuan(ranked[0].price_per_tonne)))
        return
    if current == BID_UP:
        if not mine:
            raise RuleViolation("R20", _l("挂牌期满后的加价竞价仅限挂牌期内登记的意向受让方参加"),
                                status=409)
        _check_raise(ranked, bidder_id, amount, _increment(summary))
    elif method == "listing":
        if mine:
            raise RuleViolation("R20", _l("贵单位已登记为意向受让方；有多个意向受让方的，挂牌期满后"
                                          "再加价竞价"), status=409)
        listed = to_yuan(summary.get("listed_price") or summary.get("price_per_tonne"))
        if amount != listed:
            raise RuleViolation("R20", _l(
                "挂牌期内按挂牌价 %(listed)s 元/吨登记受让意向，报价 %(price)s 元/吨不符",
                listed=fmt_yuan(listed), price=fmt_yuan(amount)))
    elif method == "auction":
        _check_raise(ranked, bidder_id, amount, _increment(summary))
    elif method == "call_auction" and mine:
        raise RuleViolation("R20", _l("集合竞价每家单位只能提交一次密封报价，提交后不得更改"),
                            status=409)


def _check_bidder_role(user: User) -> None:
    if not user.has_role("enterprise") or user.enterprise_id is None:
        raise Forbidden(_l("仅排污单位可以参与竞价"))


def _taking_bids(inst: ProcessInstance, now: datetime) -> str:
    """The phase taking bids now, else the R20 refusal (409)."""
    current = phase(inst.summary or {}, now) if inst.status == "running" else None
    if current is None:
        raise _closed_refusal(inst.summary or {}, now)
    return current


def _bidder(user: User) -> Enterprise:
    bidder = db.session.get(Enterprise, user.enterprise_id)
    if bidder is None:
        raise NotFound(_l("排污单位不存在"))
    return bidder


def place_bid(*, user: User, instance_id: int, price: Any, project_name: Any = None) -> BidView:
    """R20: a unit bids in a public sale while it takes bids (409 otherwise), by the rules of the
    sale's method (422/409 naming R20) and at least at the reserve price (R20, R21). R27a: the
    bidder's deposit (ratio × listing price × quantity) is recorded with its first bid."""
    _check_bidder_role(user)
    inst = public_sale(instance_id, lock=True)
    summary = inst.summary or {}
    now = clock.now()
    current = _taking_bids(inst, now)
    amount = _parse_price(price, summary, current)
    bidder = _bidder(user)
    eligibility.check_bidder(summary, bidder, amount)  # R16, R9, R23, R26–R28, R20/R21 floor
    _check_method(summary, current, _ranked(inst.id), bidder.id, amount)
    name = str(project_name or "").strip()[:200] or None
    bid = Bid(instance_id=inst.id, enterprise_id=bidder.id, price_per_tonne=amount,
              project_name=name, placed_at=now, placed_by=user.id, status="active")
    db.session.add(bid)
    deposit = summary.get("deposit")
    if deposit and deposit.get("ratio") and deposit.get("amount"):  # R27a, once per bidder
        settlement.hold_deposit(instance_id=inst.id, enterprise_id=bidder.id,
                                ratio=deposit["ratio"], amount=deposit["amount"],
                                reference=f"BID-{inst.id}-{bidder.id}")
    db.session.flush()
    try:
        engine.annotate_summary(inst.id, {"bids_count": bids_count(inst.id)},
                                actor_id=user.id, action="bid_placed")
    except StaleDataError as exc:
        raise Conflict(_l("交易状态已变化，请重新提交报价"), rule="R20") from exc
    return _view(bid, viewer_enterprise=bidder.id, bureau=False)


def list_bids(*, user: User, instance_id: int) -> Board:
    """R20: the bids, highest first. Bureau staff over the trade see every bidder; a bidder and the
    seller see every price but only the bidder's own identity; a call auction's bids stay sealed
    (each bidder sees only its own) until the period has closed; anyone else gets 404."""
    from app.trading.services import party_of

    inst = public_sale(instance_id)
    summary = inst.summary or {}
    party = party_of(user, inst)
    bureau = party == "bureau"
    mine = user.enterprise_id if user.has_role("enterprise") else None
    bids = _ranked(inst.id)
    bidder = mine is not None and any(b.enterprise_id == mine for b in bids)
    if not (bureau or bidder or party == "seller"):
        raise NotFound(_l("交易不存在或您无权查看"))
    now = clock.now()
    hidden = sealed(summary, now)
    shown = [b for b in bids if not hidden or (mine is not None and b.enterprise_id == mine)]
    return _board(inst, bids, [_view(b, viewer_enterprise=mine, bureau=bureau) for b in shown],
                  now=now)


def _board(inst: ProcessInstance, bids: list[Bid], items: list[BidView], *,
           now: datetime) -> Board:
    """The state of a sale's bidding with `items` (the bids the caller may see)."""
    summary = inst.summary or {}
    hidden = sealed(summary, now)
    current = phase(summary, now) if inst.status == "running" else None
    best = bids[0].price_per_tonne if bids and not hidden else None
    least = None
    if current is not None and not _legacy(summary):
        if current == BID_UP or summary.get("method") == "auction":
            least = best + _increment(summary) if best is not None else None
        elif summary.get("method") == "listing":
            least = to_yuan(summary.get("listed_price") or summary.get("price_per_tonne"))
        elif summary.get("reserve_price"):
            least = to_yuan(summary["reserve_price"])
    closes = summary.get("bid_up_closes_at") if current == BID_UP else summary.get(
        "bidding_closes_at")
    return Board(
        items=items, method=summary.get("method"), phase=current, sealed=hidden,
        bids_count=len(bids), best_price=fmt_yuan(best) if best is not None else None,
        min_next_price=fmt_yuan(least) if least is not None else None,
        closes_at=_moment(closes))


# -- the bid page (app/trading/views.py): the same rules, seen by a unit about to bid ----------

def bidder_board(*, user: User, instance_id: int) -> Board:
    """R20, R38: a public sale as any signed-in user about to bid sees it — the state of the
    bidding, the best price so far (an open price: never a call auction's before its close) and
    only the caller's own bids (with their deposit, R27a); no other bidder's identity."""
    inst = public_sale(instance_id)
    mine = user.enterprise_id if user.has_role("enterprise") else None
    bids = _ranked(inst.id)
    own = [_view(b, viewer_enterprise=mine, bureau=False) for b in bids
           if mine is not None and b.enterprise_id == mine]
    return _board(inst, bids, own, now=clock.now())


def standing_refusal(*, user: User, instance_id: int) -> DomainError | None:
    """What `place_bid` would answer the caller now whatever the price, None when a bid may go
    on to the price and eligibility checks: not a unit (403), the sale not taking bids (409
    R20), the seller itself, or the method's once-only rules (409 R20: a listing's registration,
    a call auction's sealed bid, the best bid already, a bid-up by a unit that did not
    register). The page offers no form then; a bid posted anyway gets the same refusal."""
    inst = public_sale(instance_id)
    summary = inst.summary or {}
    now = clock.now()
    try:
        _check_bidder_role(user)
        current = _taking_bids(inst, now)
        bidder = _bidder(user)
        eligibility.parse_seller(summary.get("seller"), bidder)  # the seller never buys its own
        probe = to_yuan(summary["listed_price"]) if registration(summary, current) \
            else PROBE_PRICE  # a price no price rule refuses: only the 409s remain
        _check_method(summary, current, _ranked(inst.id), bidder.id, probe)
    except RuleViolation as exc:
        return exc if exc.status == 409 else None
    except DomainError as exc:
        return exc
    return None
