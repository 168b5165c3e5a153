"""After the deal (R22, R24, R27a, R37): deposits held, applied or forfeited; the rights moved
lot by lot (splitting lots, never below zero); the bureau's priority buyback (R21)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.common import clock
from app.common.money import fmt_tonnes, fmt_yuan, to_tonnes, to_yuan
from app.errors import RuleViolation
from app.extensions import db
from app.ledger import services as ledger
from app.reserve.services import available_with_cover, cover, reserve_sale_valid_to
from app.trading.models import Deposit


def deposit_summary(row: Deposit | None) -> dict | None:
    if row is None:
        return None
    return {"ratio": fmt_yuan(row.ratio), "amount": fmt_yuan(row.amount), "status": row.status,
            "paid_at": clock.local(row.paid_at).isoformat(), "reference": row.reference}


def deposit_of(instance_id: int, enterprise_id: int) -> Deposit | None:
    """R27a: one unit's deposit in a trade (a reserve sale's bidders each hold one, R20)."""
    return db.session.scalar(select(Deposit).where(Deposit.instance_id == instance_id,
                                                   Deposit.enterprise_id == enterprise_id))


def deposits_of(instance_id: int) -> list[Deposit]:
    return list(db.session.scalars(
        select(Deposit).where(Deposit.instance_id == instance_id).order_by(Deposit.id)))


def hold_deposit(*, instance_id: int, enterprise_id: int, ratio: str, amount: str,
                 reference: str | None) -> Deposit:
    """R27a: a unit's deposit is received and held (once per unit and trade)."""
    row = deposit_of(instance_id, enterprise_id)
    if row is None:
        row = Deposit(instance_id=instance_id, enterprise_id=enterprise_id,
                      ratio=Decimal(ratio), amount=to_yuan(amount), status="held",
                      reference=reference, paid_at=clock.now())
        db.session.add(row)
        db.session.flush()
    return row


def close_deposit(*, instance_id: int, enterprise_id: int, status: str) -> Deposit | None:
    """R27a: `applied` toward the price on settlement, `forfeited` when the buyer refuses to sign
    or pay, `refunded` when the unit does not get the deal through no fault of its own (a losing
    bidder, R20)."""
    row = deposit_of(instance_id, enterprise_id)
    if row is not None and row.status == "held":
        row.status, row.closed_at = status, clock.now()
        db.session.flush()
    return row


def refund_others(*, instance_id: int, winner_id: int) -> list[Deposit]:
    """R27a: every held deposit but the winner's is refunded when the bidding is decided (R20)."""
    out = []
    for row in deposits_of(instance_id):
        if row.enterprise_id != winner_id and row.status == "held":
            row.status, row.closed_at = "refunded", clock.now()
            out.append(row)
    db.session.flush()
    return out


def _source_lots(seller: ledger.Owner, pollutant: str) -> list:
    """The seller's lots of a pollutant, soonest expiry first; a unit sells only rights it paid
    for and holds for good (R19, R31)."""
    found = [lot for lot in ledger.lots(seller) if lot.pollutant == pollutant]
    if seller.kind == "enterprise":
        found = [lot for lot in found if lot.acquisition in ("paid", "allocation")
                 and not lot.temporary]
    return found


def move_rights(*, seller: str, to: str, amounts: dict[str, str], cause: str, deal_day: date,
                reserve_sale: bool, certificate_no: str | None, instance_id: int | None,
                actor_id: int | None = None) -> dict:
    """R22, R37: move each pollutant's tonnes from the seller's lots (split as needed). A reserve
    sale is valid 5 years from the deal; transferred surplus keeps its remaining term. Refuses
    (409, R37) when the rights are no longer there — no tonne is sold twice."""
    source = ledger.Owner.parse(seller)
    valid_from, valid_to = None, None
    if reserve_sale:
        valid_from = deal_day
        valid_to = reserve_sale_valid_to(deal_day)  # 2028-02-29 → 2033-02-28
    terms: list[tuple[date, date]] = []
    for pollutant, raw in amounts.items():
        left = to_tonnes(raw)
        # R34: top the county reserve up from its superiors first; when even they are short the
        # tonnes are simply gone (sold meanwhile) and the R37 refusal below names that
        if source.kind == "reserve" and available_with_cover(
            region_code=source.region_code, pollutant=pollutant
        ) >= left:
            cover(region_code=source.region_code, pollutant=pollutant, tonnes=left,
                  instance_id=instance_id, actor_id=actor_id)
        for lot in _source_lots(source, pollutant):
            if left <= 0:
                break
            part = min(left, lot.balance)
            start = valid_from or max(deal_day, lot.valid_from)
            end = valid_to or lot.valid_to
            ledger.move(from_lot_id=lot.id, to=to, tonnes=part, cause=cause,
                        valid_from=start, valid_to=end, acquisition="paid",
                        certificate_no=certificate_no, instance_id=instance_id,
                        actor_id=actor_id)
            terms.append((start, end))
            left -= part
        if left > 0:
            raise RuleViolation("R37", _l(
                "卖方 %(pollutant)s 可交易排污权已不足，尚缺 %(short)s 吨"
                "（同一排污权不得重复出售）",
                pollutant=pollutant, short=fmt_tonnes(left)), status=409)
    return {"valid_from": min(t[0] for t in terms).isoformat(),
            "valid_to": max(t[1] for t in terms).isoformat()}
