"""verify on a large store: the replay a dossier at a time, the pieces' bytes on request, forged bodies reported."""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from walk import (
    DELIBERATION_AT,
    PATH,
    SESSION_ID,
    TIMES,
    applicant,
    application,
    at,
    attach_all,
    new_flow,
    session,
    walk,
    walk_all,
)

from ami_workflow import Deliberation
from ami_workflow.calendar import PARIS
from ami_workflow.core.events import Event, Kind
from ami_workflow.core.evolve import fold
from ami_workflow.core.replay import Replay, dossiers_of
from ami_workflow.journal import GENESIS

TARGETS = ("draft", *PATH, "withdraw")


def _walked(targets: list[str], erase: bool) -> Any:
    """A memory store whose dossiers (some of one applicant) went to their targets, one applicant erased."""
    flow = new_flow("memory")
    refs = [flow.create_dossier(applicant(n % 3), application()).reference for n in range(len(targets))]
    for ref in refs:
        attach_all(flow, ref)
    data: dict[str, dict[str, Any]] = {"instruct": {"criteria": []}, "hear": {"session": SESSION_ID}}
    for step, trigger in enumerate(PATH):
        movers = [r for r, t in zip(refs, targets, strict=True) if t in PATH and PATH.index(t) >= step]
        if not movers:
            break
        at(flow, TIMES[trigger])
        if trigger == "hear":
            flow.record_session(session())
        if trigger == "pay":
            at(flow, DELIBERATION_AT)
            flow.record_deliberation(Deliberation("DEL-2021-001", DELIBERATION_AT.date(), tuple(movers),
                                                  enforceable_on=DELIBERATION_AT.date()))
            at(flow, TIMES["pay"])
        for ref in movers:
            flow.fire(ref, trigger, actor="test", **data.get(trigger, {}))
    for ref, target in zip(refs, targets, strict=True):
        if target == "withdraw":
            flow.fire(ref, "withdraw", actor="test", reason="Le porteur renonce.")
    if erase:
        at(flow, datetime(2032, 1, 2, 9, tzinfo=PARIS))  # past the retention of a granted dossier ([retention])
        flow.erase_personal_data(applicant(0).identity, reason="demande RGPD")
    return flow


@settings(max_examples=10, deadline=None)
@given(st.lists(st.sampled_from(TARGETS), min_size=1, max_size=4), st.booleans())
def test_a_replay_a_dossier_at_a_time_gives_what_the_fold_gives(targets: list[str], erase: bool) -> None:
    events = [e for e in _walked(targets, erase).iter_journal() if e.kind is not Kind.LEGACY]
    world = fold(events)
    replay = Replay()
    own: list[Event] = []
    for event in events:  # campaign-wide first, in order; a dossier's own events kept for it
        if event.dossier is None or event.kind in (Kind.CAMPAIGN_ADDED, Kind.PERSONAL_DATA_ERASED):
            replay.add(event)
        else:
            own.append(event)
    own.sort(key=lambda e: (e.dossier or "", e.seq or 0))
    replayed = {}
    for reference, group in itertools.groupby(own, key=lambda e: e.dossier):
        assert reference is not None
        mine = list(group)
        assert all(dossiers_of(e) == (reference,) for e in mine)
        replayed[reference] = replay.dossier(reference, mine)
    assert replayed == world.dossiers
    assert replay.world.campaigns == world.campaigns  # records, copied drafts and the count of dossiers
    assert replay.world.erased_files == world.erased_files
    assert replay.world.events == world.events


def _stored(tmp_path: Path) -> tuple[Any, str, str]:
    path = str(tmp_path / "ami.db")
    flow = new_flow("sqlite", path=path)
    ref = flow.create_dossier(applicant(1), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "submit")
    assert flow.verify() is None and flow.verify(files=False) is None
    return flow, ref, path


