"""Trading around the `trade` and `cross_region_approval` diagrams (R17–R30, R37, R39): the start
hook, the functions the diagrams' scripts call, the business summary and what a party may see.
Mediation (R25) lives in app/trading/mediation.py."""
from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import engine
from app.auth.access import in_jurisdiction
from app.auth.models import Enterprise, User
from app.common import clock
from app.common.money import to_yuan
from app.common.regions import common_superior
from app.engine.hooks import register_process, register_script_function
from app.engine.models import AuditEvent, ProcessInstance
from app.engine.types import StartSpec
from app.errors import Forbidden, NotFound, source_text
from app.extensions import db
from app.ledger import services as ledger
from app.trading import (
    bidding,
    certificates,
    eligibility,
    outcomes,  # noqa: F401  (registers the settlement outcomes, R27a, R37)
    settlement,
)
from app.trading.models import Certificate

PROCESS_KEY = "trade"
SUMMARY_FIELDS = (
    "buyer_id", "seller", "amounts", "method", "price_per_tonne", "total_price", "project",
    "green_channel", "cross_region", "approving_region", "deposit", "contract_signed_at",
    "settle_due_at", "settled_at", "certificate", "registration", "valid_from", "valid_to",
    "buyback_offer", "outcome", "key_unit", "certify_due_at", "bidding", "bidding_opened_at",
    "bidding_closes_at",
    "winning_price",
    # R20 public bidding by method, R38 announcement; R27a/R37 settlement outcomes
    "bidding_phase", "listed_price", "reserve_price", "bid_increment", "bid_up_closes_at",
    "bidding_awarded_at", "end_reason",
)


# -- start (R16, R18–R23, R26–R30) ---------------------------------------------------------------

def prepare_start(data: dict, actor) -> StartSpec:
    """A buying unit's trade application, checked and routed to the seller's bureau. R16 (an
    unpaid notice blocks) is checked on the generic start path before this hook runs."""
    if actor is None or not actor.has_role("enterprise") or actor.enterprise_id is None:
        raise Forbidden(_l("排污权交易由购买方排污单位发起"))
    buyer = db.session.get(Enterprise, actor.enterprise_id)
    if buyer is None:
        raise NotFound(_l("购买方排污单位不存在"))
    checked = eligibility.check_trade(data, buyer)
    return StartSpec(
        data=checked.data,
        handling_region=checked.handling_region,
        enterprise_id=buyer.id,
        business_key=f"JY-{clock.today():%Y}-{buyer.id:06d}",
        priority=checked.priority,
    )


# -- script functions ----------------------------------------------------------------------------

def cross_region_check(buyer_id: int, seller: str, amounts: dict, project: dict) -> dict:
    """Script function (R27, R28) in the cross-region call activity: the checks again at the
    time of approval (attainment data may have changed since the application)."""
    problem = eligibility.cross_region_problem(buyer_id=buyer_id, seller=seller,
                                               amounts=amounts, project=project)
    if problem is None:
        return {"ok": True, "rule": None, "reason": None}
    return {"ok": False, "rule": problem[0], "reason": source_text(problem[1])}


def _unit_of_instance(buyer_id: Any = None) -> int | None:
    if buyer_id is not None:
        return int(buyer_id)
    inst = db.session.get(ProcessInstance, engine.current_instance_id())
    return inst.enterprise_id if inst is not None else None


def hold_deposit(buyer_id: int, deposit: dict, reference: Any) -> dict:
    """Script function (R27a): the buyer's deposit is received and held."""
    row = settlement.hold_deposit(
        instance_id=engine.current_instance_id(), enterprise_id=int(buyer_id),
        ratio=deposit["ratio"], amount=deposit["amount"],
        reference=str(reference or "")[:100] or None)
    return settlement.deposit_summary(row)


def close_deposit(status: str, buyer_id: Any = None) -> dict | None:
    """Script function (R27a): the buyer's deposit applied, refunded or forfeited."""
    return settlement.deposit_summary(settlement.close_deposit(
        instance_id=engine.current_instance_id(), enterprise_id=_unit_of_instance(buyer_id),
        status=status))


def buy_back(seller: str, amounts: dict, region: str) -> dict:
    """Script function (R21, ZJ §4(4)): the bureau takes the offered surplus into its reserve
    (paid buyback, R33) instead of the under-priced transfer."""
    instance_id = engine.current_instance_id()
    terms = settlement.move_rights(
        seller=seller, to=f"reserve:{region}", amounts=amounts, cause="buyback",
        deal_day=clock.today(), reserve_sale=False, certificate_no=None,
        instance_id=instance_id)
    return {"reserve": region, **terms, "at": clock.local(clock.now()).isoformat()}


