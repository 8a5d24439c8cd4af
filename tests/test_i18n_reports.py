"""The report, the agenda and the demo in French: the campaign of tests/test_reports.py, read with use_language("fr").

French amounts group by a narrow no-break space (U+202F) and end with a no-break space (U+00A0) and « € »;
percentages end with a narrow no-break space and « % »; dates read « 31 mai 2021 ».
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from test_reports import build
from walk import CAMPAIGN, new_flow

from ami_workflow.agenda import AgendaKind, agenda
from ami_workflow.calendar import PARIS, FixedClock
from ami_workflow.demo import describe_campaign, walk_sample_dossier
from ami_workflow.errors import InvalidInput
from ami_workflow.i18n import use_language
from ami_workflow.memory import MemoryWorkflow
from ami_workflow.reports import CampaignReport, campaign_report, format_percent, report_lines
from ami_workflow.rollover import parse_qpv_csv, rollover, working_day
from ami_workflow.sample import run_demo
from ami_workflow.scdl import SCDL_COLUMNS, check_scdl_row
from ami_workflow.states import state_words

NNBSP, NBSP = "\u202f", "\xa0"
ENGLISH = (" the ", " and ", " of ", " is ", " to ", "approved", "submitted", "paid", "received", "dossiers by")


def euros(text: str) -> str:
    """« 150 000,00 € » with French typography, from "150 000,00"."""
    return text.replace(" ", NNBSP) + NBSP + "€"


def outside_keys(line: str) -> str:
    """The line without the keys written in backticks (`approved`), which stay English on purpose."""
    return re.sub(r"`[^`]*`", "``", line)


def assert_french(lines: list[str]) -> None:
    for line in lines:
        bare = f" {outside_keys(line).lower()} "
        assert not [word for word in ENGLISH if word in bare], line


@pytest.fixture(scope="module")
def flow() -> Any:
    flow = new_flow("sqlite")
    build(flow)
    yield flow
    flow.close()


@pytest.fixture(scope="module")
def report(flow: Any) -> CampaignReport:
    return campaign_report(flow)


@pytest.fixture(scope="module")
def lines(report: CampaignReport) -> list[str]:
    with use_language("fr"):
        return report_lines(report)


def test_the_report_s_headings_are_french(lines: list[str]) -> None:
    for heading in ("Enveloppe et subventions", "Dossiers par état (7 au total, 6 reçus)",
                    "Par axe (dossiers reçus ; montants accordés et versés hors dossiers retirés)",
                    "Publics (sur 6 dossiers reçus)",
                    "Critères de bonification confirmés à l'instruction (sur 5 dossiers instruits)"):
        assert heading in lines
    assert lines[1].startswith("Financeur : Communauté d'Agglomération de Lens-Liévin")


def test_the_report_s_amounts_are_french_euros(lines: list[str]) -> None:
    amounts = {line.split()[0]: line.split(maxsplit=1)[1].strip() for line in lines[4:9]}
    assert amounts["Enveloppe"] == euros("150 000,00")
    assert amounts["Accordé"] == euros("43 000,00")
    assert amounts["Versé"] == euros("8 000,00")
    assert amounts["Disponible"] == euros("107 000,00")
    assert any(line.startswith("Reste à verser") and line.endswith(euros("35 000,00")) for line in lines)
    assert (f"  4. L'inclusion numérique : 2 dossiers, demandé {euros('13 000,00')}, accordé {euros('13 000,00')}, "
            f"versé {euros('8 000,00')}") in lines
    assert f"  QP062024 Cité 12-14 (NPNRU) : 5 dossiers, accordé {euros('13 000,00')}" in lines
    assert "  aucun dossier pour les 18 autres QPV de l'appel" in lines


def test_the_report_s_states_name_their_keys(lines: list[str]) -> None:
    by_state = {outside_keys(line).split(" (``)")[0].strip(): line.split()[-1] for line in lines
                if "(`" in line and line.startswith("  ") and line.split()[-1].isdigit()}
    assert by_state == {"brouillon": "1", "déposé": "1", "complet": "0", "instruit": "0", "auditionné": "0",
                        "retenu": "2", "versé": "1", "soldé": "0", "en reversement": "0", "reversé": "0",
                        "rejeté": "1", "retiré": "1"}
    assert any(re.fullmatch(r"  versé \(`paid`\) +1", line) for line in lines)
    with use_language("fr"):
        assert state_words("paid") == "versé (`paid`)" and state_words("custom_state") == "custom_state"
    with use_language("en"):
        assert state_words("paid") == "paid" and state_words("audited") == "heard (`audited`)"


def test_the_report_s_percentages_and_rate_are_french(lines: list[str]) -> None:
    percent = NNBSP + "%"
    assert f"  pour les jeunes (au moins la moitié des participants) : 2 sur 6 (33,33{percent})" in lines
    assert f"  pour les femmes (au moins la moitié des participants) : 3 sur 6 (50,00{percent})" in lines
    assert (f"Taux de financement pondéré par le coût : 47,78{percent} ({euros('43 000,00')} accordés pour un coût "
            f"total de {euros('90 000,00')})") in lines
    with use_language("fr"):
        assert format_percent(None) == "n.d."


def test_the_report_has_no_english_outside_the_keys(lines: list[str]) -> None:
    assert_french(lines)
    assert "Incohérences relevées" not in lines


def test_the_report_s_inconsistencies_are_french(report: CampaignReport) -> None:
    broken = attrs.evolve(report, approved=Decimal("150000.01"), by_state={**report.by_state, "draft": 2})
    with use_language("fr"):
        problems = broken.problems()
        lines = report_lines(broken)
    assert problems[0] == "les effectifs par état totalisent 8, et non 7 dossiers"
    assert f"le total accordé, {euros('150 000,01')}, dépasse l'enveloppe de {euros('150 000,00')}" in problems
    assert "Incohérences relevées" in lines
    assert_french(lines)


def test_the_agenda_is_french(flow: Any) -> None:
    with use_language("fr"):
        items = agenda(flow, datetime(2021, 9, 20, 9, tzinfo=PARIS))
        late = agenda(flow, datetime(2021, 10, 1, 9, tzinfo=PARIS))
    pending = [i.message for i in items if i.kind is AgendaKind.DELIBERATION_PENDING]
    assert len(pending) == 3 and all(message.endswith(
        "mais aucune délibération ne l'attribue encore ; la période de délibération s'achève le 30 septembre 2021 "
        "(dans 10 jours).") for message in pending)
    assert any(f" : accordé pour {euros('5 000,00')}, mais" in message for message in pending)
    [convention] = [i for i in late if i.kind is AgendaKind.CONVENTION_MISSING]
    assert (f"{euros('30 000,00')} attribués par la délibération DEL-2021-09 du 27 septembre 2021 ; au-delà de "
            f"{euros('23 000,00')}, une convention signée doit être enregistrée avant le premier versement "
            "(échéance : il y a 4 jours).") in convention.message
    assert_french([i.message for i in items + late])


def test_the_agenda_reminds_drafts_and_incomplete_dossiers_in_french() -> None:
    flow = new_flow("memory")
    build(flow)
    with use_language("fr"):
        [reminder] = agenda(flow, datetime(2021, 4, 29, 9, tzinfo=PARIS))
        incomplete = [i for i in agenda(flow, datetime(2021, 5, 30, 9, tzinfo=PARIS))
                      if i.kind is AgendaKind.MISSING_PIECES]
    assert reminder.message == (
        "Association 1 : le dossier est encore à l'état brouillon (`draft`) ; la date limite de dépôt est le "
        "30 avril 2021 à minuit, heure de Paris (demain).")
    [item] = incomplete
    assert "l'instruction s'achève le 31 mai 2021 (demain)" in item.message


def test_the_demo_echoes_french_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMI_WORKFLOW_LANG")  # the library's own default, as `ami-workflow demo` runs it
    echoed: list[str] = []
    flow = MemoryWorkflow(CAMPAIGN, clock=FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS)), actor="demo")
    run_demo(flow, echo=echoed.append)
    assert echoed[0] == "== Mars-avril 2021 : 30 dossiers sont rédigés, complétés et déposés"
    assert "== Mai 2021 : instruction" in echoed and "== Versements" in echoed
    submitted = r"  \S+ déposé le \d+ (mars|avril) 2021 par .+ \(scénario `\w+`\)"
    assert any(re.fullmatch(submitted, line) for line in echoed)
    assert any(line.startswith("  jury : ") and "projets retenus" in line for line in echoed)
    assert_french([line for line in echoed if not line.startswith("    - ")])  # refusal reasons: other areas
    report = report_lines(campaign_report(flow))
    assert report[3] == "Enveloppe et subventions" and euros("150 000,00") in report[4]
    assert_french(report)


def test_the_sample_walk_and_the_call_described_in_french() -> None:
    echoed: list[str] = []
    with use_language("fr"):
        walk_sample_dossier(echo=echoed.append)
        described = describe_campaign(CAMPAIGN)
    assert f"  enveloppe : {euros('150 000,00')} (fonctionnement) pour 2021" in described
    assert ("  calendrier : lancement le 8 mars 2021, date limite de dépôt le 30 avril 2021 (heure de Paris, incluse)"
            in described)
    assert f"  public : au moins 60{NNBSP}% des participants résidant dans un QPV" in described
    assert any("versement (`pay`) du solde de" in line for line in echoed)
    assert "\nhistorique :" in echoed
    assert echoed[-1] == (f"\nenveloppe {euros('150 000,00')} : accordé {euros('26 000,00')}, versé "
                          f"{euros('26 000,00')}, disponible {euros('124 000,00')}")


def test_the_rollover_explains_its_changes_in_french() -> None:
    with use_language("fr"):
        result = rollover(CAMPAIGN, 2022)
        text = result.text
        with pytest.raises(InvalidInput, match="la reconduction va vers l'avenir : 2021 n'est pas postérieure"):
            rollover(CAMPAIGN, 2021)
        with pytest.raises(InvalidInput, match=r"liste des QPV, ligne 2 : le nom est vide"):
            parse_qpv_csv("code,name,communes\nQP062045,,Méricourt\n")
        _day, holiday = working_day(date(2023, 5, 1), "next")
    change = result.change("calendar.deadline")
    assert change is not None and change.why == (
        "le 2022-04-30 est un samedi ; reporté au jour ouvré précédent, le 2022-04-29")
    jury = result.change("calendar.jury")
    assert jury is not None and jury.why == "les mois entiers restent des mois entiers : juin 2021 devient juin 2022"
    assert holiday == "le 2023-05-01 est un jour férié (Fête du Travail) ; reporté au jour ouvré suivant, le 2023-05-02"
    assert f"# Modifications ({len(result.changes)}) :" in text.splitlines()
    assert "ami-cohesion-sociale-2022" in text and "[calendar]" in text  # the keys and values stay as they are


def test_the_scdl_problems_are_french_and_name_the_columns() -> None:
    row = dict.fromkeys(SCDL_COLUMNS, "")
    row.update(montant="26000,00", notificationUE="peut-être", idAttribuant="123")
    with use_language("fr"):
        problems = check_scdl_row(row)
        again = check_scdl_row(row)  # the SIRET's problem is remembered by language
    with use_language("en"):
        english = check_scdl_row(row)
    assert ("montant : '26000,00' doit s'écrire avec un point décimal et deux décimales, par exemple 26000.00"
            in problems)
    assert "notificationUE : 'peut-être' doit valoir 'oui' ou 'non'" in problems
    assert ("idAttribuant : '123' n'est pas un SIRET : 14 chiffres d'un seul bloc sont attendus (le financeur)"
            in problems)
    assert again == problems and len(english) == len(problems)
    assert "idAttribuant: '123' is not a SIRET: 14 digits in one block are expected (the funder)" in english
