"""How a trade ends at its settlement without a deal (R24, R27a, R37): the buyer did not pay (its
deposit is forfeited), or the seller's rights were sold meanwhile by a trade that settled first
(the deposit is refunded). No rights move; the summary's `end_reason` says why, and the buyer's
users (and a selling unit's) are notified."""
from __future__ import annotations

from typing import Any

from app import engine
from app.common import clock
from app.engine.hooks import register_refusal_outcome, register_script_function
from app.engine.models import ProcessInstance
from app.errors import RuleViolation
from app.extensions import db
from app.ledger.services import Owner
from app.notifications.services import notify_users, unit_users
from app.trading import settlement

UNAVAILABLE_END = "end_rights_unavailable"  # the diagram versions that model the R37 outcome


def _notify_parties(instance_id: int, buyer_id: int, title: str) -> None:
    """The buyer's users, and for a surplus transfer the seller's, hear that the trade ended
    (one notification each)."""
    ref = f"trade:{instance_id}:ended"
    inst = db.session.get(ProcessInstance, instance_id)
    seller = str((inst.summary or {}).get("seller") or "") if inst is not None else ""
    links = {buyer_id: f"/my/applications#app-{instance_id}"}
    if seller.startswith("enterprise:"):  # a unit's surplus (a reserve sale's bureau is no unit)
        links[Owner.parse(seller).enterprise_id] = f"/my/trades#sale-{instance_id}"
    for unit, link in links.items():
        notify_users(user_ids=unit_users([unit]), kind="decision", ref=ref, title=title,
                     link=link)


def _end(buyer_id: Any, *, outcome: str, deposit: str, rule: str, message: str) -> dict:
    instance_id = engine.current_instance_id()
    row = settlement.close_deposit(instance_id=instance_id, enterprise_id=int(buyer_id),
                                   status=deposit)
    reason = {"rule": rule, "message": message,
              "ended_at": clock.local(clock.now()).isoformat()}
    _notify_parties(instance_id, int(buyer_id), f"排污权交易已终止：{message}")
    return {"outcome": outcome, "deposit": settlement.deposit_summary(row), "end_reason": reason}


def end_unpaid(buyer_id: Any) -> dict:
    """Script function (R27a): the buyer did not pay the price; its deposit is forfeited and the
    trade ends without moving any rights."""
    held = settlement.deposit_of(engine.current_instance_id(), int(buyer_id))
    message = "买方未在结算期限内支付交易价款，交易终止，排污权不予划转"
    if held is not None and held.status == "held":
        message += "，已缴保证金不予退还"
    return _end(buyer_id, outcome="not_paid", deposit="forfeited", rule="R27a", message=message)


def end_rights_unavailable(buyer_id: Any, refusal: dict | None) -> dict:
    """Script function (R37): the seller's rights were sold to a trade that settled first; the
    trade ends, the buyer's deposit is refunded (not its fault, R27a)."""
    text = (refusal or {}).get("message") or "卖方可交易排污权已不足"
    message = (f"卖方排污权已不可交易（{text}），交易终止，已缴保证金予以退还")
    return _end(buyer_id, outcome="rights_unavailable", deposit="refunded", rule="R37",
                message=message)


def settlement_refused(task_name: str, error: Any, elements: frozenset[str]) -> dict | None:
    """Engine hook (R37): a settlement refused because the rights are gone ends the trade (in the
    diagram versions that model it) instead of leaving it waiting for rights that will not come."""
    if task_name != "confirm_settlement" or UNAVAILABLE_END not in elements:
        return None
    if not isinstance(error, RuleViolation) or error.rule != "R37":
        return None
    return {"settlement_outcome": "rights_unavailable",
            "settlement_refusal": {"rule": "R37", "message": error.message,
                                   "at": clock.local(clock.now()).isoformat()}}


register_script_function("end_unpaid", end_unpaid)
register_script_function("end_rights_unavailable", end_rights_unavailable)
register_refusal_outcome("trade", settlement_refused)
