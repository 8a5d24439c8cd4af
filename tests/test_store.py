"""The stores: transactions, versions, journal, migrations, pieces, views, tampering and bad input.

Tests about behaviour take the ``flow`` fixture (tests/conftest.py) and run on
both backends; tests of SQLite itself (tables, files, migrations, tampering
with plain ``sqlite3``) use ``sql``, a SQLite store on the same simulated clock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from walk import (
    CAMPAIGN,
    DELIBERATION_AT,
    SESSION_ID,
    TIMES,
    VALID_IBAN,
    applicant,
    application,
    at,
    attach_all,
    new_flow,
    session,
    walk,
    walk_all,
)

from ami_workflow import (
    Convention,
    Deliberation,
    Dossier,
    IllegalTrigger,
    InvalidInput,
    Kind,
    MemoryWorkflow,
    NotFound,
    Refused,
    parse_campaign,
)
from ami_workflow.calendar import PARIS
from ami_workflow.codec import converter
from ami_workflow.journal import GENESIS, canonical_json, link_with_text, personal_data_digest
from ami_workflow.store import VersionConflict, Workflow


@pytest.fixture
def sql() -> Any:
    store = new_flow("sqlite")
    yield store
    store.close()


def new_dossier(flow: Any, n: int = 1, **changes: object) -> str:
    """A draft created now, with every piece attached on 1 April."""
    ref: str = flow.create_dossier(applicant(n), application(**changes)).reference
    attach_all(flow, ref)
    return ref


def snapshot(flow: Any) -> tuple[Any, ...]:
    """Everything a refused or invalid action must leave alone (and, on SQLite, not one row written)."""
    changes = flow.conn.total_changes if isinstance(flow, Workflow) else None
    return (flow.dossiers(), len(flow.events()), flow.head(), flow.totals(), changes)


# -- behaviour, on both backends ----------------------------------------------------


def test_whole_life_is_stored_and_journaled(flow: Any) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "approve")
    at(flow, DELIBERATION_AT)
    flow.record_deliberation(Deliberation("DEL-1", date(2021, 9, 27), [ref], enforceable_on=date(2021, 9, 27)))
    at(flow, TIMES["pay"])
    flow.fire(ref, "pay", amount=Decimal("1000.00"))
    assert flow.get(ref).state == "approved"
    flow.fire(ref, "pay")
    stored = flow.get(ref)
    assert stored.state == "paid" and stored.paid == Decimal("5000.00")
    triggers = [e.trigger for e in flow.history(ref) if e.kind in (Kind.DOSSIER_CREATED, Kind.TRIGGERED)]
    assert triggers == ["dossier_created", "submit", "mark_complete", "instruct", "hear", "approve", "pay", "pay"]
    assert all(e.actor == "test" for e in flow.history(ref))
    assert flow.verify() is None
    assert flow.replayed_states() == {ref: "paid"}
    totals = flow.totals()
    assert (totals.approved, totals.paid) == (Decimal("5000.00"), Decimal("5000.00"))


def test_stored_dossier_round_trips_exactly(flow: Any) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "instruct")
    dossier = flow.get(ref)
    assert converter.structure(converter.unstructure(dossier), type(dossier)) == dossier
    assert dossier.instruction is not None and dossier.instruction.ceiling == Decimal("5000.00")


def test_refused_trigger_writes_nothing_to_the_journal(flow: Any) -> None:
    ref = new_dossier(flow)
    at(flow, datetime(2021, 5, 1, 0, 0, tzinfo=PARIS))
    before = snapshot(flow)
    with pytest.raises(Refused, match="deadline"):
        flow.fire(ref, "submit")
    assert snapshot(flow) == before


def test_backdated_or_future_acts_are_refused_and_change_nothing(flow: Any) -> None:
    ref = new_dossier(flow)
    at(flow, TIMES["submit"])
    before = snapshot(flow)
    with pytest.raises(InvalidInput, match="dated when the service receives it"):
        flow.fire(ref, "submit", at=TIMES["submit"])
    assert snapshot(flow) == before
    flow.fire(ref, "submit")
    at(flow, TIMES["mark_complete"])
    before = snapshot(flow)
    with pytest.raises(Refused, match="after the moment it is recorded"):
        flow.fire(ref, "mark_complete", at=TIMES["instruct"])
    with pytest.raises(Refused, match="before the dossier's last recorded act"):
        flow.fire(ref, "mark_complete", at=datetime(2021, 4, 1, tzinfo=PARIS))
    with pytest.raises(Refused, match="not been held yet"):
        flow.record_session(session())
    assert snapshot(flow) == before
    dossier = flow.fire(ref, "mark_complete", at=datetime(2021, 5, 2, 9, tzinfo=PARIS))  # between: accepted
    assert dossier.state == "complete" and flow.history(ref)[-1].at == datetime(2021, 5, 2, 9, tzinfo=PARIS)
    assert flow.history(ref)[-1].recorded_at >= TIMES["mark_complete"]


def test_refusal_can_be_kept_outside_the_chain(flow: Any) -> None:
    ref = new_dossier(flow)
    at(flow, datetime(2021, 5, 2, tzinfo=PARIS))
    events = len(flow.events())
    with pytest.raises(Refused):
        flow.fire(ref, "submit", keep_refusal=True, actor="instructrice")
    if isinstance(flow, Workflow):
        rows = flow.conn.execute("SELECT dossier, trigger, reasons, actor FROM refusals").fetchall()
        assert rows and rows[0][:2] == (ref, "submit") and "deadline" in rows[0][2] and rows[0][3] == "instructrice"
    else:
        assert flow.refusals and flow.refusals[0][:2] == (ref, "submit")
        assert any("deadline" in reason for reason in flow.refusals[0][2])
    assert len(flow.events()) == events
    assert flow.verify() is None


def test_stale_version_is_a_conflict_and_changes_nothing(flow: Any) -> None:
    ref = new_dossier(flow)
    copy = flow.get(ref)
    at(flow, TIMES["submit"])
    flow.fire(ref, "submit", expected_version=copy.version)
    before = snapshot(flow)
    with pytest.raises(VersionConflict, match="re-read"):
        flow.fire(ref, "withdraw", expected_version=copy.version)
    with pytest.raises(VersionConflict):
        flow.update_application(ref, application(title="Autre"), expected_version=copy.version)
    assert snapshot(flow) == before
    assert flow.get(ref).state == "submitted"


def test_update_application_needs_the_version_read(flow: Any) -> None:
    ref = flow.create_dossier(applicant(1), application()).reference
    with pytest.raises(TypeError):
        flow.update_application(ref, application(title="Autre"))  # expected_version is required
    dossier = flow.update_application(ref, application(title="Autre"), expected_version=flow.get(ref).version)
    assert dossier.application.title == "Autre" and flow.history(ref)[-1].kind is Kind.APPLICATION_UPDATED


def test_illegal_trigger_and_unknown_dossier(flow: Any) -> None:
    ref = new_dossier(flow)
    before = snapshot(flow)
    with pytest.raises(IllegalTrigger):
        flow.fire(ref, "pay")
    with pytest.raises(NotFound):
        flow.fire("nope", "submit")
    with pytest.raises(InvalidInput):
        flow.fire(ref, "pay", amount=12.5)
    assert snapshot(flow) == before


def test_identifiers_are_validated_before_writing(flow: Any) -> None:
    before = snapshot(flow)
    with pytest.raises(InvalidInput, match=r"siren.*iban"):
        flow.create_dossier(applicant(1, siren="123456789", iban="FR00"))
    with pytest.raises(InvalidInput, match="rna"):
        flow.create_dossier(applicant(1, siren=None, rna="W12"))
    assert snapshot(flow) == before
    with pytest.raises(InvalidInput, match="siren or rna: required for Association"):  # the 2021 call's file
        flow.create_dossier(applicant(2, siren=None, rna=None, name="Verein Elsass"))
    assert snapshot(flow) == before


def test_every_event_needs_an_actor(flow: Any) -> None:
    anonymous = (
        MemoryWorkflow(CAMPAIGN, clock=flow.clock)
        if isinstance(flow, MemoryWorkflow)
        else Workflow.open(":memory:", CAMPAIGN, clock=flow.clock)
    )
    with pytest.raises(InvalidInput, match="say who acts"):
        anonymous.create_dossier(applicant(1), application())
    assert anonymous.dossiers() == []
    assert anonymous.create_dossier(applicant(1), application(), actor="accueil").reference


def test_pieces_are_content_addressed_and_names_never_trusted(flow: Any, tmp_path: Path) -> None:
    ref = flow.create_dossier(applicant(1), application()).reference
    source = tmp_path / "statuts.pdf"
    source.write_bytes(b"%PDF statuts")
    flow.attach(ref, "statuts", source, media_type="application/pdf")
    dossier = flow.attach(ref, "rib", b"RIB", filename="../../etc/passwd\x00")
    statuts, rib = dossier.piece("statuts"), dossier.piece("rib")
    assert statuts is not None and rib is not None
    assert statuts.filename == "statuts.pdf" and statuts.size == 12 and statuts.media_type == "application/pdf"
    assert rib.filename == "passwd"
    assert statuts.received_on == flow.clock.now().date()  # dated by the store's clock
    assert flow.file(statuts.sha256 or "") == b"%PDF statuts"
    before = snapshot(flow)
    with pytest.raises(InvalidInput, match="unknown piece"):
        flow.attach(ref, "photo", b"x")
    with pytest.raises(InvalidInput):
        flow.attach(ref, "rib", tmp_path / "missing.pdf")
    assert snapshot(flow) == before


def test_decisions_are_checked_and_journaled(flow: Any) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "hear")
    before = snapshot(flow)
    with pytest.raises(Refused, match="not approved"):
        flow.record_deliberation(Deliberation("DEL-1", date(2021, 9, 27), [ref], enforceable_on=date(2021, 9, 27)))
    assert snapshot(flow) == before and flow.deliberations() == []
    flow.fire(ref, "approve")
    at(flow, datetime(2021, 7, 2, 9, tzinfo=PARIS))
    late = session().__class__("s2", date(2021, 7, 1), "VP", CAMPAIGN.committee.chair_role, session().members)
    with pytest.raises(Refused, match="outside the jury window"):
        flow.record_session(late)
    flow.amend_calendar("jury", date(2021, 6, 1), date(2021, 7, 9), reason="comité reporté")
    assert flow.calendar().jury.end == date(2021, 7, 9)
    flow.record_session(late)  # inside the amended window
    at(flow, datetime(2021, 9, 28, 9, tzinfo=PARIS))
    flow.record_convention(Convention(ref, "CONV-1", date(2021, 9, 28)))
    kinds = [e.body["kind"] for e in flow.events()]
    assert {"session_recorded", "calendar_amended", "convention_recorded"} <= set(kinds)
    assert flow.verify() is None


def test_personal_values_never_reach_the_chained_bodies(flow: Any) -> None:
    ref = new_dossier(flow)
    bodies = canonical_json([e.body for e in flow.events()])
    assert "Claire Dupont" not in bodies and VALID_IBAN not in bodies
    created = flow.history(ref)[0]
    assert created.personal == {"applicant.legal_representative": "Claire Dupont", "applicant.iban": VALID_IBAN}
    chained = flow.dossier_events(ref)[0].body
    assert set(chained) == {"kind", "campaign", "dossier", "at", "recorded_at", "actor", "data", "personal", "seq"}
    assert len(chained["personal"]["applicant.legal_representative"]) == 64  # a salted digest
    assert flow.get(ref).applicant.legal_representative == "Claire Dupont"


def test_personal_data_export_and_erase_keep_the_journal_verifiable(flow: Any) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "submit")
    identity = flow.get(ref).applicant.identity
    export = flow.export_applicant(identity)
    assert export["identity"] == identity
    assert [d["reference"] for d in export["dossiers"]] == [ref]
    assert {v for e in export["events"] for v in e["personal"].values()} == {"Claire Dupont", VALID_IBAN}
    assert [e["data"]["trigger"] for e in export["events"] if e["kind"] == "triggered"] == ["submit"]
    lists = [flow.get(ref).piece(key) for key in ("liste_ca", "liste_bureau")]
    assert all(p is not None and flow.file(p.sha256 or "") for p in lists)
    head = flow.events()[-1].hash

    at(flow, TIMES["mark_complete"])
    erased = flow.erase_personal_data(identity, reason="demande de la présidente")
    # Two names (the legal representative, the signer of the form), the IBAN and the bytes of the two lists.
    assert erased == 5
    assert flow.verify() is None
    assert flow.events()[-2].hash == head  # the chain before the erasure is untouched
    dossier = flow.get(ref)
    assert dossier.applicant.legal_representative == "[erased]" and dossier.applicant.iban == "[erased]"
    assert dossier.originals[0].signed_by == "[erased]"
    for piece in lists:
        with pytest.raises(NotFound, match="erased"):
            flow.file(piece.sha256 or "")
    assert "Claire Dupont" not in json.dumps(flow.export_applicant(identity), ensure_ascii=False)
    if isinstance(flow, Workflow):
        assert "Claire Dupont" not in "\n".join(flow.conn.iterdump())
    # The dossier goes on: an erased name still counts as a signed original.
    flow.fire(ref, "mark_complete")
    assert flow.get(ref).state == "complete"
    with pytest.raises(NotFound):
        flow.export_applicant("siren:000000000")


def test_batch_approval_is_one_transaction_and_allocates(flow: Any) -> None:
    refs = [
        flow.create_dossier(
            applicant(n), application(total_cost=Decimal("100000.00"), requested=Decimal("45000.00"))
        ).reference
        for n in range(4)
    ]
    draft = flow.create_dossier(applicant(5), application()).reference
    for ref in [*refs, draft]:
        attach_all(flow, ref)
    walk_all(flow, refs, "hear")
    at(flow, TIMES["approve"])
    before = snapshot(flow)
    with pytest.raises(Refused, match="has not been instructed"):
        flow.approve_batch([*refs, draft])
    assert snapshot(flow) == before and flow.totals().approved == 0
    with pytest.raises(Refused, match="after the moment it is recorded"):
        flow.approve_batch(refs, at=TIMES["pay"])
    assert snapshot(flow) == before
    result = flow.approve_batch(refs)
    assert result.scaled and sum(result.approved.values()) == CAMPAIGN.envelope.amount
    assert flow.totals().approved == Decimal("150000.00")
    assert {flow.get(r).state for r in refs} == {"approved"}
    assert flow.verify() is None


def test_subscribers_run_after_commit_and_cannot_break_a_transition(
    flow: Any, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, str, int]] = []

    def record(event: Any) -> None:
        # The transition is already committed when a subscriber runs.
        seen.append((event.trigger, flow.get(event.dossier).state, len(flow.events())))

    def broken(event: object) -> None:
        raise RuntimeError("SMTP server down")

    flow.subscribe(broken)
    stop = flow.subscribe(record)
    ref = new_dossier(flow)
    seen.clear()
    at(flow, TIMES["submit"])
    events = len(flow.events())
    with caplog.at_level("ERROR", logger="ami_workflow"):
        dossier = flow.fire(ref, "submit")
    assert dossier.state == "submitted" and flow.get(ref).state == "submitted"
    assert seen == [("submit", "submitted", events + 1)]
    assert "SMTP server down" in caplog.text
    with pytest.raises(Refused):
        flow.fire(ref, "mark_complete", at=TIMES["pay"])  # dated after now
    assert len(seen) == 1  # a refused trigger notifies nobody
    stop()
    flow.fire(ref, "withdraw")
    assert len(seen) == 1
    with pytest.raises(InvalidInput):
        flow.subscribe("not callable")


def test_a_committee_members_name_can_be_erased(flow: Any) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "instruct")
    at(flow, TIMES["hear"])
    flow.record_session(session())
    assert flow.erase_committee_member("Membre habitants", reason="demande") == 1
    members = [m.name for m in flow.sessions()[0].members]
    assert "[erased]" in members and "Membre habitants" not in members
    if isinstance(flow, Workflow):
        assert "Membre habitants" not in "\n".join(flow.conn.iterdump())
    flow.fire(ref, "hear", session=SESSION_ID)  # the session still hears dossiers
    assert flow.verify() is None
    assert flow.erase_committee_member("Nobody", reason="x") == 0


def test_blind_updates_are_never_lost(tmp_path: Path, flow: Any) -> None:
    """8 writers × 50 read-modify-writes on one dossier, each passing the version it read: none is lost."""
    if isinstance(flow, Workflow):
        path = tmp_path / "race.db"
        first = new_flow("sqlite", path=str(path))
        ref = first.create_dossier(applicant(1), application()).reference
        first.close()

        def store() -> Any:
            return Workflow.open(path, CAMPAIGN.id, clock=flow.clock, actor="test")
    else:
        ref = flow.create_dossier(applicant(1), application()).reference

        def store() -> Any:
            return flow

    start = store().get(ref).version
    errors: list[BaseException] = []
    conflicts = [0]

    def writer(n: int) -> None:
        mine = store()
        try:
            for i in range(50):
                while True:
                    current = mine.get(ref)
                    participants = current.application.participants + 1
                    try:
                        mine.update_application(
                            ref,
                            application(participants=participants, title=f"écrit par {n}/{i}"),
                            expected_version=current.version,
                        )
                        break
                    except VersionConflict:
                        conflicts[0] += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            if mine is not flow:
                mine.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check = store()
    final = check.get(ref)
    assert final.version == start + 400
    assert final.application.participants == 100 + 400  # every increment read the one before
    assert sum(e.kind is Kind.APPLICATION_UPDATED for e in check.history(ref)) == 400
    assert check.verify() is None
    if check is not flow:
        check.close()


# -- SQLite only --------------------------------------------------------------------


def test_file_database_uses_wal_and_full_sync_by_default(tmp_path: Path) -> None:
    path = tmp_path / "ami.db"
    with Workflow.open(path, CAMPAIGN) as flow:
        assert flow.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert flow.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with Workflow.open(path, CAMPAIGN, synchronous="normal") as flow:
        assert flow.conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    with pytest.raises(InvalidInput, match="synchronous"):
        Workflow.open(path, CAMPAIGN, synchronous="fast")


def test_reopen_keeps_everything_and_migrates_once(tmp_path: Path) -> None:
    path = str(tmp_path / "ami.db")
    flow = new_flow("sqlite", path=path)
    ref = new_dossier(flow)
    flow.close()
    with Workflow.open(path, CAMPAIGN) as flow:
        assert flow.get(ref).state == "draft"
        assert flow.verify() is None
        names = [r[0] for r in flow.conn.execute("SELECT name FROM _sqlite_migrations")]
        assert names == [
            "m001_initial",
            "m002_totals_links_personal_data",
            "m003_applicant_index",
            "m004_totals_only_when_shares_change",
            "m005_events_are_the_truth",
            "m006_dossier_counter",
        ]


def test_many_campaigns_and_applicants_matched_by_siren(sql: Workflow) -> None:
    flow = sql
    text = (Path(__file__).parent.parent / "ami_workflow" / "calls" / "ami-cohesion-sociale-2021.toml").read_text(
        "utf-8"
    )
    next_year = parse_campaign(
        text.replace('id = "ami-cohesion-sociale-2021"', 'id = "ami-cohesion-sociale-2022"').replace(
            "year = 2021", "year = 2022"
        )
    )
    flow.add_campaign(next_year)
    assert flow.campaign_ids() == ["ami-cohesion-sociale-2021", "ami-cohesion-sociale-2022"]
    a = flow.create_dossier(applicant(1)).reference
    b = flow.create_dossier(applicant(1, name="Asso renommée"), campaign_id=next_year.id).reference
    ids = {r[0] for r in flow.conn.execute("SELECT applicant_id FROM dossiers WHERE reference IN (?, ?)", (a, b))}
    assert len(ids) == 1
    assert flow.conn.execute("SELECT name FROM applicants").fetchall() == [("Asso renommée",)]
    before = snapshot(flow)
    with pytest.raises(Refused, match="different call file"):
        flow.add_campaign(parse_campaign(text.replace('amount = "150000.00"', 'amount = "1.00"')))
    assert snapshot(flow) == before
    assert flow.verify() is None


def test_views_answer_the_common_questions(sql: Workflow) -> None:
    flow = sql
    ref = new_dossier(flow, qpv_codes=("QP062024", "QP062026"))
    walk(flow, ref, "approve")
    overview = dict(
        zip(
            ("reference", "state", "qpv", "ceiling_cents", "approved_cents"),
            flow.conn.execute(
                "SELECT reference, state, qpv, ceiling_cents, approved_cents FROM dossier_overview"
            ).fetchone(),
            strict=True,
        )
    )
    assert overview == {
        "reference": ref,
        "state": "approved",
        "qpv": "QP062024 QP062026",
        "ceiling_cents": 500000,
        "approved_cents": 500000,
    }
    envelope = flow.conn.execute(
        "SELECT envelope_cents, approved_cents, remaining_cents FROM envelope_consumed"
    ).fetchone()
    assert envelope == (15_000_000, 500_000, 14_500_000)


def test_dossier_json_holds_no_personal_data(sql: Workflow) -> None:
    ref = new_dossier(sql)
    stored = sql.conn.execute("SELECT data FROM dossiers WHERE reference = ?", (ref,)).fetchone()[0]
    assert sql.get(ref).applicant.legal_representative == "Claire Dupont"
    assert "Claire Dupont" not in stored


def test_open_by_campaign_id_or_latest(tmp_path: Path) -> None:
    path = tmp_path / "ami.db"
    with pytest.raises(NotFound, match="no campaign yet"):
        Workflow.open(path)
    Workflow.open(path, CAMPAIGN, synchronous="OFF").close()
    with Workflow.open(path) as flow:
        assert flow.campaign == CAMPAIGN
    with Workflow.open(path, CAMPAIGN.id) as flow:
        assert flow.campaign.id == CAMPAIGN.id
    with pytest.raises(NotFound, match="holds ami-cohesion-sociale-2021"):
        Workflow.open(path, "ami-2099")


def test_no_name_reaches_the_journal_and_erased_names_cannot_be_guessed(sql: Workflow) -> None:
    flow = sql
    ref = new_dossier(flow)
    flow.attach(ref, "liste_ca", b"Jean Martin, Sophie Durand", filename="liste_CA_Martin_Durand.pdf")
    assert flow.get(ref).piece("liste_ca").filename is None  # type: ignore[union-attr]
    at(flow, TIMES["hear"])
    flow.record_session(session())
    journal = "\n".join(body for (body,) in flow.conn.execute("SELECT body FROM events"))
    for name in ("Claire Dupont", "Martin", "Membre personnalites", "Vice-président"):
        assert name not in journal, name
    seq, path, salt = flow.conn.execute(
        "SELECT seq, path, salt FROM personal_values WHERE value = 'Claire Dupont' ORDER BY seq"
    ).fetchone()
    digest = json.loads(flow.conn.execute("SELECT body FROM events WHERE seq = ?", (seq,)).fetchone()[0])["personal"][
        path
    ]
    assert personal_data_digest(salt, "Claire Dupont") == digest  # before the erasure, the digest matches
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande")
    assert (
        flow.conn.execute(
            "SELECT salt, value FROM personal_values WHERE subject = ? AND (value IS NOT NULL OR salt != '')", (ref,)
        ).fetchall()
        == []
    )
    assert flow.verify() is None


def test_running_totals_equal_a_recount_after_approvals_payments_and_withdrawals(sql: Workflow) -> None:
    flow = sql
    refs = [
        flow.create_dossier(applicant(n), application(axis=("sante", "education")[n % 2])).reference for n in range(4)
    ]
    for ref in refs:
        attach_all(flow, ref)
    walk_all(flow, refs, "approve")
    at(flow, DELIBERATION_AT)
    flow.record_deliberation(Deliberation("DEL-1", date(2021, 9, 27), refs, enforceable_on=date(2021, 9, 27)))
    at(flow, TIMES["pay"])
    flow.fire(refs[0], "pay", amount=Decimal("1000.00"))
    flow.fire(refs[1], "pay")
    flow.fire(refs[2], "withdraw")
    recount = {
        (scope, key): (approved, paid)
        for scope, key, approved, paid in flow.conn.execute(
            """SELECT 'campaign', '', SUM(approved_cents), SUM(paid_cents) FROM dossiers WHERE state != 'withdrawn'
               UNION ALL SELECT 'axis', axis, SUM(approved_cents), SUM(paid_cents) FROM dossiers
                   WHERE state != 'withdrawn' GROUP BY axis
               UNION ALL SELECT 'applicant', CAST(applicant_id AS TEXT), SUM(COALESCE(approved_cents, 0)),
                   SUM(paid_cents) FROM dossiers WHERE state != 'withdrawn' GROUP BY applicant_id"""
        )
    }
    kept = {
        (scope, key): (approved, paid)
        for scope, key, approved, paid in flow.conn.execute(
            "SELECT scope, key, approved_cents, paid_cents FROM totals WHERE approved_cents != 0 OR paid_cents != 0"
        )
    }
    assert kept == {k: v for k, v in recount.items() if v != (0, 0)}
    assert flow.totals().approved == Decimal("15000.00") and flow.totals().paid == Decimal("6000.00")
    assert flow.verify() is None


def _first_schema_file(tmp_path: Path, *, deliberation: bool) -> str:
    """A file at the first schema only (m001) holding one approved dossier, as an older ami_workflow left it."""
    from sqlite_utils import Database

    from ami_workflow.store import SCHEMA_MIGRATIONS

    path = tmp_path / "v1.db"
    db = Database(path)
    SCHEMA_MIGRATIONS.apply(db, stop_before="m002_totals_links_personal_data")
    data = converter.unstructure(walked_dossier())
    db.execute(
        "INSERT INTO campaigns VALUES (?, 2021, 't', 15000000, ?)",
        (CAMPAIGN.id, canonical_json(converter.unstructure(CAMPAIGN))),
    )
    db.execute("INSERT INTO applicants (id, identity, name, kind) VALUES (1, 'siren:552100554', 'A', 'association')")
    db.execute(
        "INSERT INTO dossiers (reference, campaign_id, applicant_id, state, version, approved_cents, paid_cents, axis, "
        "data)"
        " VALUES ('OLD-1', ?, 1, 'approved', 6, 500000, 0, 'numerique', ?)",
        (CAMPAIGN.id, canonical_json({**data, "reference": "OLD-1"})),
    )
    if deliberation:
        db.execute(
            "INSERT INTO records (campaign_id, kind, key, data) VALUES (?, 'deliberation', 'DEL-1', ?)",
            (CAMPAIGN.id, canonical_json({"reference": "DEL-1", "day": "2021-09-27", "dossiers": ["OLD-1"]})),
        )
    db.conn.commit()
    db.close()
    return str(path)


def test_migration_from_the_first_schema_moves_data_into_place(tmp_path: Path) -> None:
    flow = new_flow("sqlite", path=_first_schema_file(tmp_path, deliberation=True), start=TIMES["pay"])
    try:
        assert flow.totals().approved == Decimal("5000.00")
        stored = flow.conn.execute("SELECT data FROM dossiers").fetchone()[0]
        assert "Claire Dupont" not in stored
        assert flow.conn.execute("SELECT reference FROM deliberation_dossiers").fetchall() == [("OLD-1",)]
        flow.fire("OLD-1", "pay")
        assert flow.totals().paid == Decimal("5000.00")
    finally:
        flow.close()


def test_a_migrated_dossier_keeps_its_personal_data(tmp_path: Path) -> None:
    flow = new_flow("sqlite", path=_first_schema_file(tmp_path, deliberation=False), start=TIMES["pay"])
    try:
        assert flow.get("OLD-1").applicant.legal_representative == "Claire Dupont"
    finally:
        flow.close()


def walked_dossier() -> Dossier:
    memory = new_flow("memory")
    ref = memory.create_dossier(applicant(1), application()).reference
    attach_all(memory, ref)
    walk(memory, ref, "approve")
    dossier: Dossier = memory.get(ref)
    return dossier


# -- tampering with plain sqlite3 is found and named ----------------------------------


def _tamper(tmp_path: Path, sql_text: str, params: tuple[Any, ...] = ()) -> tuple[Any, str]:
    """A walked, verified file store; the SQL run behind the library's back; the store reopened."""
    path = str(tmp_path / "ami.db")
    flow = new_flow("sqlite", path=path)
    ref = new_dossier(flow)
    walk(flow, ref, "pay")
    assert flow.verify() is None
    flow.close()
    conn = sqlite3.connect(path)
    for statement in sql_text.split("; "):
        conn.execute(statement, tuple(p(ref) if callable(p) else p for p in params))
    conn.commit()
    conn.close()
    return new_flow("sqlite", path=path, start=TIMES["pay"]), ref


