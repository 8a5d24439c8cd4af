"""Faults of the SQLite store (issue 14): writers killed with SIGKILL, a full disk, read-only and foreign files.

The kill points are run by ``tests/fault_workers.py`` (its docstring says what each checks); this suite runs 4
of each of its 7 kinds (28), and ``python tools/faults.py --points 140`` runs 20 of each (docs/storage.md).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import fault_workers
import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or not hasattr(os, "fork"),
                                reason="needs fork and SIGKILL")

POINTS_PER_KIND = 4


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("faults")
    fault_workers.templates(root / "templates")
    yield root


@pytest.mark.parametrize("kind", fault_workers.KINDS)
def test_rule_a_writer_killed_at_random_points_loses_no_acknowledged_write(kind: str, folder: Path) -> None:
    """4 kill points of each kind: integrity_check ok, verify() passes, every acknowledged write is there."""
    counts = fault_workers.kill_points(folder, POINTS_PER_KIND, seed=fault_workers.KINDS.index(kind), kinds=(kind,))
    assert counts[kind] == POINTS_PER_KIND
    if kind in ("trigger", "checkpoint", "projection"):  # the child really wrote before most kills
        assert counts[f"{kind} acknowledged"] > 0


def test_the_checks_see_a_lost_acknowledged_write(folder: Path) -> None:
    """The check fails when a write the child acknowledged is not in the file (so a passing check means something)."""
    rng = random.Random(5)
    template = fault_workers.templates(folder / "templates", ("batch",))["batch"]
    fault_workers.run_point("batch", template, folder / "lost", rng)
    path = folder / "lost" / "batch.db"
    with pytest.raises(AssertionError, match="acknowledged event 999999 lost"):
        fault_workers.check("batch", path, [{"seq": 999_999, "hash": "0" * 64}], None)
    with pytest.raises(AssertionError, match="acknowledged dossiers lost"):
        fault_workers.check("batch", path, [{"seq": 1, "hash": _first_hash(path), "refs": ["nowhere"]}], None)


def _first_hash(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT hash FROM events WHERE seq = 1").fetchone()[0])
    finally:
        conn.close()