def test_the_pieces_bytes_are_hashed_again_unless_asked_not_to(tmp_path: Path) -> None:
    flow, _, _ = _stored(tmp_path)
    flow.conn.execute("UPDATE files SET content = X'00', size = 1 WHERE rowid = (SELECT MIN(rowid) FROM files)")
    problem = flow.verify()
    assert problem is not None and "piece content changed" in problem.reason
    assert flow.verify(files=False) is None  # same size, same presence: only the bytes' SHA-256 would tell
    flow.conn.execute("DELETE FROM files WHERE rowid = (SELECT MIN(rowid) FROM files)")
    problem = flow.verify(files=False)
    assert problem is not None and "is missing or erased" in problem.reason  # presence is still checked
    flow.close()


def _rechain(conn: sqlite3.Connection, edit: Any) -> None:
    """Rewrite the journal with ``edit`` applied to each text, recomputing every hash (a full forgery)."""
    previous = GENESIS
    for seq, text in conn.execute("SELECT seq, body FROM events ORDER BY seq").fetchall():
        new = edit(seq, text)
        digest = hashlib.sha256(f"{previous}\n{new}".encode()).hexdigest()
        conn.execute("UPDATE events SET body = ?, previous = ?, hash = ? WHERE seq = ?", (new, previous, digest, seq))
        previous = digest


def test_a_rehashed_body_that_is_not_json_is_reported_not_raised(tmp_path: Path) -> None:
    flow, _, _ = _stored(tmp_path)
    last = flow.conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    _rechain(flow.conn, lambda seq, text: "<garbage>" + text if seq == last else text)
    problem = flow.verify()
    assert problem is not None and f"event {last}" in problem.reason and "not JSON" in problem.reason, problem
    flow.close()


def test_a_rehashed_event_that_cannot_be_replayed_is_reported_not_raised(tmp_path: Path) -> None:
    flow, ref, _ = _stored(tmp_path)
    submit = flow.conn.execute("SELECT seq FROM events WHERE trigger = 'submit'").fetchone()[0]
    _rechain(flow.conn, lambda seq, text: text.replace('"dest":"submitted",', "") if seq == submit else text)
    flow.conn.execute("UPDATE events SET dest = NULL WHERE seq = ?", (submit,))
    problem = flow.verify()
    assert problem is not None and ref in problem.reason and "cannot be replayed" in problem.reason, problem
    flow.close()


def test_verify_reads_one_state_while_another_process_writes(tmp_path: Path) -> None:
    flow, ref, path = _stored(tmp_path)
    other = new_flow("sqlite", path=path, start=TIMES["mark_complete"])
    events = flow.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    seen = []
    checked = flow._projection_problems

    def meanwhile() -> str | None:  # another process commits while verify is under way
        other.fire(ref, "mark_complete", actor="test")
        seen.append(flow.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        return checked()

    flow._projection_problems = meanwhile
    assert flow.verify() is None
    assert seen == [events]  # the state whose chain was checked, not the one written since
    assert flow.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == events + 1
    other.close()
    flow.close()


def test_the_links_of_several_deliberations_are_each_checked(tmp_path: Path) -> None:
    flow = new_flow("sqlite", path=str(tmp_path / "ami.db"))
    refs = [flow.create_dossier(applicant(n), application()).reference for n in range(4)]
    for ref in refs:
        attach_all(flow, ref)
    walk_all(flow, refs, "approve")
    at(flow, DELIBERATION_AT)
    flow.record_deliberation(Deliberation("DEL-2021-001", DELIBERATION_AT.date(), tuple(refs[:2]),
                                          enforceable_on=DELIBERATION_AT.date()))
    flow.record_deliberation(Deliberation("DEL-2021-002", DELIBERATION_AT.date(), tuple(refs[2:]),
                                          enforceable_on=DELIBERATION_AT.date()))
    assert flow.verify() is None
    flow.conn.execute("UPDATE deliberation_dossiers SET deliberation = 'DEL-2021-001' WHERE reference = ?", (refs[3],))
    problem = flow.verify()
    assert problem is not None and f"the deliberation links of {refs[3]}" in problem.reason, problem
    flow.close()
