"""How an instance's business summary reads on a page: Chinese labels, units, local times.

Summaries are plain data (API.md business summaries); this turns them into labelled rows for people.
Unknown keys still show, under their own name, so nothing a process records is hidden.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import Enterprise
from app.common import clock
from app.engine.models import ProcessVersion
from app.extensions import db

LABELS = {
    "enterprise_id": _l("Emission unit"),
    "amounts": _l("Amounts (t/yr)"),
    "final_amounts": _l("Final amounts (t/yr)"),
    "allocating_level": _l("Allocating bureau level"),
    "published_at": _l("Published at"),
    "window_closes_at": _l("Objection window closes"),
    "objection": _l("Objection"),
    "fee_notice": _l("Payment notice"),
    "green_channel": _l("Green channel"),
    "cross_region": _l("Cross-region trade"),
    "approving_region": _l("Approving region"),
    "deposit": _l("Deposit (yuan)"),
    "price_per_tonne": _l("Price (yuan/t)"),
    "contract_signed_at": _l("Contract signed at"),
    "settle_due_at": _l("Settlement due"),
    "certificate": _l("Certificate"),
    "received_at": _l("Received at"),
    "due_at": _l("Due"),
    "decision": _l("Decision"),
    "number": _l("Document number"),
    "amount": _l("Amount (yuan)"),
    "status": _l("Status of the notice"),
    "issued_at": _l("Issued at"),
    "paid_at": _l("Paid at"),
    "reason": _l("Reason"),
    "opinion": _l("Opinion"),
    # trades (API.md "trade" summary)
    "buyer_id": _l("Buyer"),
    "seller": _l("Seller"),
    "method": _l("Trading method"),
    "total_price": _l("Total price (yuan)"),
    "settled_at": _l("Settled at"),
    "registration": _l("Registration type"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
    "project": _l("Project"),
    "name": _l("Project name"),
    "substitution": _l("Reduction substitution (t/yr)"),
    "water_system": _l("Water system"),
    "major": _l("Major project (R35)"),
    "buyback_offer": _l("Priority buyback offered (R21)"),
    "outcome": _l("Outcome"),
    "key_unit": _l("A-grade unit of a key industry (R30)"),
    "certify_due_at": _l("Certification due"),
    "bidding": _l("Public bidding (R20)"),
    "bidding_opened_at": _l("Bidding opened at"),
    "bidding_closes_at": _l("Bidding closes at"),
    "winning_price": _l("Winning price (yuan/t)"),
    "bidding_phase": _l("Bidding phase"),  # R20 by method
    "listed_price": _l("Listed or starting price (yuan/t)"),
    "reserve_price": _l("Reserve price (yuan/t)"),
    "bid_increment": _l("Minimum increment (yuan/t)"),
    "bid_up_closes_at": _l("Bid-up closes at"),
    "bidding_awarded_at": _l("Bidding result confirmed at"),
    "end_reason": _l("Why the trade ended"),  # R27a not paid, R37 rights sold meanwhile
    "rule": _l("Rule"),
    "message": _l("Explanation"),
    "ended_at": _l("Ended at"),
    "bids_count": _l("Number of bids"),
    "escalations": _l("Escalations"),
    "certification_escalated": _l("Certification overdue"),
    "settlement_escalated": _l("Settlement overdue"),
    # R25: a trade's mediation (the trade's summary and the mediation's own)
    "mediation": _l("Mediation (R25)"),
    "trade_id": _l("Trade"),
    "trade_business_key": _l("Trade number"),
    "mediation_due_at": _l("Mediation due"),
}

# R25: the fields of a mediation request inside a summary, and their values
MEDIATION_LABELS = {
    "party": _l("Filed by"),
    "reason": _l("Grounds for mediation"),
    "status": _l("Mediation status"),
    "outcome": _l("Outcome of the mediation"),
    "opinion": _l("Mediation opinion"),
    "filed_at": _l("Filed at"),
    "resolved_at": _l("Concluded at"),
}
MEDIATION_VALUES = {
    "buyer": _l("Buyer"),
    "seller": _l("Seller"),
    "bureau": _l("Bureau holding the reserve"),
    "open": _l("Being mediated"),
    "resolved": _l("Concluded"),
    "agreed": _l("Agreement reached"),
    "failed": _l("No agreement"),
    "withdrawn": _l("Withdrawn by the applicant"),
}

VALUES = {
    "county": _l("County bureau"),
    "city": _l("City bureau"),
    "province": _l("Province bureau"),
    "uphold": _l("Upheld"),
    "revise": _l("Revised"),
    "approve": _l("Approved"),
    "return": _l("Returned"),
    "unpaid": _l("Unpaid"),
    "paid": _l("Paid"),
    "standard": _l("Standard"),
    "simplified": _l("Simplified registration"),
    "completed": _l("Completed"),
    "not_paid": _l("Buyer did not pay"),  # trade outcomes at the settlement (R27a, R37)
    "rights_unavailable": _l("Rights no longer available"),
    True: _l("Yes"),
    False: _l("No"),
}

# R20: the phases of a trade's public bidding
BIDDING_PHASES = {
    "open": _l("Open for bids"),
    "bid_up": _l("Intended buyers bidding up"),
    "closed": _l("Bidding closed"),
    "awarded": _l("Bidding result confirmed"),
}

POLLUTANTS = {
    "COD": _l("COD"),
    "NH3-N": _l("Ammonia nitrogen (NH3-N)"),
    "SO2": _l("Sulphur dioxide (SO2)"),
    "NOx": _l("Nitrogen oxides (NOx)"),
    "VOCs": _l("Volatile organic compounds (VOCs)"),
    "TP": _l("Total phosphorus (TP)"),
}


@dataclass(frozen=True)
class Row:
    label: Any
    value: Any  # a string, or a list of (label, value) pairs for nested data


def when(value: str | datetime) -> str:
    """A moment as people read it in Asia/Shanghai (R3). A deadline at local midnight reads as
    24:00 of the day before, the way R5/R6 periods end."""
    return clock.deadline_text(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _is_moment(key: str, value: Any) -> bool:
    return isinstance(value, str) and (key.endswith("_at") or key.endswith("closes_at")) and (
        "T" in value
    )


def _value(key: str, value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if key in ("enterprise_id", "buyer_id"):
        unit = db.session.get(Enterprise, value) if str(value).isdigit() else None
        return unit.name if unit else str(value)
    if key == "seller":  # a ledger account: an enterprise id or reserve:<region code>
        return _account(str(value))
    if key == "bidding_phase":
        return BIDDING_PHASES.get(value, value)
    if key == "method":
        from app.public.printing import METHOD_LABELS

        return METHOD_LABELS.get(value, value)
    if key == "mediation" and isinstance(value, dict):  # R25
        return [(MEDIATION_LABELS[k], MEDIATION_VALUES[v] if k in ("party", "status", "outcome")
                 and v in MEDIATION_VALUES else _scalar(k, v))
                for k, v in value.items() if k in MEDIATION_LABELS]
    if key in ("amounts", "final_amounts") and isinstance(value, dict):
        return [(POLLUTANTS.get(p, p), t) for p, t in value.items()]
    if isinstance(value, dict):
        return [(LABELS.get(k, k), _scalar(k, v)) for k, v in value.items() if k != "id"]
    return _scalar(key, value)


def _scalar(key: str, value: Any) -> Any:
    if value is None or value == "":
        return "—"
    if _is_moment(key, value):
        return when(value)
    if isinstance(value, dict):  # e.g. a certificate's amounts inside the trade summary
        return ", ".join(f"{POLLUTANTS.get(k, k)} {_scalar(k, v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(str(_scalar(key, v)) for v in value)
    if isinstance(value, bool) or (isinstance(value, str) and value in VALUES):
        return VALUES[value]  # (0 is a count, not "No")
    return value


def _account(account: str) -> str:
    if account.startswith("reserve:"):
        from app.auth.models import Region

        region = db.session.get(Region, account.removeprefix("reserve:"))
        return str(_l("%(region)s reserve", region=region.name if region else account))
    number = account.removeprefix("enterprise:")  # a summary names a unit's account so
    unit = db.session.get(Enterprise, int(number)) if number.isdigit() else None
    return unit.name if unit else account


def summary_rows(summary: dict) -> list[Row]:
    rows = []
    trade = "seller" in (summary or {})  # a trade's amounts are traded, not allocated
    for key, raw in (summary or {}).items():
        value = _value(key, raw)
        if isinstance(value, list):
            value = [(str(label), str(v)) for label, v in value]
        label = str(_l("Traded rights (t/a)") if trade and key == "amounts" else
                    LABELS.get(key, key))
        rows.append(Row(label, value if isinstance(value, list) else str(value)))
    return rows


def process_name(key: str, version: int) -> str:
    name = db.session.scalar(
        select(ProcessVersion.name).where(
            ProcessVersion.key == key, ProcessVersion.version == version
        )
    )
    return name or key
