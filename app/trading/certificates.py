"""Electronic certificates (排污权电子凭证, R24) with verifiable numbers (R39).

A number is `PWQ-<year>-<region>-<serial>-<signature>`; the signature is an HMAC-SHA256 of the
rest under a key derived from SECRET_KEY. Changing any character (a digit of the serial, the
region, the signature) fails verification before the register is even read."""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.common import clock
from app.extensions import db
from app.trading.models import Certificate, CertificateCounter

SIGNATURE_CHARS = 10
_FORMAT = re.compile(r"^PWQ-(\d{4})-(\d{6})-(\d{6})-([0-9A-F]{" + str(SIGNATURE_CHARS) + "})$")


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"erflow/certificate-number/v1", hashlib.sha256).digest()


def sign(body: str) -> str:
    mac = hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest().upper()
    return mac[:SIGNATURE_CHARS]


def _take_serial(region_code: str, year: int) -> int | None:
    """Increment the region's counter in one statement (the row stays locked by the writing
    transaction until it commits, so a concurrent settlement waits and gets the next serial)."""
    return db.session.execute(
        update(CertificateCounter)
        .where(CertificateCounter.region_code == region_code, CertificateCounter.year == year)
        .values(last_serial=CertificateCounter.last_serial + 1)
        .returning(CertificateCounter.last_serial)
        .execution_options(synchronize_session=False)
    ).scalar()


def next_number(*, region_code: str, day: date) -> str:
    """The next signed number of a region and year (R39), unique even when several settlements
    run at once: a counter row per region and year, incremented atomically (UPDATE … RETURNING);
    the first number of a year creates the row in a savepoint, and a concurrent creator that lost
    the race takes the next serial instead."""
    prefix = f"PWQ-{day:%Y}-{region_code}-"
    serial = _take_serial(region_code, day.year)
    while serial is None:
        issued = db.session.scalar(  # certificates issued before the counter existed
            select(func.count()).select_from(Certificate)
            .where(Certificate.number.startswith(prefix))) or 0
        try:
            with db.session.begin_nested():
                db.session.add(CertificateCounter(region_code=region_code, year=day.year,
                                                  last_serial=issued + 1))
            serial = issued + 1
        except IntegrityError:  # created meanwhile by another settlement: take the next one
            serial = _take_serial(region_code, day.year)
    body = f"{prefix}{serial:06d}"
    return f"{body}-{sign(body)}"


def signature_valid(number: str) -> bool:
    """R39: the number is well formed and its signature matches (constant-time compare)."""
    match = _FORMAT.match(number or "")
    if match is None:
        return False
    body = number[: -(SIGNATURE_CHARS + 1)]
    return hmac.compare_digest(sign(body), match.group(4))


def verify(*, number: str) -> Certificate | None:
    """R39: the certificate with this number when the number is genuine, else None."""
    if not signature_valid(number):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.number == number))


def issue(*, number: str | None = None, **fields) -> Certificate:
    """Register a certificate (R24) under `number` (else the region's next one), issued now."""
    number = number or next_number(region_code=fields["region_code"], day=clock.today())
    cert = Certificate(number=number, issued_at=clock.now(), **fields)
    db.session.add(cert)
    db.session.flush()
    return cert