@pytest.mark.parametrize(
    ("sql_text", "params", "named"),
    [
        ("UPDATE dossiers SET approved_cents = 900000 WHERE reference = ?", (str,), "approved_cents"),
        ("UPDATE dossiers SET state = 'approved' WHERE reference = ?", (str,), "state"),
        (
            "UPDATE dossiers SET data = replace(data, '\"name\":\"Association 1\"', '\"name\":\"Asso 9\"') "
            "WHERE reference = ?",
            (str,),
            "differs from its journal: applicant is",  # the dossier is named, with the field that changed
        ),
        ("UPDATE totals SET approved_cents = 0, paid_cents = 0", (), "running total"),
        (
            'UPDATE records SET data = replace(data, \'"dossiers":[\', \'"dossiers":["AMI-FORGED",\') '
            "WHERE kind = 'deliberation'",
            (),
            "deliberations",
        ),
        ("UPDATE files SET content = X'00' WHERE sha256 = (SELECT sha256 FROM files LIMIT 1)", (), "piece content"),
        (
            "UPDATE personal_values SET value = 'Mallory' WHERE path = 'applicant.legal_representative'",
            (),
            "personal data changed",
        ),
        # The personal values are checked first: they no longer have the event that held their digest.
        ("DELETE FROM events", (), "no longer matches the digest in its event"),
        ("DELETE FROM events; DELETE FROM personal_values", (), "has no event in the journal"),
        ("UPDATE events SET dossier = NULL WHERE seq = (SELECT MAX(seq) FROM events)", (), "its columns differ"),
        ("UPDATE events SET recorded_at = '2099-01-01T00:00:00+01:00' WHERE seq = 3", (), "its columns differ"),
        ("UPDATE campaigns SET envelope_cents = 99999999", (), "its columns differ from its call file"),
        ("UPDATE applicants SET identity = 'siren:000000000'", (), "siren:000000000"),
        (
            "INSERT INTO records (campaign_id, kind, key, data) "
            "SELECT id, 'copied_draft', 'OLD-1', '{\"from\":\"OLD-1\",\"to\":\"X\"}' FROM campaigns",
            (),
            "the copied drafts",
        ),
        (
            "INSERT INTO personal_data (applicant_id, dossier, path, salt, digest, value) "
            "SELECT applicant_id, reference, 'decision_note', '', '', 'Jean Martin' FROM dossiers",
            (),
            "its personal data differs",
        ),
        ("UPDATE files SET size = size + 1", (), "its size differs from its content"),
        ("UPDATE applicants SET name = 'Asso forgée'", (), "the applicant"),
        ("DELETE FROM dossier_qpv", (), "its QPV links differ"),
        ("INSERT INTO dossier_qpv VALUES ('AMI-GHOST', 'QP062024')", (), "QPV links are kept for AMI-GHOST"),
        ("UPDATE dossiers SET applicant_id = 99", (), "is missing from the store"),
        ("DELETE FROM files", (), "is missing or erased"),
        ("UPDATE events SET body = replace(body, ',', ', ') WHERE seq = 2", (), "edited"),
    ],
    ids=[
        "approved_cents",
        "state",
        "applicant-in-data",
        "totals-zeroed",
        "deliberation-dossiers",
        "file-bytes",
        "personal-value",
        "delete-events",
        "delete-events-and-personal-values",
        "event-dossier-column",
        "event-recorded-at-column",
        "campaign-envelope-column",
        "applicant-identity",
        "extra-copied-draft",
        "extra-personal-data",
        "file-size",
        "applicant-name",
        "qpv-deleted",
        "qpv-stray",
        "dossier-applicant-id",
        "files-deleted",
        "event-respaced",
    ],
)
def test_each_tampering_with_plain_sqlite_is_found_and_named(
    tmp_path: Path, sql_text: str, params: tuple[Any, ...], named: str
) -> None:
    flow, ref = _tamper(tmp_path, sql_text, params)
    try:
        problem = flow.verify()
        assert problem is not None, "the tampering went unseen"
        assert named in problem.reason, problem
        if named in ("approved_cents", "state", "has no event in the journal"):
            assert ref in problem.reason, problem
    finally:
        flow.close()


