"""What every document shares: the page, the fonts of a Chinese official document, titles, tables and pictures.

The layout follows the usual county document (党政机关公文格式, GB/T 9704 in spirit, not to the millimetre): A4,
the title in 宋体 二号 bold and centred, headings in 黑体, the text in 仿宋 三号 with a two-character first-line
indent, tables in 宋体 五号. The fonts are named, not embedded: Word shows them with the reader's own (every Chinese
Windows has them), and the document stays editable.
"""

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
TABLE_FONT = "宋体"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
TABLE_SIZE = Pt(10.5)  # 五号
PICTURE_WIDTH = Cm(15)


def new_document(title: str) -> DocumentObject:
    """An empty A4 document with the styles set, its core properties titled (what Word shows as the title)."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _font(document.styles["Normal"], BODY_FONT, BODY_SIZE)
    _font(document.styles["Title"], TITLE_FONT, TITLE_SIZE, bold=True)
    for level in (1, 2):
        _font(document.styles[f"Heading {level}"], HEADING_FONT, BODY_SIZE)
    document.core_properties.title = title
    document.core_properties.language = "zh-CN"
    return document


def _font(style: ParagraphStyle, name: str, size: Pt, *, bold: bool = False) -> None:
    """The style's font for Latin and for Chinese text (Word takes East Asian text's font from w:eastAsia)."""
    style.font.name = name
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = None
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def title(document: DocumentObject, text: str) -> None:
    paragraph = document.add_paragraph(text, style="Title")
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def centred(document: DocumentObject, text: str) -> None:
    """A line under the title (文号, 日期)."""
    document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER


def heading(document: DocumentObject, text: str) -> None:
    document.add_heading(text, level=1)


def text(document: DocumentObject, content: str, *, indent: bool = True) -> None:
    """A paragraph of the text, its first line indented by two characters (首行缩进两字符)."""
    paragraph = document.add_paragraph(content)
    if indent:
        paragraph.paragraph_format.first_line_indent = BODY_SIZE * 2


def right(document: DocumentObject, content: str) -> None:
    """A line at the right (落款: the office and the date)."""
    document.add_paragraph(content).alignment = WD_ALIGN_PARAGRAPH.RIGHT


def table(document: DocumentObject, caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A captioned table with a header row; numbers are given as text, already formatted."""
    document.add_paragraph(caption).alignment = WD_ALIGN_PARAGRAPH.CENTER
    grid: Table = document.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, label in zip(grid.rows[0].cells, header, strict=True):
        _cell(cell.paragraphs[0], label, bold=True)
    for row in rows:
        cells = grid.add_row().cells  # type: ignore[no-untyped-call]  # python-docx leaves it unannotated
        for cell, value in zip(cells, row, strict=True):
            _cell(cell.paragraphs[0], value)
    return grid


def _cell(paragraph: object, value: str, *, bold: bool = False) -> None:
    run = paragraph.add_run(value)  # type: ignore[attr-defined]
    run.font.size = TABLE_SIZE
    run.font.bold = bold
    run.font.name = TABLE_FONT
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), TABLE_FONT)


def picture(document: DocumentObject, caption: str, png: bytes) -> None:
    """A chart, centred at the text's width, its caption under it."""
    document.add_picture(io.BytesIO(png), width=PICTURE_WIDTH)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(caption).alignment = WD_ALIGN_PARAGRAPH.CENTER


def saved(document: DocumentObject) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
