"""Ledger tables (R37): rights lots, append-only double entries, reserve accounts; and the
policy data the ledger and trading read: pilot pollutants (R2), region attainment (R27), fee
standards (R15) and benchmark prices (R21)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.common.types import Tonnes, UTCDateTime, Yuan
from app.extensions import db

POLLUTANTS = ("COD", "NH3-N", "SO2", "NOx")  # R2, always on
PILOT_POLLUTANTS = ("VOCs", "TP")  # R2, switched on per region
AIR = ("SO2", "NOx", "VOCs")
WATER = ("COD", "NH3-N", "TP")
CAUSES = (
    "allocation", "trade", "lease", "return", "buyback", "recovery", "expiry", "registration",
)
ACQUISITIONS = ("paid", "free", "lease", "allocation")


class ReserveAccount(db.Model):
    """A bureau's government reserve (R33): one per region, made on first use."""

    __tablename__ = "reserve_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RightsLot(db.Model):
    """Rights of one pollutant held by one owner with one validity and origin (R1, R14, R22, R37).

    `balance` is a cache of the owner's entries on this lot; it is the row every movement locks
    and decrements conditionally, so no tonne is sold twice. `ledger_check()` proves it equals
    the entries.
    """

    __tablename__ = "rights_lot"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(12), nullable=False)  # enterprise | reserve
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    reserve_region: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    pollutant: Mapped[str] = mapped_column(String(10), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date] = mapped_column(Date, nullable=False)
    acquisition: Mapped[str] = mapped_column(String(12), nullable=False)  # paid|free|lease|…
    origin_lot_id: Mapped[int | None] = mapped_column(ForeignKey("rights_lot.id"))
    temporary: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # R31
    certificate_no: Mapped[str | None] = mapped_column(String(40), index=True)
    balance: Mapped[Decimal] = mapped_column(Tonnes, nullable=False, default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),  # R37
        Index("ix_rights_lot_owner", "owner_kind", "enterprise_id", "reserve_region", "pollutant"),
    )

    @property
    def account(self) -> str:
        if self.owner_kind == "enterprise":
            return f"enterprise:{self.enterprise_id}"
        return f"reserve:{self.reserve_region}"


class LedgerEntry(db.Model):
    """One leg of a balanced movement (R37). Rows are never updated or deleted."""

    __tablename__ = "ledger_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txn_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("rights_lot.id"), nullable=False)
    account: Mapped[str] = mapped_column(String(40), nullable=False)
    pollutant: Mapped[str] = mapped_column(String(10), nullable=False)
    tonnes: Mapped[Decimal] = mapped_column(Tonnes, nullable=False)  # signed
    cause: Mapped[str] = mapped_column(String(20), nullable=False)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_ledger_entry_lot_account", "lot_id", "account"),
        Index("ix_ledger_entry_account", "account", "pollutant"),
    )


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _append_only(mapper, connection, target) -> None:
    raise RuntimeError("R37: ledger entries are append-only")


class PilotPollutant(db.Model):
    """R2: a pilot pollutant (VOCs, TP) switched on for a region and everything below it."""

    __tablename__ = "pilot_pollutant"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), nullable=False)
    pollutant: Mapped[str] = mapped_column(String(10), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    __table_args__ = (
        UniqueConstraint("region_code", "pollutant", name="uq_pilot_region_pollutant"),
    )


class RegionAttainment(db.Model):
    """R27: whether a region met its air and water quality targets in a year (admin data)."""

    __tablename__ = "region_attainment"
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    air: Mapped[bool] = mapped_column(Boolean, nullable=False)
    water: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class FeeStandard(db.Model):
    """R15: paid-use fee standard, yuan per tonne per year, per province and pollutant."""

    __tablename__ = "fee_standard"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(6), nullable=False)
    pollutant: Mapped[str] = mapped_column(String(10), nullable=False)
    yuan_per_tonne_year: Mapped[Decimal] = mapped_column(Yuan, nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("province_code", "pollutant", name="uq_fee_standard"),)


class BenchmarkPrice(db.Model):
    """R21: trading benchmark price (基准价), yuan per tonne, per province and pollutant."""

    __tablename__ = "benchmark_price"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(6), nullable=False)
    pollutant: Mapped[str] = mapped_column(String(10), nullable=False)
    yuan_per_tonne: Mapped[Decimal] = mapped_column(Yuan, nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("province_code", "pollutant", name="uq_benchmark_price"),)


class FeeNotice(db.Model):
    """A payment notice (缴款核定通知单) for the paid use of initially allocated rights (R15).

    `lines` holds one row per pollutant: tonnes, standard (元/吨·年), years (a part year as
    days/365) and amount; `amount` is their sum. An unpaid notice past `due_at` blocks the unit's
    permit-related processes (R16)."""

    __tablename__ = "fee_notice"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), nullable=False)
    bureau_name: Mapped[str] = mapped_column(String(80), nullable=False)
    province_code: Mapped[str] = mapped_column(String(6), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date] = mapped_column(Date, nullable=False)
    lines: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    amount: Mapped[Decimal] = mapped_column(Yuan, nullable=False)
    finalised_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    issue_due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # R15
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # pay by (R16)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="unpaid")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    confirmed_by: Mapped[int | None] = mapped_column(Integer)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("status IN ('unpaid', 'paid')", name="fee_notice_status"),
        Index("ix_fee_notice_enterprise_status_due", "enterprise_id", "status", "due_at"),
    )