def test_a_forged_well_hashed_event_is_found_because_the_tables_no_longer_match(tmp_path: Path) -> None:
    flow, ref = _tamper(tmp_path, "SELECT 1")
    try:
        seq, previous = flow._last()[:2]
        last = flow.events()[-1].body
        # A well-linked extra event: "the dossier was paid twice over" (data a replay reads).
        body = {**last, "data": {**last["data"], "amount": "9999.00"}, "recorded_at": last["recorded_at"]}
        body.pop("seq")
        chained, text = link_with_text(previous, seq + 1, body)
        flow.conn.execute(
            "INSERT INTO events (seq, campaign_id, dossier, kind, trigger, source, dest, at, recorded_at, actor, body, "
            "previous, hash) VALUES (?, ?, ?, 'triggered', 'pay', 'approved', 'paid', ?, ?, 'test', ?, ?, ?)",
            (chained.seq, CAMPAIGN.id, ref, body["at"], body["recorded_at"], text, chained.previous, chained.hash),
        )
        flow.conn.commit()
        problem = flow.verify()
        # The chain alone accepts it (it is well linked); the projections no longer match the replay.
        assert problem is not None and problem.seq == 0, problem
        assert ref in problem.reason or "running total" in problem.reason, problem
    finally:
        flow.close()


