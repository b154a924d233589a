"""What a person reads next to a field the API refused (422): pydantic's error, in Chinese.

pydantic words its errors in English for developers; the workbench shows the API's message beside the field it
names, so each error type a request can meet gets a zh-CN sentence built from the error's context (the limits).
A validator of ours that already raises a Chinese message keeps it. An error type not listed here falls back to a
plain "格式不正确" rather than English, and its type stays in the answer for developers.
"""

import re
from collections.abc import Mapping
from typing import Any

_CHINESE = re.compile(r"[\u4e00-\u9fff]")

_MESSAGES: Mapping[str, str] = {
    "missing": "必填",
    "string_too_short": "至少 {min_length} 个字",
    "string_too_long": "最多 {max_length} 个字",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "decimal_max_digits": "最多 {max_digits} 位数字",
    "decimal_whole_digits": "整数部分最多 {whole_digits} 位",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "multiple_of": "应为 {multiple_of} 的整数倍",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为列表",
    "bool_parsing": "应为“是”或“否”",
    "bool_type": "应为“是”或“否”",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "date_parsing": "日期格式不正确（例如 2026-12-01）",
    "date_from_datetime_parsing": "日期格式不正确（例如 2026-12-01）",
    "date_type": "日期格式不正确（例如 2026-12-01）",
    "datetime_parsing": "时间格式不正确（例如 2026-12-01T18:00:00+08:00）",
    "datetime_from_date_parsing": "时间格式不正确（例如 2026-12-01T18:00:00+08:00）",
    "datetime_type": "时间格式不正确（例如 2026-12-01T18:00:00+08:00）",
    "timezone_aware": "须带时区（例如 +08:00）",
    "uuid_parsing": "编号格式不正确",
    "uuid_type": "编号格式不正确",
    "url_parsing": "网址格式不正确",
    "url_scheme": "网址格式不正确",
    "extra_forbidden": "不接受此字段",
    "model_type": "应为一组字段（JSON 对象）",
    "dict_type": "应为一组字段（JSON 对象）",
    "model_attributes_type": "应为一组字段（JSON 对象）",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
}


def chinese(error: Mapping[str, Any]) -> str:
    """The zh-CN message for one pydantic error (an item of `ValidationError.errors()`)."""
    kind = str(error.get("type", ""))
    context = dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        reason = str(context.get("error", ""))
        return reason if _CHINESE.search(reason) else "格式不正确"
    template = _MESSAGES.get(kind)
    if template is None:
        return "格式不正确"
    try:
        return template.format(**{name: _shown(value) for name, value in context.items()})
    except (KeyError, IndexError):
        return template.split("{", 1)[0].rstrip("：:") or "格式不正确"


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a latitude's limit reads 90, not 90.0
    # pydantic quotes the allowed values as "'a', 'b' or 'c'": shown with the Chinese enumeration comma.
    text = str(value)
    return text.replace("' or '", "'、'").replace("', '", "'、'")
