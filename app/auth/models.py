"""Regions (R7), bureaus, enterprises (R8), users, roles and API tokens."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.types import UTCDateTime
from app.extensions import db

ROLES = ("enterprise", "handler", "reviewer", "approver", "admin")
BUREAU_ROLES = ("handler", "reviewer", "approver")


class Region(db.Model):
    """A node of the region tree (R7): province → city → county, keyed by 6-digit division code.

    `path` is the codes from the province down joined by "/", so a subtree is a prefix match.
    """

    __tablename__ = "region"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    level: Mapped[str] = mapped_column(String(10), nullable=False)  # province | city | county
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    province_code: Mapped[str] = mapped_column(String(6), nullable=False, index=True)
    path: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    water_system: Mapped[str | None] = mapped_column(String(20))  # R28 default for projects here
    extra: Mapped[bool] = mapped_column(Boolean, default=False)  # R7: 定州/辛集/雄安 added nodes

    parent: Mapped[Region | None] = relationship(remote_side=[code])


class Bureau(db.Model):
    """The ecology and environment bureau of one region (R7)."""

    __tablename__ = "bureau"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), unique=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)


class Enterprise(db.Model):
    """An emission unit, 排污单位 (R8)."""

    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    source_type: Mapped[str] = mapped_column(String(20))  # industrial | agricultural (R23)
    industry: Mapped[str] = mapped_column(String(50), default="")
    permit_no: Mapped[str | None] = mapped_column(String(50))
    permit_class: Mapped[str] = mapped_column(String(20))  # key|simplified|registered|none (R10)
    auto_monitoring: Mapped[bool] = mapped_column(Boolean, default=False)  # R19
    grade: Mapped[str] = mapped_column(String(1), default="C")  # A|B|C|D (R30)
    capacity_mw: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))  # R11
    water_system: Mapped[str | None] = mapped_column(String(20))  # R28
    credit_flag: Mapped[str | None] = mapped_column(String(200))  # R36 fraud mark
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()


class User(UserMixin, db.Model):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    roles_csv: Mapped[str] = mapped_column("roles", String(200), default="")
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()

    @property
    def roles(self) -> list[str]:
        return [r for r in self.roles_csv.split(",") if r]

    @roles.setter
    def roles(self, value: list[str]) -> None:
        self.roles_csv = ",".join(sorted(set(value)))

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Failed logins, for throttling by username and by address."""

    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    remote_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_login_attempt_username_at", "username", "at"),)
