"""What every benchmark shares: its options, the figures it reports, and the final table.

A benchmark is a function ``run(env: BenchEnv) -> list[Figure]`` (plain or ``async``) in its
own module, registered by name in ``bench/__main__.py``.  It starts the servers it needs
through :mod:`bench.servers`, measures, and returns figures; the harness prints them all
in one table at the end.  Figures are printed, never asserted: a missed target is
reported as ``miss``, not raised.
"""

from __future__ import annotations

import enum
import math
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["ROOT", "BenchEnv", "Figure", "Goal", "format_table", "say"]

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / ".bench"


class Goal(enum.Enum):
    """How a figure is judged against its target."""

    AT_LEAST = ">="
    AT_MOST = "<="
    RATIO_AT_LEAST = "ratio >="


@dataclass
class Figure:
    """One measured number, optionally beside a reference measured in the same run."""

    benchmark: str
    name: str
    value: float
    unit: str
    reference: float | None = None
    target: float | None = None
    goal: Goal = Goal.AT_LEAST
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.reference is None or not self.reference:
            return None
        return self.value / self.reference

    @property
    def passed(self) -> bool | None:
        """Whether the target is met; None when the figure has no target."""
        if self.target is None or math.isnan(self.value):
            return None if self.target is None else False
        if self.goal is Goal.AT_LEAST:
            return self.value >= self.target
        if self.goal is Goal.AT_MOST:
            return self.value <= self.target
        ratio = self.ratio
        return ratio is not None and ratio >= self.target

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["goal"] = self.goal.value
        data["ratio"] = self.ratio
        data["passed"] = self.passed
        return data


@dataclass
class BenchEnv:
    """Options of one ``python -m bench`` run, passed to every benchmark."""

    quick: bool = False
    pg_url: str | None = None
    redis_url: str | None = None  # SIGNALPOST_REDIS_URL of the servers
    connections: int = 32
    profile: bool = False
    keep: bool = False
    python: str = sys.executable
    output: Path = OUTPUT_DIR
    workdirs: list[Path] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return "postgresql" if self.pg_url else "sqlite"

    def scaled(self, full: int, quick: int) -> int:
        """A size for this run: the full one, or the small one under ``--quick``."""
        return quick if self.quick else full

    def seconds(self, full: float, quick: float) -> float:
        return quick if self.quick else full

    @contextmanager
    def workdir(self, name: str) -> Iterator[Path]:
        """A fresh directory for one benchmark's database and server logs.

        It is removed afterwards unless ``--keep`` was given (logs of a failed server are
        printed before that).
        """
        self.output.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.output))
        self.workdirs.append(path)
        try:
            yield path
        finally:
            if not self.keep:
                shutil.rmtree(path, ignore_errors=True)


def say(message: str) -> None:
    """Progress on stderr, so the table on stdout stays clean."""
    sys.stderr.write(f"  {message}\n")
    sys.stderr.flush()


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _row(f: Figure) -> list[str]:
    target = "-" if f.target is None else f"{f.goal.value} {_number(f.target)}"
    verdict = {None: "", True: "pass", False: "MISS"}[f.passed]
    ratio = "-" if f.ratio is None else f"{f.ratio:.2f}"
    return [
        f.benchmark,
        f.name,
        f"{_number(f.value)} {f.unit}",
        _number(f.reference),
        ratio,
        target,
        verdict,
    ]


def format_table(figures: list[Figure]) -> str:
    """A plain-text table: one line per figure, notes below."""
    header = ["benchmark", "figure", "value", "reference", "ratio", "target", "result"]
    rows = [header, *(_row(f) for f in figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  * {f.benchmark} / {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + (["", *notes] if notes else []))