def complete_trade(buyer_id: int, seller: str, amounts: dict, price_per_tonne: str,
                   total_price: str, method: str, green_channel: bool) -> dict:
    """Script function (R22, R24, R37, R39): after settlement the certificate is issued and the
    rights move to the buyer; a green-channel trade is registered the simplified way (R29)."""
    instance_id = engine.current_instance_id()
    buyer = db.session.get(Enterprise, int(buyer_id))
    source = ledger.Owner.parse(seller)
    region = ledger.owner_region(source) or buyer.region_code
    number = certificates.next_number(region_code=region, day=clock.today())
    terms = settlement.move_rights(
        seller=seller, to=f"enterprise:{buyer.id}", amounts=amounts, cause="trade",
        deal_day=clock.today(), reserve_sale=source.kind == "reserve", certificate_no=number,
        instance_id=instance_id)
    registration = "simplified" if green_channel else "standard"
    certificates.issue(
        number=number, instance_id=instance_id, buyer_id=buyer.id, seller=seller,
        region_code=region, amounts=dict(amounts), price_per_tonne=to_yuan(price_per_tonne),
        total_price=to_yuan(total_price), method=method, registration=registration,
        valid_from=date.fromisoformat(terms["valid_from"]),
        valid_to=date.fromisoformat(terms["valid_to"]))
    settlement.close_deposit(instance_id=instance_id, enterprise_id=buyer.id, status="applied")
    return {"certificate": number, "registration": registration, **terms,
            "settled_at": clock.local(clock.now()).isoformat()}


def deposit_now(buyer_id: Any = None) -> dict | None:
    """Script function: the buyer's deposit's current state for the summary."""
    return settlement.deposit_summary(settlement.deposit_of(
        engine.current_instance_id(), _unit_of_instance(buyer_id)))


def month_days(start: Any, months: int) -> int:
    """Script function (R30, 《民法典》第201、202条): the natural days of a period of `months`
    calendar months counted from the day after `start`: it ends on the corresponding day of the
    last month, or that month's last day when it has none (01-31 + 1 month → 02-28). Counted as
    natural days, so R6's holiday extension and the R4 recount apply as for any deadline."""
    day = start if isinstance(start, date) and not isinstance(start, datetime) else (
        clock.local(datetime.fromisoformat(str(start))).date())
    index = day.month - 1 + int(months)
    year, month = day.year + index // 12, index % 12 + 1
    end = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return (end - day).days


ESCALATED_TASKS = {"certify": ("R30", "certify_due_at", "certify_decision"),
                   "confirm_settlement": ("R24", "settle_due_at", "settled_at")}


def _escalations(instance_id: int, data: dict) -> list[dict]:
    """R24, R30: the deadlines missed so far. The engine marks the task escalated (and records
    it in the history) when its non-interrupting timer fires; a deadline passed with the task
    still undone counts too (the step the timer fires in)."""
    out = {}
    for row in db.session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                 AuditEvent.action == "escalated",
                                 AuditEvent.task_name.in_(ESCALATED_TASKS))
        .order_by(AuditEvent.id)):
        rule, due_key, _ = ESCALATED_TASKS[row.task_name]
        out.setdefault(row.task_name, {"rule": rule, "task": row.task_name,
                                       "due_at": data.get(due_key),
                                       "at": clock.local(row.at).isoformat()})
    now = clock.now()
    for task, (rule, due_key, done_key) in ESCALATED_TASKS.items():
        due = data.get(due_key)
        if task not in out and due and not data.get(done_key) and not data.get("outcome") and (
                now >= datetime.fromisoformat(due)):
            out[task] = {"rule": rule, "task": task, "due_at": due,
                         "at": clock.local(now).isoformat()}
    return list(out.values())


for _name, _fn in (("common_superior", common_superior),
                   ("cross_region_check", cross_region_check),
                   ("hold_deposit", hold_deposit),
                   ("close_deposit", close_deposit),
                   ("buy_back", buy_back),
                   ("complete_trade", complete_trade),
                   ("deposit_now", deposit_now),
                   ("month_days", month_days),
                   ("open_bidding", bidding.open_bidding),
                   ("close_bidding", bidding.close_bidding),
                   ("award_bids", bidding.award_bids)):
    register_script_function(_name, _fn)


# -- summary -------------------------------------------------------------------------------------

