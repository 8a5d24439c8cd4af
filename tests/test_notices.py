"""The documents sent to applicants, in French, with every mention the law asks (checked on the PDF's text).

The accusé de réception (CRPA L112-3, R112-5, L114-5, L231-4 3°; CJA R421-1, R421-5), the demande de pièces
(L114-5) and the notice of decision (L211-2, L212-1) of the demo's dossiers, read back with pdfium.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from pdftext import pdf_text

from ami_workflow import FixedClock, MemoryWorkflow, load_campaign, notices
from ami_workflow.calendar import PARIS, add_months, paris_date
from ami_workflow.errors import Refused
from ami_workflow.i18n import format_day, use_language
from ami_workflow.sample import run_demo

REF = "ami-cohesion-sociale-2021-{:04d}"


@pytest.fixture(scope="module")
def demo() -> Any:
    clock = FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS))
    flow = MemoryWorkflow(load_campaign("ami-cohesion-sociale-2021"), clock=clock, actor="test")
    with use_language("fr"):
        run_demo(flow, echo=lambda line: None)
    return flow


def _text(flow: Any, ref: str, kind: str) -> str:
    """The text of the document as issued (issued now, in French, if it was not yet)."""
    with use_language("fr"):
        notices.issue(flow, ref, kind)
    return re.sub(r"\s+", " ", pdf_text(flow.document_bytes(ref, kind)))


def _scenario_refs(flow: Any, state: str) -> list[str]:
    return [d.reference for d in flow.dossiers() if d.state == state]


COMMON = [
    "Communauté d'Agglomération de Lens-Liévin",
    "21 rue Marcel Sembat", "62302 Lens Cedex",  # the service's postal address (R112-5)
    "contratdeville@agglo-lenslievin.fr", "03 21 790 527",  # its e-mail and phone (R112-5)
    "Voies et délais de recours", "recours gracieux", "Tribunal administratif de Lille",
    "R421-1", "R421-5", "Télérecours",
    "Empreinte SHA-256",
]


def test_rule_accuse_de_reception_r112_5_gives_the_receipt_the_service_and_the_recourse(demo: Any) -> None:
    ref = _scenario_refs(demo, "paid")[0]
    text = _text(demo, ref, "accuse_reception")
    for mention in COMMON + ["Accusé de réception", "Reçu le", "Pièces reçues", "L231-4", "3°", "pendant 2 mois",
                             "réputée rejetée", ref]:
        assert mention in text, mention
    submit = next(e for e in demo.dossier_events(ref) if (e.body.get("data") or {}).get("trigger") == "submit")
    assert submit.hash[:32] in text.replace(" ", "")  # the journal hash of the submission
    assert "Pièces encore requises" not in text


def test_rule_l231_4_the_accuse_de_reception_gives_the_date_of_implicit_rejection(demo: Any) -> None:
    ref = _scenario_refs(demo, "paid")[0]
    text = _text(demo, ref, "accuse_reception")
    submitted = demo.get(ref).submitted_at
    with use_language("fr"):
        due = format_day(add_months(paris_date(submitted), 2))
    assert f"À défaut de réponse le {due}, votre demande sera réputée rejetée" in text, due


def test_rule_l114_5_the_accuse_de_reception_of_0003_lists_its_missing_statuts_and_a_deadline(demo: Any) -> None:
    missing = [d.reference for d in demo.dossiers() if d.piece("statuts") is None and d.submitted_at is not None]
    assert missing, "the demo has a dossier without its statuts"
    text = _text(demo, missing[0], "accuse_reception")
    for mention in ["Pièces encore requises", "Statuts (clé `statuts`)", "L114-5", "à compter de la réception"]:
        assert mention in text, mention
    assert re.search(r"avant le \d{1,2} (avril|mai) 2021", text), text
    assert "réputée rejetée" not in text  # no date of implicit decision while pieces are missing


def test_rule_l212_1_the_notice_of_a_grant_names_the_deciding_body_the_signatory_and_the_recourse(demo: Any) -> None:
    ref = _scenario_refs(demo, "paid")[0]
    text = _text(demo, ref, "notification_decision")
    for mention in COMMON + ["attribution de subvention", "Montant attribué", "€", "comité de sélection",
                             "Sylvain ROBERT", "Président de la Communauté d'Agglomération de Lens-Liévin",
                             "Fait à Lens, le", "par la délibération du conseil communautaire, attendue entre"]:
        assert mention in text, mention


def test_rule_l211_2_the_notice_of_a_refusal_gives_its_motivation(demo: Any) -> None:
    ref = _scenario_refs(demo, "rejected")[0]
    text = _text(demo, ref, "notification_decision")
    motivation = demo.get(ref).decision_note
    for mention in COMMON + ["refus de subvention", "Motivation", "L211-2", motivation, "Sylvain ROBERT"]:
        assert mention in text, mention


def test_rule_a_document_is_stored_as_issued_and_reprinted_byte_for_byte(demo: Any) -> None:
    ref = _scenario_refs(demo, "paid")[0]
    _text(demo, ref, "accuse_reception")
    issued = demo.issued_document(ref, "accuse_reception")
    first = notices.reprint(demo, ref, "accuse_reception")
    assert notices.issue(demo, ref, "accuse_reception") == issued  # nothing new
    assert notices.reprint(demo, ref, "accuse_reception") == first
    with use_language("fr"):
        document, _ = notices.build(demo, ref, "accuse_reception")
    from ami_workflow.render import render_pdf

    assert render_pdf(document) == first  # built from the journal as it stood at the submission


def test_a_document_is_refused_when_its_act_is_not_in_the_journal(demo: Any) -> None:
    draftless = _scenario_refs(demo, "paid")[0]
    with pytest.raises(Refused, match="demande_pieces"):
        notices.issue(demo, draftless, "demande_pieces")


def test_english_on_request(demo: Any) -> None:
    ref = _scenario_refs(demo, "rejected")[0]
    with use_language("en"):
        document, _ = notices.build(demo, ref, "notification_decision")
    from ami_workflow.render import render_pdf

    text = re.sub(r"\s+", " ", pdf_text(render_pdf(document)))
    assert "Voies et délais de recours" in text and "may be challenged within 2 months" in text


def test_rule_l114_5_return_for_pieces_issues_a_demande_de_pieces_with_its_new_deadline() -> None:
    from walk import applicant, application, attach_all, new_flow, walk

    flow = new_flow("memory")
    ref = flow.create_dossier(applicant(1), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "mark_complete")
    flow.fire(ref, "return_for_pieces", issues=[{"key": "rib", "reason": "outdated", "note": "RIB de 2019"}])
    with use_language("fr"):
        issued = notices.issue_all(flow, ref)
        returned = paris_date(flow.history(ref)[-1].at)
        deadline = format_day(returned.fromordinal(returned.toordinal() + 15))
    assert [d.kind for d in issued] == ["accuse_reception", "demande_pieces"]
    text = _text(flow, ref, "demande_pieces")
    for mention in ["Demande de pièces", "Relevé d'Identité Bancaire (clé `rib`)", "périmée", "RIB de 2019",
                    f"avant le {deadline}", "L114-5", "à compter de la réception des pièces manquantes"]:
        assert mention in text, mention


def test_the_example_of_docs_documents_md_runs_on_the_demo(demo: Any) -> None:
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "documents.md").read_text("utf-8")
    [block] = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "notices.issue_all" in b]
    ref = _scenario_refs(demo, "paid")[0]
    namespace: dict[str, Any] = {"flow": demo, "reference": ref}
    exec(compile(block, "documents.md", "exec"), namespace)
    assert namespace["pdf"] == demo.document_bytes(ref, "accuse_reception") and namespace["pdf"].startswith(b"%PDF")
