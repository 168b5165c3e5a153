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
from sqlalchemy import func, select

from app.common import clock
from app.extensions import db
from app.trading.models import Certificate

SIGNATURE_CHARS = 10
_FORMAT = re.compile(r"^PWQ-(\d{4})-(\d{6})-(\d{6})-([0-9A-F]{" + str(SIGNATURE_CHARS) + "})$")


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"erflow/certificate-number/v1", hashlib.sha256).digest()


def sign(body: str) -> str:
    mac = hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest().upper()
    return mac[:SIGNATURE_CHARS]


def next_number(*, region_code: str, day: date) -> str:
    """The next signed number of a region and year (R39)."""
    prefix = f"PWQ-{day:%Y}-{region_code}-"
    count = db.session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.number.startswith(prefix))
    ) or 0
    body = f"{prefix}{count + 1:06d}"
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