def test_journal_tampering_is_found(sql: Workflow) -> None:
    flow = sql
    ref = new_dossier(flow)
    walk(flow, ref, "instruct")
    assert flow.verify() is None
    seq, body = flow.conn.execute("SELECT seq, body FROM events WHERE trigger = 'submit'").fetchone()
    assert '"actor":"test"' in body
    flow.conn.execute(
        "UPDATE events SET body = ? WHERE seq = ?", (body.replace('"actor":"test"', '"actor":"mallory"'), seq)
    )
    problem = flow.verify()
    assert problem is not None and problem.seq == seq and problem.reason.startswith("edited")


def test_a_cut_tail_is_found_with_a_kept_head(sql: Workflow) -> None:
    flow = sql
    ref = new_dossier(flow)
    walk(flow, ref, "submit")
    head = flow.head()
    assert flow.verify(expected_head=head) is None
    flow.conn.execute("DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)")
    # The chain alone cannot see it, but the dossier row is now ahead of its journal.
    problem = flow.verify()
    assert problem is not None and problem.seq == 0 and ref in problem.reason
    problem = flow.verify(expected_head=head)
    assert problem is not None and "truncated" in problem.reason


def test_a_rewritten_and_rehashed_history_is_found_with_the_head_kept_from_before(sql: Workflow) -> None:
    flow = sql
    ref = new_dossier(flow)
    walk(flow, ref, "approve")
    head = flow.head()
    rows = flow.conn.execute("SELECT seq, body FROM events ORDER BY seq").fetchall()
    previous = GENESIS
    # Rewrite the approval's amount and every hash after it, and the projections to match.
    for seq, text in rows:
        body = json.loads(text)
        if body["kind"] == "triggered" and body["data"].get("trigger") == "approve":
            body["data"]["amount"] = "4000.00"
        body.pop("seq")
        chained, new_text = link_with_text(previous, seq, body)
        flow.conn.execute(
            "UPDATE events SET body = ?, previous = ?, hash = ? WHERE seq = ?",
            (new_text, chained.previous, chained.hash, seq),
        )
        previous = chained.hash
    flow.conn.execute(
        'UPDATE dossiers SET approved_cents = 400000, data = replace(data, \'"approved":"5000.00"\', '
        '\'"approved":"4000.00"\') WHERE reference = ?',
        (ref,),
    )
    assert flow.verify() is None  # a consistent forgery: chain and projections agree
    problem = flow.verify(expected_head=head)
    assert problem is not None and "truncated or rewritten" in problem.reason, problem


