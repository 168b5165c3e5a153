"""A unit's part in trades that are not its own applications: the public sales it bid in (R20),
with the outcome and its deposit (R27a), and the trades selling its surplus (R19) with the step
each stands at (read from trade_bid, trade_deposit, process_instance and human_task)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.auth.models import User
from app.common import clock
from app.common.money import fmt_yuan
from app.engine.models import HumanTask, ProcessInstance
from app.extensions import db
from app.public.services import _seller_names
from app.trading import bidding
from app.trading.models import Bid, Deposit


@dataclass
class SaleBidIn:
    """A public sale the unit bid in: its best own price and where the sale stands for it."""

    instance: ProcessInstance
    method: str | None
    seller: str  # a unit's name or "<region>储备" (as the announcement shows it, R38)
    seller_kind: str  # enterprise | reserve
    amounts: dict
    best_price: str
    bids: int
    outcome: str  # open (taking bids) | deciding (closed, not yet decided) | won | lost | ended
    deposit: Deposit | None


@dataclass
class SaleOfMine:
    """A trade selling the unit's surplus (the unit is its seller)."""

    instance: ProcessInstance
    steps: list[HumanTask] = field(default_factory=list)  # open steps: the bureau is acting

    @property
    def summary(self) -> dict:
        return self.instance.summary if isinstance(self.instance.summary, dict) else {}


def _outcome(inst: ProcessInstance, statuses: set[str], now: datetime) -> str:
    if "won" in statuses:
        return "won"
    if "lost" in statuses:
        return "lost"
    if inst.status != "running":
        return "ended"
    taking = bidding.phase(inst.summary or {}, now) is not None
    return "open" if taking else "deciding"


def bids_of(user: User, limit: int = 200) -> list[SaleBidIn]:
    """R20, R27a: the sales the user's unit bid in, latest bid first, each with the unit's best
    price, the outcome for the unit and its deposit (held, applied, refunded or forfeited)."""
    if not user.enterprise_id:
        return []
    bids = db.session.scalars(select(Bid).where(Bid.enterprise_id == user.enterprise_id)
                              .order_by(Bid.placed_at.desc(), Bid.id.desc())).all()
    by_sale: dict[int, list[Bid]] = {}
    for bid in bids:
        by_sale.setdefault(bid.instance_id, []).append(bid)
    ids = list(by_sale)[:limit]
    if not ids:
        return []
    insts = {i.id: i for i in db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.id.in_(ids)))}
    deposits = {d.instance_id: d for d in db.session.scalars(select(Deposit).where(
        Deposit.instance_id.in_(ids), Deposit.enterprise_id == user.enterprise_id))}
    sellers = _seller_names([(i.summary or {}).get("seller") for i in insts.values()])
    now = clock.now()
    out = []
    for instance_id in ids:
        inst, mine = insts.get(instance_id), by_sale[instance_id]
        if inst is None:
            continue
        summary = inst.summary or {}
        kind, seller = sellers[summary.get("seller")][:2]
        out.append(SaleBidIn(
            instance=inst, method=summary.get("method"), seller=seller, seller_kind=kind,
            amounts=summary.get("amounts") or {},
            best_price=fmt_yuan(max(b.price_per_tonne for b in mine)), bids=len(mine),
            outcome=_outcome(inst, {b.status for b in mine}, now),
            deposit=deposits.get(instance_id)))
    return out


def sales_of(user: User, limit: int = 200) -> list[SaleOfMine]:
    """R19: the trades selling the user's unit's surplus, newest first, with their open steps."""
    if not user.enterprise_id:
        return []
    account = f"enterprise:{user.enterprise_id}"
    insts = db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.key == "trade",
        ProcessInstance.summary["seller"].as_string() == account)
        .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
        .limit(limit)).all()
    sales = {i.id: SaleOfMine(i) for i in insts}
    if sales:
        for task in db.session.scalars(select(HumanTask).where(
                HumanTask.instance_id.in_(list(sales)), HumanTask.state == "open")
                .order_by(HumanTask.created_at)):
            sales[task.instance_id].steps.append(task)
    return list(sales.values())
