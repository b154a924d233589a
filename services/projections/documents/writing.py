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
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
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
CAPTION_SPACE = Pt(12)  # before a table's caption or a chart: a line between it and what was above
# The paragraph styles of a table's cells: the font is the style's, not each run's (a run's own costs a
# millisecond a cell in python-docx, and makes the document harder to restyle in Word).
TABLE_STYLE = "表格文字"
THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
TABLE_HEAD_STYLE = "表头"


def new_document(title: str) -> DocumentObject:
    """An empty A4 document with the styles set, its core properties titled (what Word shows as the title)."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _font(document.styles["Normal"], BODY_FONT, BODY_SIZE)
    _font(document.styles["Title"], TITLE_FONT, TITLE_SIZE, bold=True)
    _no_border(document.styles["Title"])  # the template's blue rule under the title: not a county document's
    for level in (1, 2):
        _font(document.styles[f"Heading {level}"], HEADING_FONT, BODY_SIZE)
    cells = document.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cells.base_style = document.styles["Normal"]
    _font(cells, TABLE_FONT, TABLE_SIZE)
    heads = document.styles.add_style(TABLE_HEAD_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    heads.base_style = cells
    _font(heads, TABLE_FONT, TABLE_SIZE, bold=True)
    document.core_properties.title = title
    document.core_properties.language = "zh-CN"
    return document


def _font(style: ParagraphStyle, name: str, size: Pt, *, bold: bool = False) -> None:
    """The style's font for Latin and for Chinese text (Word takes East Asian text's font from w:eastAsia)."""
    style.font.name = name
    style.font.size = size
    style.font.bold = bold
    style.font.color.rgb = None
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    # The template's theme fonts (w:asciiTheme, …) take precedence over named ones in Word: they go.
    for theme in THEME_FONTS:
        fonts.attrib.pop(qn(theme), None)


def _no_border(style: ParagraphStyle) -> None:
    properties = style.element.pPr
    if properties is not None:
        for border in properties.findall(qn("w:pBdr")):
            properties.remove(border)


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


def table(
    document: DocumentObject,
    caption: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[Length] | None = None,
) -> Table:
    """A captioned table with a header row; numbers are given as text, already formatted. `widths`: of each column
    (default: the text's width shared equally)."""
    title = document.add_paragraph(caption)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = CAPTION_SPACE
    title.paragraph_format.keep_with_next = True  # never a caption at a page's foot and its table on the next
    grid: Table = document.add_table(rows=1 + len(rows), cols=len(header))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    if widths is not None:
        # Word reads the cells' widths, LibreOffice the grid's: both are set
        grid.autofit = False
        for column, width in zip(grid.columns, widths, strict=True):
            column.width = width
    head, body = document.styles[TABLE_HEAD_STYLE].style_id, document.styles[TABLE_STYLE].style_id
    for i, (cells, values) in enumerate(zip(grid.rows, [header, *rows], strict=True)):
        for j, (cell, value) in enumerate(zip(cells.cells, values, strict=True)):
            paragraph = cell.paragraphs[0]
            # the style by its id on the element: `paragraph.style = …` scans every style of the document each time
            paragraph._p.style = head if i == 0 else body
            paragraph.add_run(value)
            if widths is not None:
                cell.width = widths[j]
    return grid


def picture(document: DocumentObject, caption: str, png: bytes) -> None:
    """A chart, centred at the text's width, its caption under it (on the same page)."""
    document.add_picture(io.BytesIO(png), width=PICTURE_WIDTH)
    shown = document.paragraphs[-1]
    shown.alignment = WD_ALIGN_PARAGRAPH.CENTER
    shown.paragraph_format.space_before = CAPTION_SPACE
    shown.paragraph_format.keep_with_next = True
    document.add_paragraph(caption).alignment = WD_ALIGN_PARAGRAPH.CENTER


def saved(document: DocumentObject) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
