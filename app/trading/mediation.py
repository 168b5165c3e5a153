"""Trade dispute mediation (调解, R25 — ZJ §4(6)): a party of an open trade files a request, which
starts the `mediation` process (bpmn/mediation.bpmn) for the handlers of the trade's handling
bureau, with a working-day deadline from mediation_policy.dmn; the outcome they record closes the
request, shows in the trade's summary and is sent to both parties. The process is started only
from here (app.inbox.services.START_ROLES offers it to nobody)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import engine
from app.auth.models import BUREAU_ROLES, Region, User
from app.common import clock
from app.engine.hooks import register_process, register_script_function
from app.engine.models import ProcessInstance
from app.errors import Conflict, RuleViolation, ValidationFailed
from app.extensions import db
from app.notifications.services import notify_users, unit_users
from app.trading import policy
from app.trading.models import MediationRequest
from app.trading.services import get_trade, unit_side

PROCESS_KEY = "mediation"
TASK = "mediate"
OUTCOMES = ("agreed", "failed", "withdrawn")
OUTCOME_NAMES = {"agreed": "达成调解协议", "failed": "调解不成", "withdrawn": "申请人撤回"}
REASON_MAX = 2000


# -- who may file --------------------------------------------------------------------------------

def filing_party(user: User, trade: ProcessInstance) -> str | None:
    """R25: `buyer` or `seller` for the users of the trading units; `bureau` for the users of the
    bureau whose reserve is sold (a reserve sale's seller). Nobody else is a party: a bureau
    overseeing a transfer between units mediates, it does not file."""
    summary = trade.summary or {}
    if user.has_role("enterprise") and user.enterprise_id is not None:
        return unit_side(user, summary)
    seller = str(summary.get("seller") or "")
    if (seller.startswith("reserve:") and user.has_role(*BUREAU_ROLES)
            and user.region_code == seller.removeprefix("reserve:")):
        return "bureau"
    return None


# -- filing --------------------------------------------------------------------------------------

def request_mediation(*, user: User, instance_id: int, reason: Any) -> MediationRequest:
    """R25: a party of an open trade takes a dispute to mediation by the trading administration.
    One request is handled at a time per trade; the request starts the `mediation` process for
    the handlers of the trade's handling region and shows in the trade's summary and history."""
    trade = get_trade(user=user, instance_id=instance_id)  # R7: 404 for everyone else
    party = filing_party(user, trade)
    if party is None:
        raise RuleViolation(
            "R25", _l("只有交易双方（买方、卖方；政府储备出让时为储备所属生态环境部门）"
                      "可以申请调解"),
            status=403)
    text = str(reason or "").strip()
    if not text:
        raise ValidationFailed(_l("请写明申请调解的事由"),
                               fields={"reason": [_l("请写明申请调解的事由")]})
    if len(text) > REASON_MAX:
        raise ValidationFailed(_l("调解事由过长"),
                               fields={"reason": [_l("不得超过 %(n)s 字", n=REASON_MAX)]})
    if trade.status != "running":
        raise Conflict(_l("交易已结束，不再受理调解申请"), rule="R25")
    # two parties filing at once: the trade's row is locked until the request commits
    db.session.execute(select(ProcessInstance.id).where(ProcessInstance.id == trade.id)
                       .with_for_update())
    pending = open_request(trade.id)
    if pending is not None:
        raise Conflict(_l("该交易已有调解申请正在办理（%(filed)s提出），请待其办结后再申请",
                          filed=f"{clock.local(pending.filed_at):%Y-%m-%d %H:%M}"), rule="R25")
    now = clock.now()
    row = MediationRequest(instance_id=trade.id, filed_by=user.id, party=party, reason=text,
                           status="open", filed_at=now)
    db.session.add(row)
    db.session.flush()
    summary = trade.summary or {}
    info = engine.start(PROCESS_KEY, {
        "mediation_id": row.id,
        "trade_id": trade.id,
        "trade_business_key": trade.business_key,
        "buyer_id": summary.get("buyer_id"),
        "seller": summary.get("seller"),
        "amounts": summary.get("amounts") or {},
        "filed_at": clock.local(now).isoformat(),
        "mediation_days": policy.mediation_days(province_code=_province(trade)),
        "mediation": view(row),
    }, actor_id=user.id, handling_region=trade.handling_region,
        enterprise_id=user.enterprise_id if party != "bureau" else None,
        business_key=f"TJ-{clock.local(now):%Y}-{row.id:06d}")
    row.mediation_instance_id = info.id
    db.session.flush()
    engine.annotate_summary(trade.id, {"mediation": view(row)}, actor_id=user.id,
                            action="mediation_requested")
    return row


def _province(trade: ProcessInstance) -> str:
    region = db.session.get(Region, trade.handling_region) if trade.handling_region else None
    return region.province_code if region is not None else ""


def open_request(trade_id: int) -> MediationRequest | None:
    return db.session.scalar(select(MediationRequest).where(
        MediationRequest.instance_id == trade_id, MediationRequest.status == "open"))


def requests_of(*, user: User, instance_id: int) -> list[MediationRequest]:
    """The trade's mediation requests, oldest first (its parties and bureaus only)."""
    trade = get_trade(user=user, instance_id=instance_id)
    return list(db.session.scalars(
        select(MediationRequest).where(MediationRequest.instance_id == trade.id)
        .order_by(MediationRequest.id)))


# -- what a request looks like -------------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return clock.local(moment).isoformat() if moment is not None else None


def view(row: MediationRequest) -> dict:
    """The request as the trade's summary (`mediation`) and the mediation's summary show it."""
    return {"id": row.id, "instance_id": row.mediation_instance_id, "party": row.party,
            "reason": row.reason, "status": row.status, "outcome": row.outcome,
            "opinion": row.opinion, "filed_at": _iso(row.filed_at),
            "resolved_at": _iso(row.resolved_at)}


def answer(row: MediationRequest) -> dict:
    """The request for the API: its fields, the mediation process and its R25 deadline (read
    live, so a recounted provisional deadline (R4) shows as it is now)."""
    due_at, provisional = None, False
    if row.mediation_instance_id is not None:
        for dl in engine.get_instance(row.mediation_instance_id).deadlines:
            if dl.task == TASK:
                due_at, provisional = dl.due_at, dl.provisional
    return {"id": row.id, "instance_id": row.instance_id, "party": row.party,
            "reason": row.reason, "status": row.status, "filed_at": row.filed_at,
            "mediation_instance_id": row.mediation_instance_id, "due_at": due_at,
            "provisional": provisional, "outcome": row.outcome, "opinion": row.opinion,
            "resolved_at": row.resolved_at}


# -- the diagram's script function and summary ---------------------------------------------------

def resolve_mediation(mediation_id: Any, outcome: str, opinion: Any) -> dict:
    """Script function (R25): the bureau's outcome closes the request, goes into the trade's
    summary and history, and both parties are told."""
    if outcome not in OUTCOMES:
        raise ValueError(f"调解结果应为 {' | '.join(OUTCOMES)} 之一，而非 {outcome!r}")
    row = db.session.get(MediationRequest, int(mediation_id))
    row.status, row.outcome = "resolved", outcome
    row.opinion, row.resolved_at = str(opinion or "").strip() or None, clock.now()
    db.session.flush()
    shown = view(row)
    engine.annotate_summary(row.instance_id, {"mediation": shown}, actor_id=None,
                            action="mediation_resolved")
    trade = db.session.get(ProcessInstance, row.instance_id)
    title = f"交易纠纷调解结果：{OUTCOME_NAMES[outcome]}（{trade.business_key or trade.id}）"
    notify_users(user_ids=party_users(trade), kind="decision", ref=f"mediation:{row.id}",
                 title=title, link=f"/trading/trades/{trade.id}/mediation")
    return shown


def party_users(trade: ProcessInstance) -> list[int]:
    """R25: the users of both parties — the buying and selling units, or for a reserve sale the
    handlers of the bureau holding the reserve."""
    summary = trade.summary or {}
    units = [summary.get("buyer_id")]
    seller = str(summary.get("seller") or "")
    reserve = seller.removeprefix("reserve:") if seller.startswith("reserve:") else None
    if seller.startswith("enterprise:"):
        units.append(int(seller.removeprefix("enterprise:")))
    found = unit_users(units)
    if reserve is not None:
        found += [uid for uid, roles in db.session.execute(
            select(User.id, User.roles_csv).where(User.region_code == reserve,
                                                  User.active.is_(True)))
                  if "handler" in (roles or "").split(",")]
    return found


def summarize(data: dict) -> dict:
    """The mediation's business summary: the trade it concerns, the request (`mediation`) and
    its R25 deadline."""
    return {"trade_id": data.get("trade_id"), "trade_business_key": data.get("trade_business_key"),
            "buyer_id": data.get("buyer_id"), "seller": data.get("seller"),
            "amounts": data.get("amounts") or {}, "mediation": data.get("mediation"),
            "mediation_due_at": data.get("mediation_due_at")}


register_script_function("resolve_mediation", resolve_mediation)
register_process(PROCESS_KEY, summarize=summarize)
