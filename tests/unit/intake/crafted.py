"""Spreadsheets made to hurt a reader: declared sizes that lie, zip bombs, rows and cells beyond reason.

Each starts from a real workbook saved by openpyxl and swaps in a worksheet or an extra part, so the
rest of the archive is what Excel's readers expect.
"""

import io
import struct
import zipfile

from openpyxl import Workbook

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET = "xl/worksheets/sheet1.xml"
HEADER_CELLS = ("批次", "序号", "问题", "乡镇", "领域")


def workbook_with(parts: dict[str, bytes]) -> bytes:
    """A workbook saved by openpyxl, with `parts` replacing or joining its own."""
    saved = io.BytesIO()
    Workbook().save(saved)
    source = zipfile.ZipFile(io.BytesIO(saved.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, parts.get(info.filename, source.read(info.filename)))
        for name, data in parts.items():
            if name not in source.namelist():
                archive.writestr(name, data)
    return out.getvalue()


def sheet(rows: str, dimension: str | None = None) -> bytes:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"<worksheet {NS}>{declared}<sheetData>{rows}</sheetData></worksheet>".encode()


def full_width_rows(rows: int = 1500) -> bytes:
    """The issue's file: under 5 KB, `rows` empty rows declared as wide as Excel allows (A to XFD)."""
    body = "".join(f'<row r="{n}"/>' for n in range(1, rows + 1))
    return workbook_with({SHEET: sheet(body, dimension=f"A1:XFD{rows}")})


def header_row(number: int = 1) -> str:
    cells = "".join(
        f'<c r="{column}{number}" t="inlineStr"><is><t>{title}</t></is></c>'
        for column, title in zip("ABCDE", HEADER_CELLS, strict=True)
    )
    return f'<row r="{number}">{cells}</row>'


def problem_rows(first: int, count: int) -> str:
    return "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>第3批</t></is></c><c r="B{n}"><v>{n}</v></c>'
        f'<c r="C{n}" t="inlineStr"><is><t>粉尘</t></is></c><c r="D{n}" t="inlineStr"><is><t>城关镇</t></is></c>'
        f'<c r="E{n}" t="inlineStr"><is><t>air</t></is></c></row>'
        for n in range(first, first + count)
    )


def zip_bomb(unpacked: int = 48 * 1024 * 1024) -> bytes:
    """A workbook with a picture of `unpacked` zero bytes: a few hundred kilobytes packed, honest about its size."""
    saved = io.BytesIO()
    Workbook().save(saved)
    out = io.BytesIO(saved.getvalue())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/media/image1.png", "w", force_zip64=False) as member:
            block = b"\x00" * (1024 * 1024)
            for _ in range(unpacked // len(block)):
                member.write(block)
    return out.getvalue()


def lying_zip_bomb(unpacked: int = 16 * 1024 * 1024, declared: int = 1000) -> bytes:
    """A worksheet of `unpacked` bytes whose zip headers declare only `declared`: the archive lies about its size."""
    row = b"<c/>" * (unpacked // 4)
    packed = bytearray(
        workbook_with({SHEET: f"<worksheet {NS}><sheetData><row>".encode() + row + b"</row></sheetData></worksheet>"})
    )
    name = SHEET.encode()
    # The local header (PK\3\4) keeps the uncompressed size at 22, the central directory entry (PK\1\2) at 24.
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = 0
        while (at := packed.find(signature, at)) != -1:
            if packed[at + name_at : at + name_at + len(name)] == name:
                struct.pack_into("<I", packed, at + size_at, declared)
            at += 4
    return bytes(packed)
