"""Unified social credit code, 统一社会信用代码 (R8): GB 32100-2015 + GB 11714 organisation code.

Layout of the 18 characters:
  1     registration authority (登记管理部门码), e.g. 9 = market regulation (工商)
  2     entity type (机构类别码), e.g. 1 = enterprise
  3-8   administrative division code of the registering authority (GB/T 2260), digits
  9-17  organisation code (组织机构代码, GB 11714): 8 body characters + its own check character
  18    check character over positions 1-17 (GB 32100)
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.errors import Text

# GB 32100: digits and upper-case letters without I, O, S, V, Z (31 symbols, values 0..30).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714: body characters 0-9 A-Z valued 0..35, weights below, check = 11 - sum mod 11.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters (which must be in CHARSET)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """The GB 11714 check character for an 8-character organisation code body."""
    total = sum(_org_value(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def credit_code_errors(code: str) -> list[Text]:
    """Why `code` is not a valid unified social credit code (R8); an empty list when it is valid.

    Messages are for the person who typed the code, so they say which part is wrong.
    """
    if not isinstance(code, str) or len(code) != 18:
        return [_l("统一社会信用代码应为 18 位")]
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        chars = "".join(bad)
        return [_l("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z 和小写字母）",
                    chars=chars)]
    if not code[2:8].isdigit():
        return [_l("统一社会信用代码第 3–8 位应为登记管理机关的行政区划码（数字）")]
    if org_check_char(code[8:16]) != code[16]:
        return [_l("统一社会信用代码中的组织机构代码（第 9–17 位）校验码不正确")]
    if credit_check_char(code[:17]) != code[17]:
        return [_l("统一社会信用代码校验码（第 18 位）不正确")]
    return []


def is_valid_credit_code(code: str) -> bool:
    return not credit_code_errors(code)


def make_credit_code(serial: int, *, division: str = "330106", prefix: str = "91") -> str:
    """A valid code built from a serial number, for seed data and tests (not a real unit's code)."""
    body = f"MA{serial:06d}"[-8:]
    first17 = f"{prefix}{division}{body}{org_check_char(body)}"
    return first17 + credit_check_char(first17)
