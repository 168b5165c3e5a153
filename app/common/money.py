"""R1: tonnes are Decimal with 4 places, yuan Decimal with 2 places, ROUND_HALF_UP; never float."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

TONNE = Decimal("0.0001")
FEN = Decimal("0.01")


def _decimal(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("R1: floats are not accepted for quantities or money; pass a string")
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def to_tonnes(value) -> Decimal:
    """Exact tonnes (R1). Refuses more than 4 decimal places rather than rounding silently."""
    d = _decimal(value)
    if not d.is_finite():
        raise ValueError(f"not a number: {value!r}")
    q = d.quantize(TONNE)
    if q != d:
        raise ValueError(f"R1: at most 4 decimal places of a tonne: {value}")
    return q


def to_yuan(value) -> Decimal:
    """Yuan rounded to the fen, half up (R1)."""
    d = _decimal(value)
    if not d.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return d.quantize(FEN, rounding=ROUND_HALF_UP)


def fmt_tonnes(value: Decimal) -> str:
    return str(Decimal(value).quantize(TONNE))


def fmt_yuan(value: Decimal) -> str:
    return str(Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP))
