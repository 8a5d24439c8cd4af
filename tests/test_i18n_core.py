"""The core's messages in French: refusal reasons, amounts, dates, states, pieces and public holidays.

The suite runs in English (the root conftest.py); these tests choose French explicitly, and check that the
keys the commands take (piece keys, state keys) stay beside the French labels.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from walk import CAMPAIGN, TIMES, applicant, application, attach_all, new_flow, walk
from walk import at as move_to

from ami_workflow.calendar import PARIS, Window, public_holidays, to_paris, window_words
from ami_workflow.decisions import Deliberation, deliberation_refusals
from ami_workflow.errors import InvalidInput, InvalidTime, Refused
from ami_workflow.i18n import use_language
from ami_workflow.pieces import PieceReceipt, PieceRequirement, missing_pieces
from ami_workflow.states import State, state_label, state_words, trigger_label

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.fixture
def flow() -> Any:
    return new_flow("memory")


def refusal(flow: Any, ref: str, trigger: str, **data: Any) -> Refused:
    with pytest.raises(Refused) as info:
        flow.fire(ref, trigger, **data)
    return info.value


def test_state_labels_in_french_and_english() -> None:
    expected = {
        "draft": "brouillon", "submitted": "déposé", "complete": "complet", "instructed": "instruit",
        "audited": "auditionné", "approved": "retenu", "paid": "versé", "closed": "soldé", "recovery": "en reversement",
        "recovered": "reversé", "rejected": "rejeté", "withdrawn": "retiré",
    }  # fmt: skip
    assert set(expected) == {s.value for s in State}
    with use_language("fr"):
        assert {key: state_label(key) for key in expected} == expected
        assert state_words("submitted") == "déposé (`submitted`)"
        assert trigger_label("mark_complete") == "déclarer complet"
        assert state_label("unknown") == "unknown"
    with use_language("en"):
        assert state_label("audited") == "heard"
        assert state_words("draft") == "draft"  # the label is the key: not said twice


def test_missing_pieces_name_the_french_label_and_the_key() -> None:
    statuts = PieceRequirement("statuts", "Statuts")
    form = PieceRequirement("dossier_demande", "Dossier de demande de subvention", required_at_submit=True,
                            paper_original=True, signature=True)
    with use_language("fr"):
        reasons = missing_pieces([statuts, form], "association", [PieceReceipt("dossier_demande", date(2021, 4, 2))],
                                 [])
    assert reasons == [
        "pièce manquante : Statuts (clé `statuts`)",
        "original papier manquant : Dossier de demande de subvention (clé `dossier_demande`)",
    ]


def test_a_refused_submit_in_french_names_the_pieces_and_the_date(flow: Any) -> None:
    ref = flow.create_dossier(applicant(), application(young=None, sourcing=None)).reference
    move_to(flow, datetime(2021, 5, 3, 10, tzinfo=PARIS))  # after the deadline
    with use_language("fr"):
        error = refusal(flow, ref, "submit")
        message = str(error)
    reasons = error.reasons
    late = "la date limite de dépôt était le 30 avril 2021 à minuit (heure de Paris) ; nous sommes le 3 mai 2021"
    assert late in reasons
    assert "manquant : le nombre de jeunes parmi les participants (champ `young`)" in reasons
    assert any(r.startswith("manquant : le sourcing") and "(champ `sourcing`)" in r for r in reasons)
    form = CAMPAIGN.piece("dossier_demande")
    assert form is not None
    assert f"pièce manquante : {form.label} (clé `dossier_demande`)" in reasons
    assert message.startswith("submit refusé : ")  # the action stays the key the commands take


def test_amounts_in_french_in_an_approval_refusal(flow: Any) -> None:
    ref = flow.create_dossier(applicant(), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "hear")
    move_to(flow, TIMES["approve"])
    with use_language("fr"):
        reasons = refusal(flow, ref, "approve", amount=Decimal("150000")).reasons
    assert f"150{NNBSP}000,00{NBSP}€ dépasse le montant demandé (5{NNBSP}000,00{NBSP}€)" in reasons
    assert any(r.startswith(f"150{NNBSP}000,00{NBSP}€ dépasse le plafond") for r in reasons)
    with use_language("en"):
        reasons = refusal(flow, ref, "approve", amount=Decimal("150000")).reasons
    assert "€150,000.00 is more than the amount requested (€5,000.00)" in reasons


def test_a_window_refusal_in_french(flow: Any) -> None:
    ref = flow.create_dossier(applicant(), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "mark_complete")
    move_to(flow, datetime(2021, 6, 2, 10, tzinfo=PARIS))
    with use_language("fr"):
        reasons = refusal(flow, ref, "instruct").reasons
    assert ("l'instruction a lieu du 1 mai 2021 au 31 mai 2021 (heure de Paris) ; nous sommes le 2 juin 2021"
            in reasons)


def test_a_deliberation_refusal_names_the_state_and_its_key() -> None:
    deliberation = Deliberation("DEL-2021-1", date(2021, 8, 1), ("A-1",))
    with use_language("fr"):
        reasons = deliberation_refusals(deliberation, CAMPAIGN.calendar, [], {"A-1": "audited"})
    assert reasons == [
        "le jour de la délibération, le 1 août 2021, est hors de la période de délibération "
        "(du 1 septembre 2021 au 30 septembre 2021)",
        "A-1 est à l'état auditionné (`audited`), et non retenu (`approved`)",
    ]


def test_calendar_errors_and_window_words_in_french() -> None:
    window = Window(date(2021, 5, 1), date(2021, 5, 31))
    with use_language("fr"):
        assert window_words(window) == "du 1 mai 2021 au 31 mai 2021"
        with pytest.raises(InvalidTime, match="n'existe pas à l'heure de Paris"):
            to_paris(datetime(2021, 3, 28, 2, 30))
        with pytest.raises(InvalidInput, match="la période se termine"):
            Window(date(2021, 5, 31), date(2021, 5, 1))
    assert str(window) == "2021-05-01 to 2021-05-31"  # the machine spelling stays ISO


def test_public_holidays_in_the_current_language() -> None:
    with use_language("fr"):
        assert public_holidays("FR", 2022)[date(2022, 7, 14)] == "Fête nationale"
        assert public_holidays("FR", 2023)[date(2023, 5, 1)] == "Fête du Travail"
    with use_language("en"):
        assert public_holidays("FR", 2022)[date(2022, 7, 14)] == "National Day"
    with use_language("fr"), pytest.raises(InvalidInput, match="aucun jour férié connu pour le pays 'ZZ'"):
        public_holidays("ZZ", 2022)


def test_the_call_opens_on_its_launch_day_in_french() -> None:
    early = new_flow("memory", start=datetime(2021, 3, 1, 9, tzinfo=PARIS))
    ref = early.create_dossier(applicant(), application()).reference
    move_to(early, datetime(2021, 3, 7, 23, 59, tzinfo=PARIS))
    with use_language("fr"):
        reasons = refusal(early, ref, "submit").reasons
    assert "l'appel ouvre le 8 mars 2021 (heure de Paris) ; nous sommes le 7 mars 2021" in reasons


def test_input_errors_in_french() -> None:
    from ami_workflow.callfile import parse_campaign
    from ami_workflow.codec import structure_record
    from ami_workflow.dossier import Applicant, Application
    from ami_workflow.errors import CallFileError, InvalidAmount
    from ami_workflow.identity import check_applicant
    from ami_workflow.money import euros

    with use_language("fr"):
        with pytest.raises(InvalidAmount) as amount:
            euros(0.1, "requested")
        with pytest.raises(InvalidInput) as record:
            structure_record({"total_cost": "beaucoup"}, Application, "application")
        with pytest.raises(InvalidInput) as identity:
            check_applicant(Applicant("Asso", "association", siren="732829321"))
        with pytest.raises(CallFileError) as call:
            parse_campaign('format = 1\n', source="bad.toml")
    assert str(amount.value).startswith("requested : un nombre à virgule flottante n'est pas accepté comme montant")
    assert str(record.value) == "application.total_cost : number : 'beaucoup' n'est pas un montant"
    assert str(identity.value) == "porteur de projet : siren : '732829321' n'est pas un SIREN valide"
    assert str(call.value) == "bad.toml : calendar : la table [calendar] est obligatoire"


def test_an_overdue_report_and_a_stranded_act_read_in_french() -> None:
    from ami_workflow.core.view import overdue_text

    with use_language("fr"):
        assert overdue_text("AMI-2021-0001", 2021, date(2022, 6, 30)) == (
            "AMI-2021-0001 (subvention 2021) était dû le 30 juin 2022")