def summarize(data: dict) -> dict:
    """API.md "trade" summary (plus the parties, amounts and outcome)."""
    out = {k: data.get(k) for k in SUMMARY_FIELDS}
    out["green_channel"] = bool(data.get("green_channel"))
    out["cross_region"] = bool(data.get("cross_region"))
    out["amounts"] = data.get("amounts") or {}
    if data.get("superior_region"):
        out["approving_region"] = data["superior_region"]
    if data.get("cross_refusal"):
        out["refusal"] = data["cross_refusal"]
    # R20 public bidding of a reserve sale: how many bids, until when, the winning price
    instance_id = engine.current_instance_id()
    out["bids_count"] = data.get("bids_count") or 0
    if data.get("bidding") and instance_id is not None:
        out["bids_count"] = bidding.bids_count(instance_id)
    # R24, R30: deadlines missed (the task stays open, escalated)
    out["escalations"] = []
    if instance_id is not None and (data.get("certify_due_at") or data.get("settle_due_at")):
        out["escalations"] = _escalations(instance_id, data)
    out["certification_escalated"] = any(e["rule"] == "R30" for e in out["escalations"])
    out["settlement_escalated"] = any(e["rule"] == "R24" for e in out["escalations"])
    # R25: the trade's latest mediation request, kept current by app.trading.mediation through
    # annotate_summary; carried over from the summary being replaced (no query: the instance
    # is the one this step runs)
    current = db.session.get(ProcessInstance, instance_id) if instance_id is not None else None
    if current is not None and (current.summary or {}).get("mediation"):
        out["mediation"] = current.summary["mediation"]
    if out["outcome"] is None and (  # ended at a refusing step (R19 certification, review, R26)
            data.get("certify_decision") == "refused"
            or data.get("review_decision") == "rejected"
            or data.get("approval_decision") == "rejected"):
        out["outcome"] = "refused"
    return out


register_process(PROCESS_KEY, prepare_start=prepare_start, summarize=summarize)


# -- parties (mediation, R25, is app/trading/mediation.py), certificates (R39) --------------------

def trade_instance(instance_id: int) -> ProcessInstance:
    inst = db.session.get(ProcessInstance, instance_id)
    if inst is None or inst.key != PROCESS_KEY:
        raise NotFound(_l("交易不存在"))
    return inst


def unit_side(user: User, summary: dict) -> str | None:
    """`buyer` or `seller` when the user belongs to a trading unit of the trade (else None)."""
    if user.has_role("enterprise") and user.enterprise_id is not None:
        if user.enterprise_id == summary.get("buyer_id"):
            return "buyer"
        if summary.get("seller") == f"enterprise:{user.enterprise_id}":
            return "seller"
    return None


def party_of(user: User, inst: ProcessInstance) -> str | None:
    """`buyer`, `seller` or `bureau` when the user takes part in the trade (else None)."""
    summary = inst.summary or {}
    if side := unit_side(user, summary):
        return side
    if user.has_role("admin") and user.region_code is None:
        return "bureau"
    if user.has_role("handler", "reviewer", "approver", "admin"):
        regions = [inst.handling_region, summary.get("approving_region")]
        if any(r and in_jurisdiction(user, r) for r in regions):
            return "bureau"
    return None


def get_trade(*, user: User, instance_id: int) -> ProcessInstance:
    """A trade its parties and the bureaus over it may see (404 for everyone else)."""
    inst = trade_instance(instance_id)
    if party_of(user, inst) is None:
        raise NotFound(_l("交易不存在或您无权查看"))
    return inst


def public_certificate(*, number: str) -> dict:
    """R38, R39: what anyone may see of a genuine certificate (no personal data)."""
    cert = certificates.verify(number=number)
    if cert is None:
        raise NotFound(_l("编号为 %(number)s 的排污权电子凭证不存在或已被篡改", number=number))
    buyer = db.session.get(Enterprise, cert.buyer_id)
    seller = ledger.Owner.parse(cert.seller)
    if seller.kind == "enterprise":
        unit = db.session.get(Enterprise, seller.enterprise_id)
        seller_name = unit.name if unit else cert.seller
    else:
        from app.common.regions import bureau_of

        seller_name = f"{bureau_of(seller.region_code).name}（政府储备）"
    return {
        "valid": True, "number": cert.number, "issued_at": cert.issued_at,
        "buyer": buyer.name if buyer else None, "seller": seller_name,
        "region_code": cert.region_code, "amounts": cert.amounts, "method": cert.method,
        "price_per_tonne": str(cert.price_per_tonne), "registration": cert.registration,
        "valid_from": cert.valid_from, "valid_to": cert.valid_to,
    }


def certificate_of(instance_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.instance_id == instance_id))


def _party_name(account: str) -> str:
    owner = ledger.Owner.parse(account)
    if owner.kind == "enterprise":
        unit = db.session.get(Enterprise, owner.enterprise_id)
        return unit.name if unit else account
    from app.common.regions import bureau_of

    return f"{bureau_of(owner.region_code).name}（政府储备）"


def contract_terms(inst: ProcessInstance) -> dict:
    """R24: the contract's terms, from the template's fields and the trade's summary."""
    summary = inst.summary or {}
    return {
        "instance_id": inst.id, "business_key": inst.business_key,
        "buyer": _party_name(f"enterprise:{summary.get('buyer_id')}"),
        "seller": _party_name(summary.get("seller") or ""),
        "amounts": summary.get("amounts") or {}, "method": summary.get("method"),
        "price_per_tonne": summary.get("price_per_tonne"),
        "total_price": summary.get("total_price"),
        "signed_at": summary.get("contract_signed_at"),
        "settle_due_at": summary.get("settle_due_at"),
        "project": summary.get("project") or {},
        "certificate": summary.get("certificate"),
    }
