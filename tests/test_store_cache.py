"""What the SQLite store keeps in memory between writes stays true: other connections, rollbacks, the counter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from walk import CAMPAIGN, TIMES, applicant, application, at, attach_all, new_flow, walk

from ami_workflow.errors import StorageError
from ami_workflow.store import Workflow


def _two(tmp_path: Path) -> tuple[Any, Any]:
    path = str(tmp_path / "ami.db")
    first = new_flow("sqlite", path=path)
    second = Workflow.open(path, CAMPAIGN.id, clock=first.clock, actor="other")
    return first, second


def test_a_write_by_another_connection_is_seen_by_reads_and_writes(tmp_path: Path) -> None:
    first, second = _two(tmp_path)
    ref = first.create_dossier(applicant(), application()).reference
    attach_all(first, ref)
    assert second.get(ref).state == "draft"  # second now keeps the draft and the journal's head
    at(first, TIMES["submit"])
    first.fire(ref, "submit")
    assert second.get(ref).state == "submitted"
    assert second.head() == first.head()
    at(first, TIMES["mark_complete"])
    second.fire(ref, "mark_complete")  # chained after first's event, from the dossier as first left it
    assert first.get(ref).state == "complete"
    assert first.verify() is None and second.verify() is None
    first.close()
    second.close()


def test_a_write_returns_the_dossier_it_projected_even_after_another_connection_changed_it(tmp_path: Path) -> None:
    first, second = _two(tmp_path)
    ref = first.create_dossier(applicant(), application()).reference
    attach_all(first, ref)
    first.get(ref)
    second.attach(ref, "rib", b"another RIB")  # first still keeps the dossier as it read it
    at(first, TIMES["submit"])
    submitted = first.fire(ref, "submit")  # re-read under the write lock, projected, returned without a re-read
    assert submitted == first.get(ref) == second.get(ref)
    assert submitted.state == "submitted" and submitted.piece("rib").size == len(b"another RIB")
    first.close()
    second.close()


def test_a_new_dossier_by_another_connection_takes_the_next_number(tmp_path: Path) -> None:
    first, second = _two(tmp_path)
    one = first.create_dossier(applicant(1), application()).reference
    two = second.create_dossier(applicant(2), application()).reference
    three = first.create_dossier(applicant(3), application()).reference
    assert [one[-4:], two[-4:], three[-4:]] == ["0001", "0002", "0003"]
    first.close()
    second.close()


def test_a_rolled_back_write_leaves_nothing_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flow = new_flow("sqlite", path=str(tmp_path / "ami.db"))
    ref = flow.create_dossier(applicant(), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "submit")
    head = flow.head()
    original = Workflow._store

    def store_then_fail(self: Workflow, items: Any, blobs: Any) -> None:
        original(self, items, blobs)  # the projections (and what the view keeps) are updated, then the disk fails
        raise StorageError("disk gone")

    monkeypatch.setattr(Workflow, "_store", store_then_fail)
    at(flow, TIMES["mark_complete"])
    with pytest.raises(StorageError):
        flow.fire(ref, "mark_complete")
    monkeypatch.undo()
    assert flow.get(ref).state == "submitted"
    assert flow.head() == head
    assert flow.verify() is None
    flow.fire(ref, "mark_complete")
    assert flow.verify() is None
    flow.close()


def test_the_dossier_counter_is_checked_by_verify() -> None:
    flow = new_flow("sqlite")
    for n in range(3):
        flow.create_dossier(applicant(n), application())
    assert flow.conn.execute("SELECT dossier_count FROM campaigns").fetchone()[0] == 3
    flow.conn.execute("UPDATE campaigns SET dossier_count = 1")
    problem = flow.verify()
    assert problem is not None and "counter says 1" in problem.reason
    flow.close()
