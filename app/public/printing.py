"""The shared pieces of printable documents (缴款核定通知单, 合同, 排污权电子凭证, 审查决定书): the
issuing bureau's full name, a stable document number (文号) and the certificate's QR code (R39)."""
from __future__ import annotations

from datetime import datetime

import segno
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.auth.models import Bureau, Region
from app.common import clock
from app.extensions import db

_SUFFIXES = ("自治县", "新区", "区", "县", "市", "省")


def issuing_bureau(region_code: str | None) -> str:
    """The full name of the bureau of `region_code` (杭州市生态环境局西湖分局); a region without a
    registered bureau reads "<region>生态环境局"."""
    if not region_code:
        return "生态环境主管部门"
    name = db.session.scalar(select(Bureau.name).where(Bureau.region_code == region_code))
    if name:
        return name
    region = db.session.get(Region, region_code)
    return f"{region.name}生态环境局" if region else "生态环境主管部门"


def short_name(region_code: str | None) -> str:
    """The one-character prefix of a region's document numbers: 西湖区 → 西, 杭州市 → 杭."""
    region = db.session.get(Region, region_code) if region_code else None
    if region is None:
        return "生"
    stem = region.name
    for suffix in _SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem[:1]


def document_number(*, region_code: str | None, word: str, when: datetime, serial: int) -> str:
    """A document number (文号) derived from facts that never change — the region, the year the
    matter started (Asia/Shanghai) and the instance id — so reprinting gives the same number:
    西环交易〔2026〕12号."""
    return f"{short_name(region_code)}环{word}〔{clock.local(when).year}〕{serial}号"


def qr_svg(text: str, *, title: str = "") -> Markup:
    """R39: an inline SVG QR code of `text` (medium error correction), drawn by segno; the SVG
    holds only path data, never `text` itself."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=4, border=2, title=title or None, svgclass="erflow-qr",
                          lineclass=None)
    return Markup(svg)


# R20: trading methods as people read them (the public trade list and the printed contract).
METHOD_LABELS = {
    "agreement": _l("Transfer by agreement"),
    "listing": _l("Listing"),
    "auction": _l("Auction"),
    "call_auction": _l("Call auction"),
}
