"""Customer accounts as imported from billing, their phones, meters and readings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class Account(Base):
    """A customer's personal account (лицевой счёт), as imported from billing."""

    __tablename__ = "accounts"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    # IANA zone: the account's dates (reading window, periods) are local to it.
    timezone: Mapped[str] = mapped_column(String(64))
    # Exact money in kopecks: positive = the customer owes, negative = overpaid.
    balance_kopecks: Mapped[int] = mapped_column(BigInteger, default=0)
    due_date: Mapped[date | None] = mapped_column(Date)
    last_payment_kopecks: Mapped[int | None] = mapped_column(BigInteger)
    last_payment_date: Mapped[date | None] = mapped_column(Date)
    # Average monthly consumption, kWh (the plausibility check); None = unknown.
    avg_monthly_kwh: Mapped[int | None]
    # argon2id hash of the PIN from billing (hotline.core.pins); never the PIN itself.
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AccountPhone(Base):
    """A phone number registered for an account (digits only, 7XXXXXXXXXX for Russia)."""

    __tablename__ = "account_phones"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    # Indexed alone too: an import replaces an account's phones by its number (migration 0034).
    account_number: Mapped[str] = mapped_column(
        String(32), ForeignKey("accounts.number", ondelete="CASCADE"), primary_key=True, index=True
    )


class Meter(Base):
    """An electricity meter of an account, with the last reading billing accepted per zone
    (the baseline the IVR checks new readings against)."""

    __tablename__ = "meters"

    account_number: Mapped[str] = mapped_column(
        String(32), ForeignKey("accounts.number", ondelete="CASCADE"), primary_key=True
    )
    meter_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The order the caller is asked in (the import file's order).
    position: Mapped[int]
    # Tariff zones: 1 single, 2 day/night, 3 day/night/peak.
    zones: Mapped[int]
    # Whole-kWh digits on the meter's display.
    digits: Mapped[int]
    last_1: Mapped[int | None]
    last_2: Mapped[int | None]
    last_3: Mapped[int | None]
    last_date: Mapped[date | None] = mapped_column(Date)


class Reading(Base):
    """A meter reading taken from a caller.  Append-only: a second submission for the same
    meter, zone and period supersedes the first (``superseded_by``), which stays as history;
    at most one row per (account, meter, zone, period) is current."""

    __tablename__ = "readings"
    __table_args__ = (
        Index(
            "uq_readings_current",
            "account_number",
            "meter_id",
            "zone",
            "period",
            unique=True,
            sqlite_where=text("superseded_by IS NULL"),
            postgresql_where=text("superseded_by IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    call_id: Mapped[str | None] = mapped_column(String(32), index=True)
    account_number: Mapped[str] = mapped_column(String(32), index=True)
    meter_id: Mapped[str] = mapped_column(String(32))
    zone: Mapped[int]
    # The billing period the reading counts for, "YYYY-MM".
    period: Mapped[str] = mapped_column(String(7), index=True)
    value: Mapped[int] = mapped_column(BigInteger)
    previous: Mapped[int] = mapped_column(BigInteger)
    consumption: Mapped[int] = mapped_column(BigInteger)
    # Comma-separated: implausible, next_period.
    flags: Mapped[str] = mapped_column(String(128), default="")
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    superseded_by: Mapped[int | None]
