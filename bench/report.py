"""The bench's figures beside their baselines: a printed table (zh-CN) and a JSON document."""

import json
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Spec:
    """How a measured value is shown, and which baseline it is compared to."""

    key: str
    label: str
    unit: str
    baseline: str | None = None  # key of a baseline value
    bar: str = ""  # what issue 14 asks of the figure, shown beside it (e.g. "≤ 4 ms")
    may_be_zero: bool = False  # a share that a short run may not see at all (a process idle in a smoke run)


@dataclass(frozen=True)
class Figure:
    """One figure of ours beside its baseline; `ratio` is ours ÷ baseline.

    For a rate the ratio is the share of the limit we reach; for a latency or a memory figure,
    how many times the baseline it is.
    """

    key: str
    label: str
    value: float | None
    unit: str
    bar: str
    baseline: str | None
    baseline_label: str | None
    baseline_value: float | None
    note: str

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value


@dataclass
class Report:
    started_at: float = field(default_factory=time.time)
    config: dict[str, Any] = field(default_factory=dict)
    measured: dict[str, float | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    baselines: dict[str, float | None] = field(default_factory=dict)
    baseline_labels: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # what each tool printed, for a reader who doubts a figure
    errors: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # figure key → why it was not measured
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])

    def measure(self, key: str, value: float | None, note: str = "") -> None:
        self.measured[key] = None if value is None else round(value, 3)
        if note:
            self.notes[key] = note

    def skip(self, keys: list[str], reason: str) -> None:
        """Figures not measured in this run for a stated reason (a generator not installed): shown, not errors."""
        for key in keys:
            self.skipped[key] = reason

    def baseline(self, key: str, label: str, value: float | None, note: str = "") -> None:
        self.baselines[key] = None if value is None else round(value, 3)
        self.baseline_labels[key] = label
        if note:
            self.notes[key] = note

    def figures(self, specs: list[Spec]) -> list[Figure]:
        known = [s for s in specs if s.key in self.measured]
        extra = [Spec(k, k, "") for k in self.measured if k not in {s.key for s in specs}]
        return [
            Figure(
                key=s.key,
                label=s.label,
                value=self.measured[s.key],
                unit=s.unit,
                bar=s.bar,
                baseline=s.baseline,
                baseline_label=self.baseline_labels.get(s.baseline) if s.baseline else None,
                baseline_value=self.baselines.get(s.baseline) if s.baseline else None,
                note=self.notes.get(s.key, ""),
            )
            for s in known + extra
        ]

    def as_json(self, specs: list[Spec]) -> dict[str, Any]:
        return {
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started_at)),
            "seconds": round(time.time() - self.started_at, 1),
            "machine": {**machine(), "load_average_1m_before": round(self.load_before, 2)},
            "config": self.config,
            "figures": [
                {
                    "key": f.key,
                    "label": f.label,
                    "value": f.value,
                    "unit": f.unit,
                    "bar": f.bar,
                    "baseline": f.baseline,
                    "baseline_label": f.baseline_label,
                    "baseline_value": f.baseline_value,
                    "ratio": None if f.ratio is None else float(f"{f.ratio:.4g}"),
                    "note": f.note,
                }
                for f in self.figures(specs)
            ],
            "baselines": {
                k: {"label": self.baseline_labels.get(k), "value": v, "note": self.notes.get(k, "")}
                for k, v in self.baselines.items()
            },
            "raw": self.raw,
            "errors": self.errors,
            "skipped": self.skipped,
        }

    def write(self, path: Path, specs: list[Spec]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(specs), ensure_ascii=False, indent=2), encoding="utf-8")

    def table(self, specs: list[Spec]) -> str:
        figures = self.figures(specs)
        header = ("指标", "数值", "单位", "要求", "基线", "基线数值", "比值")
        rows = [
            (
                f.label,
                _fmt(f.value),
                f.unit,
                f.bar or "—",
                f.baseline_label or "—",
                _fmt(f.baseline_value),
                _ratio(f.ratio),
            )
            for f in figures
        ]
        widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]
        lines = [_line(header, widths), _line(tuple("-" * w for w in widths), widths)]
        lines += [_line(r, widths) for r in rows]
        noted: set[str] = set()
        notes = []
        for f in figures:
            if f.note and f.key not in noted:
                noted.add(f.key)
                notes.append(f"  {f.label}：{f.note}")
        notes += [f"  {self.baseline_labels[k]}：{self.notes[k]}" for k in self.baselines if k in self.notes]
        if notes:
            lines += ["", "说明：", *notes]
        load = machine()
        lines += [
            "",
            f"机器：{load['cpus']} 核，测前 1 分钟负载 {self.load_before:.2f}，测后 {load['load_average_1m']:.2f}",
        ]
        if self.skipped:
            reasons: dict[str, list[str]] = {}
            for key, reason in self.skipped.items():
                reasons.setdefault(reason, []).append(key)
            lines += ["", "本次未测：", *(f"  {', '.join(keys)}：{reason}" for reason, keys in reasons.items())]
        if self.errors:
            lines += ["", "未能测得：", *(f"  {e}" for e in self.errors)]
        return "\n".join(lines)


def machine() -> dict[str, Any]:
    """Enough to tell one machine (and how busy it was) from another."""
    return {
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2g}×" if value < 0.1 else f"{value:.2f}×"


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()
