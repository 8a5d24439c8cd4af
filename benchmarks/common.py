"""What every benchmark shares: a measured figure against its baseline, and interleaved medians.

A benchmark module ``bench_<topic>.py`` exposes ``figures(quick: bool) -> Iterator[Figure]``;
``benchmarks/run.py`` runs them all and prints one table. Every figure is a ratio of two things measured in
the same run: the measured side and its baseline, timed with the same clock, in interleaved rounds so that a
noisy moment hits both, and reported as medians. Nothing passes or fails on timing in the test suite; a
figure's ``target`` is the issue's target, printed beside the ratio.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Figure", "disk_of", "figures_table", "interleaved", "machine", "median_of", "timed"]


@dataclass(frozen=True)
class Figure:
    """One measured figure: ``value`` against ``baseline`` (same unit, same run); lower is better."""

    section: str
    name: str
    value: float
    baseline: float
    baseline_name: str
    unit: str = "ms"
    target: float | None = None  # the ratio value / baseline must stay at or under this
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target


def median_of(samples: list[float]) -> float:
    return statistics.median(samples)


def interleaved(sides: Mapping[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Run each side once per round, alternating the order, and return each side's median.

    Each callable returns the time (or any cost) of one measurement; the order of the sides is reversed on
    every other round so that neither side always runs first.
    """
    names = list(sides)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            samples[name].append(sides[name]())
    return {name: statistics.median(values) for name, values in samples.items()}


def timed(function: Callable[[], object]) -> float:
    """Seconds one call of ``function`` takes."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def disk_of(path: Path) -> str:
    """The file system that holds ``path``, from /proc/mounts."""
    best = ("", "?", "?")
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, kind = line.split()[:3]
            if str(path.resolve()).startswith(mount) and len(mount) >= len(best[0]):
                best = (mount, kind, device)
    except OSError:
        pass
    return f"{best[2]} mounted on {best[0]} ({best[1]})"


def machine() -> str:
    """A one-line description of the machine: CPU model and count, memory, Python."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.0f} GiB"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} × {model}, {memory}, Python {platform.python_version()} on {platform.system()}"


def figures_table(figures: Iterator[Figure] | list[Figure]) -> list[str]:
    """The printed table: one line a figure, with its ratio and its target."""
    lines = []
    header = f"{'section':<10} {'figure':<52} {'measured':>12} {'baseline':>12} {'ratio':>8} {'target':>8}  met"
    lines.append(header)
    for fig in figures:
        target = "" if fig.target is None else f"≤{fig.target:g}"
        met = {None: "", True: "yes", False: "NO"}[fig.met]
        lines.append(
            f"{fig.section:<10} {fig.name:<52} {fig.value:>9.3f} {fig.unit:<2} {fig.baseline:>9.3f} {fig.unit:<2}"
            f" {fig.ratio:>7.2f}x {target:>8}  {met}"
        )
        lines.append(f"{'':<10}   vs {fig.baseline_name}" + (f"; {fig.note}" if fig.note else ""))
    return lines
