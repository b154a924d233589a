"""个人号码脱敏: phone and ID-card numbers typed into a report's free text, masked before the text leaves intake.

A reporter writes "联系我 138 1234 5678" into the description, or a polluter's ID number into
the title; the report's event goes to Kafka, the case, the ledger and every unit that reads
it. What is masked: mainland mobile numbers (1[3-9] and nine more digits, also written
3-4-4 with blanks or hyphens, or after +86) and resident ID numbers (18 digits, the last
may be X; the old 15-digit ones), typed in half- or full-width digits. A number is masked
only where it stands alone, not inside a longer run of digits. The original text is kept
sealed with the reporter's contact (privacy.keep_contact) for the operator. Pure, no I/O.
"""

import re
from dataclasses import replace

from services.intake.commands import Report

MOBILE_MASK = "【手机号码已隐去】"
ID_CARD_MASK = "【身份证号码已隐去】"

# Full-width digits, X and separators as their ASCII twins, one character for one: spans found in the
# twin are the spans of the original.
_HALF_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－＋\u3000", "0123456789Xx-+ ")

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # 18 digits: area (6), birth date (8), sequence (3), check digit (0-9 or X).
    (re.compile(rf"(?<![0-9])[1-9][0-9]{{5}}(?:18|19|20)[0-9]{{2}}{_DATE}[0-9]{{3}}[0-9Xx](?![0-9])"), ID_CARD_MASK),
    # The first-generation 15 digits: area (6), birth date as yymmdd (6), sequence (3).
    (re.compile(rf"(?<![0-9])[1-9][0-9]{{5}}[0-9]{{2}}{_DATE}[0-9]{{3}}(?![0-9])"), ID_CARD_MASK),
    (re.compile(r"(?<![0-9+])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])"), MOBILE_MASK),
)


# The fewest digits any of the numbers has (a mobile number's eleven), half- or full-width.
_FEWEST_DIGITS = 11
_DIGIT = re.compile("[0-9０-９]")


def mask_numbers(text: str) -> str:
    """The text with every mobile and ID-card number replaced by a note that one was there."""
    if len(_DIGIT.findall(text)) < _FEWEST_DIGITS:
        return text  # too few digits for any number (most texts): neither the twin nor the three scans are needed
    twin = text.translate(_HALF_WIDTH)
    spans = sorted((m.start(), m.end(), mask) for pattern, mask in _PATTERNS for m in pattern.finditer(twin))
    parts: list[str] = []
    last = 0
    for start, end, mask in spans:
        if start < last:
            continue  # inside a number already masked
        parts += [text[last:start], mask]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def masked(report: Report) -> tuple[Report, dict[str, str]]:
    """The report with its free text (title, description, address) masked, and the original of each field that was."""
    originals: dict[str, str] = {}

    def mask(field: str, text: str) -> str:
        result = mask_numbers(text)
        if result != text:
            originals[field] = text
        return result

    location = report.location
    if location is not None and location.address:
        location = location.model_copy(update={"address": mask("address", location.address)})
    title, description = mask("title", report.title), mask("description", report.description)
    if not originals:  # nothing masked: the report as it came (no copy)
        return report, originals
    return replace(report, title=title, description=description, location=location), originals
