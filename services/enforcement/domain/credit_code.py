"""统一社会信用代码 (unified social credit code) checked per GB 32100-2015.

Eighteen characters: 登记管理部门代码 (1), 机构类别代码 (1), 登记管理机关行政区划码 (6),
主体标识码 = the organization code of GB 11714-1997 with its own check digit (9),
and the code's check digit (1). The character set leaves out I, O, Z, S and V.

python-stdnum's `cn.uscc` checks only the last digit and refuses the letters that
GB 32100 allows in the first position (A, N, Y), so this module does both checks itself.
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weights of positions 1–17: 3^(i-1) mod 31 (GB 32100-2015, 5.2).
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# 登记管理部门代码: 机构编制 1 … 工商 9, 中央军委改革和编制办公室 A, 农业 N, 其他 Y.
REGISTRATION_AUTHORITIES = frozenset("123456789ANY")
# Weights of the organization code's eight body characters (GB 11714-1997).
ORGANIZATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def normalize(code: str) -> str:
    """What people type: surrounding blanks and lower case are forgiven."""
    return code.strip().upper()


def check_digit(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organization_check_digit(body: str) -> str:
    """GB 11714: letters count as 10 (A) … 35 (Z); 10 is written X and 11 is written 0."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w for c, w in zip(body, ORGANIZATION_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def problem(code: str) -> str | None:
    """Why `code` (already normalized) is not a valid credit code, in Chinese; None when it is valid."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实为{len(code)}位"
    wrong = sorted({c for c in code if c not in ALPHABET})
    if wrong:
        return f"统一社会信用代码含有不允许的字符：{'、'.join(wrong)}（不使用 I、O、Z、S、V）"
    if code[0] not in REGISTRATION_AUTHORITIES:
        return f"第1位登记管理部门代码“{code[0]}”无效，应为1–9、A、N或Y"
    if code[1] not in "123456789":
        return f"第2位机构类别代码“{code[1]}”无效，应为1–9"
    if not code[2:8].isdigit():
        return "第3–8位应为登记管理机关行政区划码（6位数字）"
    if organization_check_digit(code[8:16]) != code[16]:
        return "第9–17位主体标识码（组织机构代码）校验位不符，请核对代码"
    if check_digit(code[:17]) != code[17]:
        return "统一社会信用代码校验位不符，请核对代码"
    return None
