"""Trading tables: electronic certificates (R24, R39) and their per-region serial counters,
deposits (R27a), bids of a reserve sale's public bidding (R20) and mediation requests (R25). The
trade itself is the `trade` process instance; its summary is the business record."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.common.types import UTCDateTime, Yuan
from app.extensions import db

DEPOSIT_STATES = ("held", "applied", "refunded", "forfeited")
BID_STATES = ("active", "won", "lost")


class Certificate(db.Model):
    """An electronic certificate (排污权电子凭证) issued after settlement (R24). Its number
    carries a keyed signature, so an altered number fails verification (R39)."""

    __tablename__ = "certificate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    instance_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False)
    seller: Mapped[str] = mapped_column(String(40), nullable=False)  # ledger account
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), nullable=False)
    amounts: Mapped[dict] = mapped_column(JSON, nullable=False)
    price_per_tonne: Mapped[Decimal] = mapped_column(Yuan, nullable=False)
    total_price: Mapped[Decimal] = mapped_column(Yuan, nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    registration: Mapped[str] = mapped_column(String(12), nullable=False)  # standard|simplified
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date] = mapped_column(Date, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (  # the public register of completed trades (R38): newest first, by region
        Index("ix_certificate_issued", "issued_at"),
        Index("ix_certificate_region_issued", "region_code", "issued_at"),
        Index("ix_certificate_buyer", "buyer_id"),
    )


class CertificateCounter(db.Model):
    """The last serial issued per region and year (R39): taken with an atomic UPDATE … RETURNING,
    so two settlements at once never share a certificate number."""

    __tablename__ = "certificate_counter"
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_serial: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Deposit(db.Model):
    """A trade deposit (保证金, R27a): ratio × listing price × quantity; counted toward the price
    on settlement, forfeited when the buyer refuses to sign or pay."""

    __tablename__ = "trade_deposit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False)
    ratio: Mapped[Decimal] = mapped_column(Yuan, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Yuan, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="held")
    reference: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "status IN ('held', 'applied', 'refunded', 'forfeited')", name="trade_deposit_status"
        ),
        Index("ux_trade_deposit_bidder", "instance_id", "enterprise_id", unique=True),
    )


class Bid(db.Model):
    """A bid in a reserve sale's public bidding (R20): the highest price wins, the earliest of
    equal bids first; each bidder's deposit (R27a) is held while the bidding runs."""

    __tablename__ = "trade_bid"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, nullable=False)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False)
    price_per_tonne: Mapped[Decimal] = mapped_column(Yuan, nullable=False)
    project_name: Mapped[str | None] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    placed_by: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")

    __table_args__ = (
        CheckConstraint("status IN ('active', 'won', 'lost')", name="trade_bid_status"),
        Index("ix_trade_bid_instance", "instance_id", "price_per_tonne"),
    )


class MediationRequest(db.Model):
    """A party's request for mediation (调解) by the trading administration (R25), handled by its
    own `mediation` process instance: `open` until the bureau records the outcome, then
    `resolved` with `outcome` (agreed | failed | withdrawn) and the bureau's opinion."""

    __tablename__ = "mediation_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)  # the trade
    filed_by: Mapped[int] = mapped_column(Integer, nullable=False)
    party: Mapped[str] = mapped_column(String(10), nullable=False)  # buyer | seller | bureau
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    mediation_instance_id: Mapped[int | None] = mapped_column(Integer)  # the mediation process
    outcome: Mapped[str | None] = mapped_column(String(10))  # agreed | failed | withdrawn
    opinion: Mapped[str | None] = mapped_column(Text)  # 调解意见
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
