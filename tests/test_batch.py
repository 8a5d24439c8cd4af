"""``with flow.batch():`` — many operations as one unit of work, on both backends: all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from walk import CAMPAIGN, TIMES, applicant, application, at, attach_all, new_flow, walk_all

from ami_workflow.errors import InvalidInput, Refused, StorageError


def _facts(flow: Any) -> list[tuple[Any, ...]]:
    """What the journal says, without the salted digests of personal values (random per store)."""
    return [(e.kind, e.campaign, e.dossier, e.at, e.recorded_at, e.actor, e.data, e.personal, e.seq)
            for e in flow.iter_journal()]


def _life(flow: Any, count: int) -> list[str]:
    refs = [flow.create_dossier(applicant(n), application()).reference for n in range(count)]
    for ref in refs:
        attach_all(flow, ref)
    walk_all(flow, refs, "pay")
    return refs


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_batch_records_the_same_events_as_one_by_one(backend: str) -> None:
    alone, batched = new_flow(backend), new_flow(backend)
    _life(alone, 3)
    with batched.batch():
        refs = _life(batched, 3)
        assert batched.get(refs[0]).state == "paid"  # reads inside the batch see its writes
    assert _facts(batched) == _facts(alone)
    assert [d.state for d in batched.dossiers()] == ["paid"] * 3
    assert batched.verify() is None


def test_a_failing_block_keeps_nothing(flow: Any) -> None:
    kept = flow.create_dossier(applicant(9), application()).reference
    head, count = flow.head(), len(list(flow.iter_journal()))
    with pytest.raises(RuntimeError), flow.batch():
        ref = flow.create_dossier(applicant(1), application()).reference
        attach_all(flow, ref)
        flow.erase_personal_data(flow.get(kept).applicant.identity, reason="demande RGPD")
        raise RuntimeError("the caller's own error")
    assert flow.head() == head and len(list(flow.iter_journal())) == count
    assert [d.reference for d in flow.dossiers()] == [kept]
    assert flow.get(kept).applicant.legal_representative == applicant(9).legal_representative
    assert flow.verify() is None
    again = flow.create_dossier(applicant(1), application()).reference  # the store goes on as if nothing happened
    assert again == ref and flow.verify() is None


def test_a_refusal_inside_the_block_changes_nothing_and_the_block_goes_on(flow: Any) -> None:
    with flow.batch():
        ref = flow.create_dossier(applicant(), application()).reference
        at(flow, TIMES["submit"])
        with pytest.raises(Refused):
            flow.fire(ref, "submit")  # no piece yet
        attach_all(flow, ref)
        flow.fire(ref, "submit")
    assert flow.get(ref).state == "submitted"
    assert [e.data["trigger"] for e in flow.history(ref) if e.kind.value == "triggered"] == ["submit"]
    assert flow.verify() is None


def test_a_storage_failure_part_way_spoils_the_batch_even_if_caught(flow: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = flow.create_dossier(applicant(), application()).reference
    attach_all(flow, ref)
    head = flow.head()
    original = type(flow)._store

    def half_then_fail(self: Any, items: Any, blobs: Any) -> None:
        original(self, items, blobs)
        raise StorageError("disk full")

    with pytest.raises(StorageError, match="nothing of the batch was kept"), flow.batch():
        flow.create_dossier(applicant(2), application())
        monkeypatch.setattr(type(flow), "_store", half_then_fail)
        at(flow, TIMES["submit"])
        with pytest.raises(StorageError, match="disk full"):
            flow.fire(ref, "submit")
        monkeypatch.undo()
    assert flow.head() == head
    assert flow.get(ref).state == "draft" and len(flow.dossiers()) == 1
    assert flow.verify() is None


def test_subscribers_hear_of_a_batch_once_it_has_committed(flow: Any) -> None:
    heard: list[str] = []
    flow.subscribe(lambda event: heard.append(event.kind.value))
    with flow.batch():
        flow.create_dossier(applicant(1), application())
        assert heard == []
    assert heard == ["dossier_created"]
    with pytest.raises(RuntimeError), flow.batch():
        flow.create_dossier(applicant(2), application())
        raise RuntimeError("rolled back")
    assert heard == ["dossier_created"]


def test_batches_do_not_nest_and_checkpoints_wait_for_the_commit(flow: Any, tmp_path: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    with flow.batch():
        with pytest.raises(InvalidInput, match="do not nest"), flow.batch():
            pass
        with pytest.raises(InvalidInput, match="inside a batch"):
            flow.checkpoint(key, tmp_path / "anchor.jsonl")
        flow.create_dossier(applicant(), application())
    assert flow.checkpoint(key, tmp_path / "anchor.jsonl").seq == len(list(flow.iter_journal())) - 1


def test_the_sqlite_batch_is_one_transaction(tmp_path: Any) -> None:
    flow = new_flow("sqlite", path=str(tmp_path / "ami.db"))
    commits: list[str] = []
    flow.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
    with flow.batch():
        for n in range(20):
            ref = flow.create_dossier(applicant(n), application()).reference
            flow.attach(ref, "statuts", b"statuts")
    assert commits == ["COMMIT"]
    assert flow.verify() is None and len(flow.dossiers(campaign_id=CAMPAIGN.id)) == 20
    flow.close()
