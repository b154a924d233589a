"""Reading a generated Word document back, as a person opening it would see it: its paragraphs, tables, pictures."""

import io
from dataclasses import dataclass

from docx import Document

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Opened:
    paragraphs: list[str]
    tables: list[list[list[str]]]  # table → row → cell text
    pictures: list[bytes]  # the inline pictures' image bytes, in order

    def table_after(self, caption: str) -> list[list[str]]:
        """The table whose caption (the paragraph before it) is `caption`: tables are in the captions' order."""
        captions = [p for p in self.paragraphs if p.startswith("表")]
        return self.tables[captions.index(caption)]


def opened(content: bytes) -> Opened:
    document = Document(io.BytesIO(content))
    pictures = [
        document.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
        for shape in document.inline_shapes
    ]
    return Opened(
        paragraphs=[p.text for p in document.paragraphs],
        tables=[[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables],
        pictures=pictures,
    )
