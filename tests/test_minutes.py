"""The minutes (procès-verbal) of a committee session (issue "The committee and the decision"), on both backends."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pdftext import pdf_text
from walk import SESSION_ID, TIMES, applicant, application, at, attach_all, walk_all

from ami_workflow import NotFound, load_campaign, minutes
from ami_workflow.board import BoardMember
from ami_workflow.committee import CommitteeSession, Member
from ami_workflow.document import Facts, Table
from ami_workflow.i18n import use_language

CAMPAIGN = load_campaign("ami-cohesion-sociale-2021")
GRID = CAMPAIGN.committee.grid
assert GRID is not None
MEMBERS = (Member("Hélène Lefèvre", "elus"), Member("Anne Roux", "personnalites"), Member("Marc Blanc", "techniciens"),
           Member("Rita Noir", "habitants"), Member("Luc Gris", "elus"))


def _session_held(flow: Any) -> list[str]:
    refs = []
    for n in (1, 2):
        ref = str(flow.create_dossier(applicant(n), application()).reference)
        attach_all(flow, ref)
        refs.append(ref)
    flow.record_board(refs[0], (BoardMember("LEFEVRE Helene", "trésorière"),))
    walk_all(flow, refs, "instruct")
    at(flow, TIMES["hear"])
    flow.record_session(CommitteeSession(SESSION_ID, date(2021, 6, 15), "Mme la Vice-Présidente",
                                         CAMPAIGN.committee.chair_role, MEMBERS, convened=7))
    flow.rule_conflict(refs[0], SESSION_ID, "Hélène Lefèvre", confirmed=True, reason="Trésorière de l'association.")
    for ref in refs:
        flow.fire(ref, "hear", session=SESSION_ID)
    for ref, base in zip(refs, (4, 2), strict=True):
        for member in MEMBERS:
            if ref == refs[0] and member.name == "Hélène Lefèvre":
                continue
            flow.record_scores(ref, SESSION_ID, member.name, {c.key: base for c in GRID.criteria},
                               opinion=f"Avis de {member.name}.")
    at(flow, TIMES["approve"])
    for ref in refs:
        flow.fire(ref, "approve")
    return refs


def test_rule_the_minutes_record_who_sat_the_conflicts_quorum_scores_ranking_and_proposals(flow: Any) -> None:
    refs = _session_held(flow)
    with use_language("fr"):
        doc = minutes.build(flow, SESSION_ID)
        pdf = minutes.render(flow, SESSION_ID)
    assert doc.title == "Procès-verbal de la séance du comité de sélection" and doc.lang == "fr"
    text = pdf_text(pdf)
    for expected in ("Mme la Vice-Présidente", "Hélène Lefèvre", "élus", "habitants",  # who sat, in which category
                     "confirmé : déporté",  # the conflict and the chair's ruling
                     "Membres convoqués 7", "Quorum atteint",  # the quorum
                     "Déporté(s) Hélène Lefèvre", "Avis de Luc Gris.",  # the recusal and the opinions
                     "Rang", "Politique de répartition de l'appel : au prorata au centime"):
        assert expected in text, expected
    [conflicts] = [b for b in doc.blocks if isinstance(b, Table) and b.header[0] == "Membre" and len(b.header) == 4]
    assert conflicts.rows == (("Hélène Lefèvre", refs[0], "LEFEVRE Helene siège au conseil d'administration du porteur "
                               "comme trésorière", "confirmé : déporté — Trésorière de l'association."),)
    facts = [b for b in doc.blocks if isinstance(b, Facts)]
    first = dict(facts[1].rows)  # the first dossier heard: the best ranked
    assert first["Résultat"] == "4,00, rang 1"
    assert first["Membres siégeant pour ce dossier"] == "4"
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    scores = [t for t in tables if t.header[0] == "Membre" and t.header[-1] == "Moyenne pondérée"]
    assert [len(t.rows) for t in scores] == [4, 5]  # she took no part in the first dossier
    assert scores[0].rows[0] == ("Anne Roux", "4 · 4 · 4 · 4 · 4 · 4", "4,00")
    assert minutes.render(flow, SESSION_ID) == minutes.render(flow, SESSION_ID)  # deterministic


def test_the_minutes_of_an_unknown_session_are_refused(flow: Any) -> None:
    with pytest.raises(NotFound):
        minutes.build(flow, "no-such-session")


def test_the_minutes_through_the_command_line(tmp_path: Any) -> None:
    from click.testing import CliRunner
    from walk import new_flow

    from ami_workflow.cli import main

    db = tmp_path / "ami.db"
    flow = new_flow("sqlite", path=str(db))
    _session_held(flow)
    flow.close()
    out = tmp_path / "pv.pdf"
    done = CliRunner().invoke(main, ["--db", str(db), "minutes", SESSION_ID, "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"%PDF") and (out.stat().st_mode & 0o077) == 0  # its owner's only
    html = CliRunner().invoke(main, ["--db", str(db), "minutes", SESSION_ID, "--format", "html"])
    assert html.exit_code == 0 and "Hélène Lefèvre" in html.output
    missing = CliRunner().invoke(main, ["--db", str(db), "minutes", "no-such-session"])
    assert missing.exit_code != 0 and "no-such-session" in missing.output
