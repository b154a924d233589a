"""统一社会信用代码 against GB 32100-2015, with codes of real organizations."""

import json
from pathlib import Path

import pytest

from services.enforcement.domain.credit_code import check_digit, normalize, organization_check_digit, problem

REAL_CODES = [
    line
    for line in (Path(__file__).parent / "credit_codes_found_online.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
XIAOMI = "91110108551385082Q"  # 小米科技有限责任公司, widely published
TENCENT = "9144030071526726XG"  # 深圳市腾讯计算机系统有限公司: the organization code's check digit is X


def test_every_real_code_found_online_is_valid() -> None:
    assert len(REAL_CODES) == 383
    assert [c for c in REAL_CODES if problem(c) is not None] == []


def test_the_check_digit_of_a_real_code_is_recomputed() -> None:
    assert check_digit(XIAOMI[:17]) == "Q"
    assert organization_check_digit(XIAOMI[8:16]) == "2"
    assert organization_check_digit(TENCENT[8:16]) == "X"


def test_a_code_with_letters_in_its_organization_code_is_valid() -> None:
    assert problem("91310115MA1K3BTP2B") is None


@pytest.mark.parametrize("last", [c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != "Q"])
def test_every_other_last_character_breaks_the_check_digit(last: str) -> None:
    assert problem(XIAOMI[:17] + last) == "统一社会信用代码校验位不符，请核对代码"


def test_a_wrong_organization_code_check_digit_is_refused_even_when_the_last_digit_fits() -> None:
    first17 = XIAOMI[:16] + "3"  # the organization code 55138508 has check digit 2, not 3
    code = first17 + check_digit(first17)
    assert problem(code) == "第9–17位主体标识码（组织机构代码）校验位不符，请核对代码"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9111010855138508", "统一社会信用代码应为18位，实为16位"),
        (XIAOMI + "0", "统一社会信用代码应为18位，实为19位"),
        ("91110108551385O82Q", "统一社会信用代码含有不允许的字符：O（不使用 I、O、Z、S、V）"),
        ("9111010855138S08IQ", "统一社会信用代码含有不允许的字符：I、S（不使用 I、O、Z、S、V）"),
        ("01110108551385082Q", "第1位登记管理部门代码“0”无效，应为1–9、A、N或Y"),
        ("B1110108551385082Q", "第1位登记管理部门代码“B”无效，应为1–9、A、N或Y"),
        ("90110108551385082Q", "第2位机构类别代码“0”无效，应为1–9"),
        ("911A0108551385082Q", "第3–8位应为登记管理机关行政区划码（6位数字）"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(code: str, reason: str) -> None:
    assert problem(code) == reason


def test_registration_authorities_a_n_and_y_are_allowed_in_the_first_position() -> None:
    for authority in "ANY":
        first17 = authority + XIAOMI[1:17]
        assert problem(first17 + check_digit(first17)) is None


def test_blanks_and_lower_case_are_forgiven_by_normalizing() -> None:
    assert normalize(" 9144030071526726xg ") == TENCENT


def test_the_workbench_samples_say_what_the_service_says() -> None:
    """The workbench checks codes as they are typed (workbench/src/creditCode.ts) against the same file."""
    path = Path(__file__).parents[3] / "workbench" / "tests" / "credit-codes.json"
    samples = json.loads(path.read_text(encoding="utf-8"))["samples"]
    assert len(samples) >= 100 and any(s["problem"] is None for s in samples)
    assert [problem(normalize(s["typed"])) for s in samples] == [s["problem"] for s in samples]