def test_a_write_the_database_refuses_is_a_storage_error_and_changes_nothing(tmp_path: Path) -> None:
    from ami_workflow import StorageError

    flow = new_flow("sqlite", path=str(tmp_path / "ami.db"))
    try:
        ref = flow.create_dossier(applicant(1), application()).reference
        before = (flow.get(ref), len(flow.events()), flow.head())
        flow.conn.execute("PRAGMA query_only = ON")  # as a file turned read-only under the store
        with pytest.raises(StorageError, match="cannot be written"):
            flow.update_application(ref, application(title="Autre"), expected_version=0)
        flow.conn.execute("PRAGMA query_only = OFF")
        assert (flow.get(ref), len(flow.events()), flow.head()) == before
        assert flow.verify() is None
    finally:
        flow.close()


def test_erasure_removes_every_version_of_a_personal_piece(flow: Any) -> None:
    """A board list replaced by a newer one, or sent back, still named people: erasure removes its bytes too."""
    ref = flow.create_dossier(applicant(1), application()).reference
    at(flow, TIMES["submit"])
    first = flow.attach(ref, "liste_ca", b"liste du CA: Claire Dupont, Jean Martin").piece("liste_ca").sha256
    flow.attach(ref, "liste_ca", b"liste du CA: Claire Dupont, Sophie Durand")
    flow.erase_personal_data(applicant(1).identity, reason="demande RGPD")
    with pytest.raises(NotFound, match="erased"):
        flow.file(first)
    assert flow.verify() is None


def test_verify_passes_when_an_applicant_renames_itself_between_dossiers(flow: Any) -> None:
    flow.create_dossier(applicant(1, name="Asso ancienne"), application(), reference="zz-manual")
    flow.create_dossier(applicant(1, name="Asso nouveau nom"), application())
    assert flow.verify() is None
