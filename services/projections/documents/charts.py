"""Charts for the documents (图表), drawn as PNG on the server with Pillow and a CJK font.

Pillow is already the project's (photos), so a chart costs no new dependency: no matplotlib (with numpy, tens of
MB for two kinds of chart), no SVG renderer. The font is a TrueType/OpenType collection with Chinese glyphs:
`CHART_FONT` when set, else the first of `FONT_CANDIDATES` present (Debian's fonts-wqy-microhei, which
`make install` installs when no CJK font is there: infra/fonts.sh). Without one a chart is not drawn (the
document says so) rather than drawn with empty boxes for every character.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Debian's CJK fonts, in order of preference (fonts-wqy-microhei is small: 1.6 MB).
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)

WIDTH, HEIGHT = 1600, 900  # drawn at twice the size it is shown (15 cm wide in the document), sharp when printed
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 130, 50, 150, 90
COLOURS = ("#3b6fb6", "#3a9d5d", "#d9822b", "#b6403b")
GRID = "#d8dde6"
INK = "#1f2933"
GRID_LINES = 5


@dataclass(frozen=True)
class Series:
    """One row of figures of a chart (一组数据): its name in the legend and a value per category."""

    name: str
    values: Sequence[int]


def find_font(configured: Path | None = None) -> Path | None:
    """The CJK font the charts are drawn with: the configured one (if it exists), else the first installed."""
    for path in (configured, *FONT_CANDIDATES):
        if path is not None and path.is_file():
            return path
    return None


@lru_cache(maxsize=16)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], font: Path) -> bytes:
    """Grouped bars: one group per category, one bar per series, each with its value above it."""
    canvas = _Canvas(title, font, _top(series))
    groups = max(len(categories), 1)
    slot = canvas.plot_width / groups
    bar = slot * 0.8 / max(len(series), 1)
    for i, category in enumerate(categories):
        left = canvas.left + slot * i + slot * 0.1
        for j, row in enumerate(series):
            value = row.values[i]
            x0 = left + bar * j
            y = canvas.y(value)
            canvas.draw.rectangle((x0 + 2, y, x0 + bar - 2, canvas.bottom), fill=COLOURS[j % len(COLOURS)])
            canvas.text_centered(x0 + bar / 2, y - 34, str(value), 24)
        canvas.text_centered(left + slot * 0.4, canvas.bottom + 16, category, 26)
    canvas.legend(series)
    return canvas.png()


def line_chart(title: str, categories: Sequence[str], series: Sequence[Series], font: Path) -> bytes:
    """Lines over the categories (periods), a dot at each point and the last point's value beside it."""
    canvas = _Canvas(title, font, _top(series))
    points = max(len(categories), 1)
    step = canvas.plot_width / points

    def x(i: int) -> float:
        return canvas.left + step * i + step / 2

    every = max(1, -(-len(categories) // 12))  # at most some twelve labels under the axis
    for i, category in enumerate(categories):
        if i % every == 0 or i == len(categories) - 1:
            canvas.text_centered(x(i), canvas.bottom + 16, category, 22)
    for j, row in enumerate(series):
        colour = COLOURS[j % len(COLOURS)]
        xy = [(x(i), canvas.y(v)) for i, v in enumerate(row.values)]
        if len(xy) > 1:
            canvas.draw.line(xy, fill=colour, width=6, joint="curve")
        for px, py in xy:
            canvas.draw.ellipse((px - 8, py - 8, px + 8, py + 8), fill=colour)
        if xy:
            canvas.draw.text((xy[-1][0] + 12, xy[-1][1] - 30), str(row.values[-1]), fill=colour, font=canvas.font(24))
    canvas.legend(series)
    return canvas.png()


def _top(series: Sequence[Series]) -> int:
    return max((v for row in series for v in row.values), default=0)


def _nice_ceiling(value: int) -> int:
    """The axis' top: the value rounded up to 1, 2 or 5 times a power of ten per grid line."""
    step = 1
    while step * GRID_LINES < value:
        for factor in (2, 5 / 2, 2):  # 1 → 2 → 5 → 10 → 20 …
            step = int(step * factor)
            if step * GRID_LINES >= value:
                break
    return step * GRID_LINES


class _Canvas:
    """The frame every chart shares: title, value axis with grid lines, legend."""

    def __init__(self, title: str, font: Path, top_value: int) -> None:
        self.font_path = font
        self.image = Image.new("RGB", (WIDTH, HEIGHT), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.left, self.right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
        self.top, self.bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
        self.plot_width = self.right - self.left
        self.ceiling = _nice_ceiling(top_value)
        self.text_centered(WIDTH / 2, 30, title, 40)
        for k in range(GRID_LINES + 1):
            value = self.ceiling * k // GRID_LINES
            y = self.y(value)
            self.draw.line((self.left, y, self.right, y), fill=GRID if k else INK, width=2)
            label = str(value)
            width = self.draw.textlength(label, font=self.font(22))
            self.draw.text((self.left - 16 - width, y - 14), label, fill=INK, font=self.font(22))

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(self.font_path, size)

    def y(self, value: int) -> float:
        return self.bottom - (self.bottom - self.top) * value / self.ceiling

    def text_centered(self, x: float, y: float, text: str, size: int) -> None:
        width = self.draw.textlength(text, font=self.font(size))
        self.draw.text((x - width / 2, y), text, fill=INK, font=self.font(size))

    def legend(self, series: Sequence[Series]) -> None:
        x = self.left
        for j, row in enumerate(series):
            self.draw.rectangle((x, 96, x + 36, 120), fill=COLOURS[j % len(COLOURS)])
            self.draw.text((x + 46, 92), row.name, fill=INK, font=self.font(26))
            x += 70 + int(self.draw.textlength(row.name, font=self.font(26)))

    def png(self) -> bytes:
        out = io.BytesIO()
        # Not `optimize`: it tries every filter and level, four times slower for a few percent fewer bytes.
        self.image.save(out, format="PNG")
        return out.getvalue()
