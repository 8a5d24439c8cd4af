"""Issued documents are stored as issued: their hashes journaled, their bytes kept, erased with the applicant."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import pytest
from walk import applicant, application, at, attach_all, walk

from ami_workflow import NotFound
from ami_workflow.calendar import PARIS
from ami_workflow.errors import InvalidInput, Refused
from ami_workflow.issued import IssuedDocument

PAST_RETENTION = datetime(2032, 1, 2, 9, tzinfo=PARIS)


def _submitted(flow: Any) -> tuple[str, int]:
    ref = flow.create_dossier(applicant(1), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "submitted")
    submit = next(e for e in flow.dossier_events(ref) if (e.body.get("data") or {}).get("trigger") == "submit")
    return ref, submit.seq


def test_a_document_is_journaled_with_its_hashes_and_reprinted_byte_for_byte(flow: Any) -> None:
    ref, seq = _submitted(flow)
    version = flow.get(ref).version
    pdf, html = b"%PDF-1.7 receipt", b"<!DOCTYPE html><p>receipt</p>"
    issued = flow.issue_document(ref, "accuse_reception", seq, {"pdf": pdf, "html": html}, language="fr")
    assert issued.sha256("pdf") == hashlib.sha256(pdf).hexdigest()
    assert issued.seq is not None and issued.seq > seq
    event = flow.dossier_events(ref)[-1]
    assert event.body["kind"] == "document_issued" and event.body["data"]["document"]["attests"] == seq
    assert event.body["at"] == flow.dossier_events(ref)[[e.seq for e in flow.dossier_events(ref)].index(seq)].body["at"]
    assert flow.document_bytes(ref, "accuse_reception") == pdf
    assert flow.document_bytes(ref, "accuse_reception", "html") == html
    assert flow.get(ref).version == version  # a document does not change the dossier
    # Issued again for the same event: nothing new, and the first bytes stay (never rebuilt from later data).
    again = flow.issue_document(ref, "accuse_reception", seq, {"pdf": b"%PDF other"}, language="fr")
    assert again == issued and flow.document_bytes(ref, "accuse_reception") == pdf
    assert [d.kind for d in flow.documents(ref)] == ["accuse_reception"]
    assert flow.verify() is None


def test_a_document_attests_an_event_of_its_kind_on_its_dossier(flow: Any) -> None:
    ref, seq = _submitted(flow)
    created = flow.dossier_events(ref)[0].seq
    before = flow.head()
    with pytest.raises(Refused, match="is not a submit"):
        flow.issue_document(ref, "accuse_reception", created, {"pdf": b"x"}, language="fr")
    with pytest.raises(Refused, match="approve or reject"):
        flow.issue_document(ref, "notification_decision", seq, {"pdf": b"x"}, language="fr")
    with pytest.raises(InvalidInput, match="unknown document"):
        flow.issue_document(ref, "lettre", seq, {"pdf": b"x"}, language="fr")
    with pytest.raises(InvalidInput, match="bytes by format"):
        flow.issue_document(ref, "accuse_reception", seq, {"docx": b"x"}, language="fr")
    with pytest.raises(InvalidInput, match="expected bytes, got str"):
        flow.issue_document(ref, "accuse_reception", seq, {"pdf": "text"}, language="fr")
    with pytest.raises(NotFound):
        flow.document_bytes(ref, "accuse_reception")
    assert flow.head() == before  # nothing written


def test_erasure_removes_an_issued_document_s_bytes_and_keeps_its_hash(flow: Any) -> None:
    ref, seq = _submitted(flow)
    issued = flow.issue_document(ref, "accuse_reception", seq, {"pdf": b"%PDF names Claire Dupont"}, language="fr")
    at(flow, PAST_RETENTION)  # a granted dossier is kept 10 years after its last act ([retention])
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande de la personne")
    with pytest.raises(NotFound):
        flow.document_bytes(ref, "accuse_reception")
    assert flow.issued_document(ref, "accuse_reception").sha256("pdf") == issued.sha256("pdf")
    assert flow.verify() is None


def test_an_issued_document_record_checks_its_files() -> None:
    with pytest.raises(InvalidInput, match="SHA-256"):
        IssuedDocument("c-1", "accuse_reception", 1, "fr", {"pdf": ("nothex", 1)})
    with pytest.raises(InvalidInput, match="at least one format"):
        IssuedDocument("c-1", "accuse_reception", 1, "fr", {})


def test_verify_reports_an_issued_document_whose_bytes_are_gone(tmp_path: Any) -> None:
    import sqlite3

    from walk import new_flow

    flow = new_flow("sqlite", path=str(tmp_path / "ami.db"))
    ref, seq = _submitted(flow)
    issued = flow.issue_document(ref, "accuse_reception", seq, {"pdf": b"%PDF receipt"}, language="fr")
    flow.close()
    with sqlite3.connect(tmp_path / "ami.db") as conn:
        conn.execute("DELETE FROM files WHERE sha256 = ?", (issued.sha256("pdf"),))
    flow = new_flow("sqlite", path=str(tmp_path / "ami.db"))
    problem = flow.verify()
    assert problem is not None and "document:accuse_reception" in str(problem), problem
    flow.close()


def test_the_command_line_offers_every_document_kind() -> None:
    from ami_workflow.cli.documents import _KINDS
    from ami_workflow.issued import DOCUMENT_KINDS

    assert list(_KINDS.choices) == list(DOCUMENT_KINDS)
