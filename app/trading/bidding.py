"""Public bidding of a reserve sale (R20, ZJ §4(3)) with each bidder's deposit (R27a).

A non-green trade that buys from a government reserve by listing, auction or call auction is,
after its announcement, open for bids for a number of working days (the province policy's
`bidding_days`, R5 counting). The applicant's offer is the first bid. Other units that pass the
checks the trade applied to its buyer bid at least the reserve price and at least the highest bid
so far; each bidder's deposit is held. When the bidding period ends (a timer in the diagram) the
bureau confirms the result: the highest bid wins (the earliest of equal bids), the winner becomes
the trade's buyer, and every other bidder's deposit is refunded.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app import engine
from app.auth.models import Enterprise, User
from app.common import clock
from app.common.money import fmt_yuan, to_tonnes, to_yuan
from app.engine.models import ProcessInstance
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from app.extensions import db
from app.trading import eligibility, settlement
from app.trading.models import Bid


def _ranked(instance_id: int) -> list[Bid]:
    """Highest price first; of equal prices the earliest bid first (R20)."""
    return list(db.session.scalars(
        select(Bid).where(Bid.instance_id == instance_id)
        .order_by(Bid.price_per_tonne.desc(), Bid.placed_at, Bid.id)))


def bids_count(instance_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Bid).where(Bid.instance_id == instance_id)) or 0


def _bidding_open(summary: dict, now: datetime) -> bool:
    closes = summary.get("bidding_closes_at")
    if not summary.get("bidding") or not closes or summary.get("bidding_closed_at"):
        return False
    return now < datetime.fromisoformat(closes)


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
        out["project"] = {
            "name": winner.project_name or "竞得方建设项目",
            "substitution": (project or {}).get("substitution") or {},
            "water_system": eligibility.buyer_water_system(unit, {}),
            "major": False,
        }
    row = settlement.deposit_of(instance_id, winner.enterprise_id)
    out["deposit"] = settlement.deposit_summary(row)
    db.session.flush()
    return out


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


def reserve_sale(instance_id: int, *, lock: bool = False) -> ProcessInstance:
    """A running or ended trade that sells reserve rights by public bidding (R20); else 404."""
    query = select(ProcessInstance).where(ProcessInstance.id == instance_id,
                                          ProcessInstance.key == "trade")
    if lock:  # bids on one trade are placed one after the other (PostgreSQL row lock)
        query = query.with_for_update().execution_options(populate_existing=True)
    inst = db.session.scalar(query)
    if inst is None or not (inst.summary or {}).get("bidding"):
        raise NotFound("该交易不是公开竞价的储备出让")
    return inst


def place_bid(*, user: User, instance_id: int, price: Any, project_name: Any = None) -> BidView:
    """R20: a unit bids in a reserve sale's public bidding while it is open (409 after it
    closed); the bid must reach the reserve price and the highest bid so far (422). R27a: the
    bidder's deposit (ratio × listing price × quantity) is recorded with its first bid."""
    if not user.has_role("enterprise") or user.enterprise_id is None:
        raise Forbidden("仅排污单位可以参与竞价")
    inst = reserve_sale(instance_id, lock=True)
    summary = inst.summary or {}
    now = clock.now()
    if inst.status != "running" or not _bidding_open(summary, now):
        closes = summary.get("bidding_closes_at")
        when = ""
        if closes and now >= datetime.fromisoformat(closes):
            when = f"（竞价期已于 {clock.deadline_text(datetime.fromisoformat(closes))} 届满）"
        raise RuleViolation("R20", f"该储备出让当前不在竞价期内，不接受报价{when}", status=409)
    try:
        amount = to_yuan(price)
    except (TypeError, ValueError):
        raise ValidationFailed("报价有误", fields={
            "price_per_tonne": ["应为金额字符串，如 \"5000.00\""]}) from None
    if amount <= 0:
        raise ValidationFailed("报价有误", fields={"price_per_tonne": ["报价须大于 0"]})
    bidder = db.session.get(Enterprise, user.enterprise_id)
    if bidder is None:
        raise NotFound("排污单位不存在")
    eligibility.check_bidder(summary, bidder, amount)  # R16, R9, R23, R26–R28, R20/R21 floor
    ranked = _ranked(inst.id)
    if ranked and amount < ranked[0].price_per_tonne:
        raise RuleViolation(
            "R20", f"报价 {fmt_yuan(amount)} 元/吨低于当前最高报价 "
            f"{fmt_yuan(ranked[0].price_per_tonne)} 元/吨", status=422)
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
        raise Conflict("交易状态已变化，请重新提交报价", rule="R20") from exc
    return _view(bid, viewer_enterprise=bidder.id, bureau=False)


def list_bids(*, user: User, instance_id: int) -> list[BidView]:
    """R20: the bids, highest first. Bureau staff over the trade see every bidder; a bidder sees
    every price but only its own identity; anyone else gets 404."""
    from app.trading.services import party_of

    inst = reserve_sale(instance_id)
    bureau = party_of(user, inst) == "bureau"
    mine = user.enterprise_id if user.has_role("enterprise") else None
    bids = _ranked(inst.id)
    if not bureau and not any(b.enterprise_id == mine for b in bids if mine is not None):
        raise NotFound("交易不存在或您无权查看")
    return [_view(b, viewer_enterprise=mine, bureau=bureau) for b in bids]

