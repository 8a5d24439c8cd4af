"""The SQLite store: transactions, versions, journal, migrations, pieces, views and bad input."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from walk import CAMPAIGN, TIMES, applicant, application, attach_all, session, walk

from ami_workflow import (
    Convention,
    Deliberation,
    Dossier,
    IllegalTrigger,
    InvalidInput,
    NotFound,
    Refused,
    parse_campaign,
)
from ami_workflow.calendar import PARIS
from ami_workflow.codec import converter
from ami_workflow.journal import canonical_json
from ami_workflow.personal import split_personal
from ami_workflow.store import SchemaError, VersionConflict, Workflow


@pytest.fixture
def flow() -> Workflow:
    flow = Workflow.open(":memory:", CAMPAIGN)
    flow.record_session(session())
    return flow


def new_dossier(flow: Workflow, n: int = 1, **changes: object) -> str:
    ref = flow.create_dossier(applicant(n), application(**changes), at=datetime(2021, 3, 10, 9, tzinfo=PARIS)).reference
    attach_all(flow, ref)
    return ref


def test_whole_life_is_stored_and_journaled(flow: Workflow) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "approve")
    flow.record_deliberation(Deliberation("DEL-1", date(2021, 9, 27), [ref]))
    flow.fire(ref, "pay", at=TIMES["pay"], amount=Decimal("1000.00"))
    assert flow.get(ref).state == "approved"
    flow.fire(ref, "pay", at=TIMES["pay"])
    stored = flow.get(ref)
    assert stored.state == "paid" and stored.paid == Decimal("5000.00")
    triggers = [e.trigger for e in flow.history(ref) if e.source != e.dest or e.trigger == "pay"]
    assert triggers == ["create", "submit", "mark_complete", "instruct", "hear", "approve", "pay", "pay"]
    assert flow.verify() is None
    assert flow.replayed_states() == {ref: "paid"}
    totals = flow.totals()
    assert (totals.approved, totals.paid) == (Decimal("5000.00"), Decimal("5000.00"))


def test_stored_dossier_round_trips_exactly(flow: Workflow) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "instruct")
    dossier = flow.get(ref)
    assert converter.structure(converter.unstructure(dossier), type(dossier)) == dossier
    assert dossier.instruction is not None and dossier.instruction.ceiling == Decimal("5000.00")


def test_refused_trigger_writes_nothing_to_the_journal(flow: Workflow) -> None:
    ref = new_dossier(flow)
    before, changes = flow.get(ref), flow.conn.total_changes
    late = datetime(2021, 5, 1, 0, 0, tzinfo=PARIS)
    with pytest.raises(Refused, match="deadline"):
        flow.fire(ref, "submit", at=late)
    assert flow.get(ref) == before
    assert flow.conn.total_changes == changes


def test_refusal_can_be_kept_outside_the_chain(flow: Workflow) -> None:
    ref = new_dossier(flow)
    events = len(flow.events())
    with pytest.raises(Refused):
        flow.fire(ref, "submit", at=datetime(2021, 5, 2, tzinfo=PARIS), keep_refusal=True, actor="instructrice")
    rows = flow.conn.execute("SELECT dossier, trigger, reasons FROM refusals").fetchall()
    assert rows and rows[0][:2] == (ref, "submit") and "deadline" in rows[0][2]
    assert len(flow.events()) == events
    assert flow.verify() is None


def test_stale_version_is_a_conflict_and_changes_nothing(flow: Workflow) -> None:
    ref = new_dossier(flow)
    copy = flow.get(ref)
    flow.fire(ref, "submit", at=TIMES["submit"], expected_version=copy.version)
    changes = flow.conn.total_changes
    with pytest.raises(VersionConflict, match="re-read"):
        flow.fire(ref, "withdraw", at=TIMES["submit"], expected_version=copy.version)
    assert flow.conn.total_changes == changes
    assert flow.get(ref).state == "submitted"


def test_illegal_trigger_and_unknown_dossier(flow: Workflow) -> None:
    ref = new_dossier(flow)
    with pytest.raises(IllegalTrigger):
        flow.fire(ref, "pay", at=TIMES["pay"])
    with pytest.raises(NotFound):
        flow.fire("nope", "submit", at=TIMES["submit"])
    with pytest.raises(InvalidInput):
        flow.fire(ref, "pay", at=TIMES["pay"], amount=12.5)


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
    path = tmp_path / "ami.db"
    with Workflow.open(path, CAMPAIGN, synchronous="OFF") as flow:
        ref = new_dossier(flow)
    with Workflow.open(path, CAMPAIGN) as flow:
        assert flow.get(ref).state == "draft"
        names = [r[0] for r in flow.conn.execute("SELECT name FROM _sqlite_migrations")]
        assert names == ["m001_initial", "m002_totals_links_personal_data", "m003_applicant_index",
                         "m004_totals_only_when_shares_change"]


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ami.db"
    Workflow.open(path, CAMPAIGN).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('ami_workflow', 'm999_future', 'x')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="newer ami_workflow"):
        Workflow.open(path, CAMPAIGN)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE budget (x)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="not an ami_workflow"):
        Workflow.open(path, CAMPAIGN)


def test_many_campaigns_and_applicants_matched_by_siren(flow: Workflow) -> None:
    calls = Path(__file__).parent.parent / "ami_workflow" / "calls"
    text = (calls / "ami-cohesion-sociale-2021.toml").read_text("utf-8")
    next_year = parse_campaign(
        text.replace('id = "ami-cohesion-sociale-2021"', 'id = "ami-cohesion-sociale-2022"')
        .replace("year = 2021", "year = 2022")
    )
    flow.add_campaign(next_year)
    assert flow.campaign_ids() == ["ami-cohesion-sociale-2021", "ami-cohesion-sociale-2022"]
    a = flow.create_dossier(applicant(1), at=TIMES["submit"]).reference
    b = flow.create_dossier(applicant(1, name="Asso renommée"), campaign_id=next_year.id, at=TIMES["submit"]).reference
    ids = {r[0] for r in flow.conn.execute("SELECT applicant_id FROM dossiers WHERE reference IN (?, ?)", (a, b))}
    assert len(ids) == 1
    assert flow.conn.execute("SELECT name FROM applicants").fetchall() == [("Asso renommée",)]
    with pytest.raises(Refused, match="different call file"):
        flow.add_campaign(parse_campaign(text.replace('amount = "150000.00"', 'amount = "1.00"')))


def test_identifiers_are_validated_before_writing(flow: Workflow) -> None:
    changes = flow.conn.total_changes
    with pytest.raises(InvalidInput, match=r"siren.*iban"):
        flow.create_dossier(applicant(1, siren="123456789", iban="FR00"), at=TIMES["submit"])
    with pytest.raises(InvalidInput, match="rna"):
        flow.create_dossier(applicant(1, siren=None, rna="W12"), at=TIMES["submit"])
    assert flow.conn.total_changes == changes
    alsace = flow.create_dossier(applicant(2, siren=None, rna=None, name="Verein Elsass"), at=TIMES["submit"])
    assert alsace.applicant.identity == "name:verein elsass"


def test_pieces_are_content_addressed_and_names_never_trusted(flow: Workflow, tmp_path: Path) -> None:
    ref = flow.create_dossier(applicant(1), application(), at=TIMES["submit"]).reference
    source = tmp_path / "statuts.pdf"
    source.write_bytes(b"%PDF statuts")
    flow.attach(ref, "statuts", source, media_type="application/pdf")
    dossier = flow.attach(ref, "rib", b"RIB", filename="../../etc/passwd\x00")
    statuts, rib = dossier.piece("statuts"), dossier.piece("rib")
    assert statuts is not None and rib is not None
    assert statuts.filename == "statuts.pdf" and statuts.size == 12 and statuts.media_type == "application/pdf"
    assert rib.filename == "passwd"
    assert flow.file(statuts.sha256 or "") == b"%PDF statuts"
    with pytest.raises(InvalidInput, match="unknown piece"):
        flow.attach(ref, "photo", b"x")
    with pytest.raises(InvalidInput):
        flow.attach(ref, "rib", tmp_path / "missing.pdf")


def test_views_answer_the_common_questions(flow: Workflow) -> None:
    ref = new_dossier(flow, qpv_codes=("QP062024", "QP062026"))
    walk(flow, ref, "approve")
    columns = ("reference", "state", "qpv", "ceiling_cents", "approved_cents")
    row = flow.conn.execute(f"SELECT {', '.join(columns)} FROM dossier_overview").fetchone()
    overview = dict(zip(columns, row, strict=True))
    assert overview == {"reference": ref, "state": "approved", "qpv": "QP062024 QP062026",
                        "ceiling_cents": 500000, "approved_cents": 500000}
    envelope = flow.conn.execute(
        "SELECT envelope_cents, approved_cents, remaining_cents FROM envelope_consumed"
    ).fetchone()
    assert envelope == (15_000_000, 500_000, 14_500_000)


def test_journal_tampering_is_found(flow: Workflow) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "instruct")
    assert flow.verify() is None
    seq, body = flow.conn.execute("SELECT seq, body FROM events WHERE trigger = 'submit'").fetchone()
    flow.conn.execute("UPDATE events SET body = ? WHERE seq = ?", (body.replace("test", "mallory"), seq))
    problem = flow.verify()
    assert problem is not None and problem.seq == seq


def test_decisions_are_checked_and_journaled(flow: Workflow) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "hear")
    with pytest.raises(Refused, match="not approved"):
        flow.record_deliberation(Deliberation("DEL-1", date(2021, 9, 27), [ref]))
    with pytest.raises(Refused, match="outside the jury window"):
        flow.record_session(
            session().__class__("s2", date(2021, 7, 1), "VP", CAMPAIGN.committee.chair_role, session().members)
        )
    flow.amend_calendar("jury", date(2021, 6, 1), date(2021, 7, 9), reason="comité reporté", at=TIMES["hear"])
    assert flow.calendar().jury.end == date(2021, 7, 9)
    walk(flow, ref, "approve") if flow.get(ref).state != "audited" else flow.fire(ref, "approve", at=TIMES["approve"])
    flow.record_convention(Convention(ref, "CONV-1", date(2021, 9, 28)))
    kinds = [e.body["kind"] for e in flow.events()]
    assert {"record_session", "record_amendment", "record_convention"} <= set(kinds)
    assert flow.verify() is None


def test_dossier_json_holds_no_personal_data(flow: Workflow) -> None:
    ref = new_dossier(flow)
    stored = flow.conn.execute("SELECT data FROM dossiers WHERE reference = ?", (ref,)).fetchone()[0]
    assert "Claire Dupont" not in stored
    assert stored == canonical_json(split_personal(converter.unstructure(flow.get(ref)))[0])
    assert flow.get(ref).applicant.legal_representative == "Claire Dupont"
    bodies = " ".join(e.body.__repr__() for e in flow.events())
    assert "Claire Dupont" not in bodies and "personal_data" in bodies


def test_personal_data_export_and_erase_keep_the_journal_verifiable(flow: Workflow) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "submit")
    identity = flow.get(ref).applicant.identity
    export = flow.export_applicant(identity)
    assert export["applicant"]["identity"] == identity
    assert [d["reference"] for d in export["dossiers"]] == [ref]
    assert {p["value"] for p in export["personal_data"]} == {"Claire Dupont"}
    assert [e["trigger"] for e in export["events"] if e["kind"] == "trigger"] == ["submit"]
    board = flow.get(ref).piece("liste_ca")
    assert board is not None and flow.file(board.sha256 or "")
    head = flow.events()[-1].hash

    erased = flow.erase_personal_data(identity, reason="demande de la présidente", at=TIMES["mark_complete"])
    assert erased == 2 + 2  # two names, two lists (CA and bureau)
    assert flow.verify() is None
    assert flow.events()[-2].hash == head  # the chain before the erasure is untouched
    dossier = flow.get(ref)
    assert dossier.applicant.legal_representative == "[erased]"
    assert dossier.originals[0].signed_by == "[erased]"
    with pytest.raises(NotFound, match="erased"):
        flow.file(board.sha256 or "")
    assert "Claire Dupont" not in json.dumps(flow.export_applicant(identity), ensure_ascii=False)
    assert "Claire Dupont" not in "\n".join(flow.conn.iterdump())
    # The dossier goes on: an erased name still counts as a signed original.
    flow.fire(ref, "mark_complete", at=TIMES["mark_complete"])
    assert flow.get(ref).state == "complete"
    with pytest.raises(NotFound):
        flow.export_applicant("siren:000000000")


def test_migration_from_the_first_schema_moves_data_into_place(tmp_path: Path) -> None:
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
        "INSERT INTO dossiers"
        " (reference, campaign_id, applicant_id, state, version, approved_cents, paid_cents, axis, data)"
        " VALUES ('OLD-1', ?, 1, 'approved', 6, 500000, 0, 'numerique', ?)",
        (CAMPAIGN.id, canonical_json({**data, "reference": "OLD-1"})),
    )
    db.execute(
        "INSERT INTO records (campaign_id, kind, key, data) VALUES (?, 'deliberation', 'DEL-1', ?)",
        (CAMPAIGN.id, canonical_json({"reference": "DEL-1", "day": "2021-09-27", "dossiers": ["OLD-1"]})),
    )
    db.conn.commit()
    db.close()
    with Workflow.open(path, CAMPAIGN) as flow:
        assert flow.totals().approved == Decimal("5000.00")
        assert flow.get("OLD-1").applicant.legal_representative == "Claire Dupont"
        stored = flow.conn.execute("SELECT data FROM dossiers").fetchone()[0]
        assert "Claire Dupont" not in stored
        assert flow.conn.execute("SELECT reference FROM deliberation_dossiers").fetchall() == [("OLD-1",)]
        flow.fire("OLD-1", "pay", at=TIMES["pay"])
        assert flow.totals().paid == Decimal("5000.00")


def walked_dossier() -> Dossier:
    from ami_workflow import Engine

    engine = Engine(CAMPAIGN)
    engine.record_session(session())
    ref = engine.create_dossier(applicant(1), application()).reference
    attach_all(engine, ref)
    walk(engine, ref, "approve")
    return engine.get(ref)


def test_batch_approval_is_one_transaction_and_allocates(flow: Workflow) -> None:
    refs = []
    for n in range(4):
        ref = new_dossier(flow, n, total_cost=Decimal("100000.00"), requested=Decimal("45000.00"))
        walk(flow, ref, "hear")
        refs.append(ref)
    refs.append(new_dossier(flow, 5))  # a draft: the whole batch is refused
    events = len(flow.events())
    with pytest.raises(Refused, match="has not been instructed"):
        flow.approve_batch(refs, at=TIMES["approve"])
    assert len(flow.events()) == events and flow.totals().approved == 0
    result = flow.approve_batch(refs[:4], at=TIMES["approve"])
    assert result.scaled and sum(result.approved.values()) == CAMPAIGN.envelope.amount
    assert flow.totals().approved == Decimal("150000.00")
    assert {flow.get(r).state for r in refs[:4]} == {"approved"}
    assert flow.verify() is None


def test_subscribers_run_after_commit_and_cannot_break_a_transition(
    flow: Workflow, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, str, int]] = []

    def record(event: object) -> None:
        # The transition is already committed when a subscriber runs.
        seen.append((event.trigger, flow.get(event.dossier).state, len(flow.events())))  # type: ignore[attr-defined]

    def broken(event: object) -> None:
        raise RuntimeError("SMTP server down")

    flow.subscribe(broken)
    stop = flow.subscribe(record)
    ref = new_dossier(flow)
    events = len(flow.events())
    with caplog.at_level("ERROR", logger="ami_workflow"):
        dossier = flow.fire(ref, "submit", at=TIMES["submit"])
    assert dossier.state == "submitted" and flow.get(ref).state == "submitted"
    assert seen == [("submit", "submitted", events + 1)]
    assert "SMTP server down" in caplog.text
    with pytest.raises(Refused):
        flow.fire(ref, "mark_complete", at=TIMES["pay"])
    assert len(seen) == 1  # a refused trigger notifies nobody
    stop()
    flow.fire(ref, "withdraw", at=TIMES["mark_complete"])
    assert len(seen) == 1
    with pytest.raises(InvalidInput):
        flow.subscribe("not callable")  # type: ignore[arg-type]


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


def test_a_cut_tail_is_found_with_a_kept_head(flow: Workflow) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "submit")
    head = flow.head()
    assert flow.verify(expected_head=head) is None
    flow.conn.execute("DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)")
    assert flow.verify() is None  # a chain alone cannot see it
    problem = flow.verify(expected_head=head)
    assert problem is not None and "truncated" in problem.reason


def test_no_name_reaches_the_journal_and_erased_names_cannot_be_guessed(flow: Workflow) -> None:
    from ami_workflow.journal import personal_data_digest

    ref = new_dossier(flow)
    flow.attach(ref, "liste_ca", b"Jean Martin, Sophie Durand", filename="liste_CA_Martin_Durand.pdf")
    assert flow.get(ref).piece("liste_ca").filename is None  # type: ignore[union-attr]
    journal = "\n".join(body for (body,) in flow.conn.execute("SELECT body FROM events"))
    for name in ("Claire Dupont", "Martin", "Membre personnalites", "Vice-président"):
        assert name not in journal, name
    salt, digest = flow.conn.execute("SELECT salt, digest FROM personal_data").fetchone()
    assert personal_data_digest(salt, "Claire Dupont") == digest  # before the erasure, the digest matches
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande", at=TIMES["submit"])
    left = flow.conn.execute("SELECT salt, digest, value FROM personal_data WHERE value IS NOT NULL OR salt != ''")
    assert left.fetchall() == []
    assert flow.verify() is None


def test_a_committee_members_name_can_be_erased(flow: Workflow) -> None:
    ref = new_dossier(flow)
    walk(flow, ref, "instruct")
    assert flow.erase_committee_member("Membre habitants", reason="demande", at=TIMES["instruct"]) == 1
    members = [m.name for m in flow.sessions()[0].members]
    assert "[erased]" in members and "Membre habitants" not in members
    assert "Membre habitants" not in "\n".join(flow.conn.iterdump())
    flow.fire(ref, "hear", at=TIMES["hear"], session="comite-2021-06-15")  # the session still hears dossiers
    assert flow.verify() is None
    assert flow.erase_committee_member("Nobody", reason="x") == 0


def test_running_totals_equal_a_recount_after_approvals_payments_and_withdrawals(flow: Workflow) -> None:
    refs = []
    for n in range(4):
        ref = new_dossier(flow, n, axis=("sante", "education")[n % 2])
        walk(flow, ref, "approve")
        refs.append(ref)
    flow.record_deliberation(Deliberation("DEL-1", date(2021, 9, 27), refs))
    flow.fire(refs[0], "pay", at=TIMES["pay"], amount=Decimal("1000.00"))
    flow.fire(refs[1], "pay", at=TIMES["pay"])
    flow.fire(refs[2], "withdraw", at=TIMES["pay"])
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
