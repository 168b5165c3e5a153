"""R8: unified social credit codes per GB 32100 (with the GB 11714 organisation code inside)."""
import pytest

from app.auth.credit_code import (
    CHARSET,
    credit_check_char,
    credit_code_errors,
    is_valid_credit_code,
    make_credit_code,
    org_check_char,
)

# Codes of real, publicly registered companies.
REAL_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
    "9111000071093123XX",  # 国家电网有限公司 (organisation check X, overall check X)
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_R8_real_codes_are_valid(code):
    assert credit_code_errors(code) == []
    assert is_valid_credit_code(code)


@pytest.mark.parametrize("code", REAL_CODES)
def test_R8_every_single_character_corruption_is_refused(code):
    # Replacing any one character by any other allowed character must fail one of the checks.
    for i, original in enumerate(code):
        for replacement in CHARSET:
            if replacement == original:
                continue
            corrupted = code[:i] + replacement + code[i + 1 :]
            assert not is_valid_credit_code(corrupted), (i, corrupted)


def test_R8_swapped_adjacent_characters_are_refused():
    code = REAL_CODES[0]
    swapped = code[:9] + code[10] + code[9] + code[11:]
    assert swapped != code
    assert not is_valid_credit_code(swapped)


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91440300708461136", "18 位"),
        ("91440300708461136TT", "18 位"),
        ("91440300708461136t", "不允许的字符"),
        ("9144030070846113IT", "不允许的字符"),
        ("91440300708461136O", "不允许的字符"),
        ("91A40300708461136T", "行政区划码"),
        ("914403007084611360", "第 18 位"),
        ("91440300708461137T", "组织机构代码"),
    ],
)
def test_R8_errors_say_what_is_wrong(code, fragment):
    errors = credit_code_errors(code)
    assert errors and fragment in errors[0]


def test_R8_check_characters():
    assert org_check_char("19220382") == "1"
    assert org_check_char("71093123") == "X"
    assert credit_check_char("91440300708461136") == "T"


def test_R8_generated_codes_are_valid_and_distinct():
    codes = {make_credit_code(n, division="130102") for n in range(1, 300)}
    assert len(codes) == 299
    assert all(is_valid_credit_code(c) for c in codes)
