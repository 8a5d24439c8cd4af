"""The command line in French: click's own strings, the help texts, what the commands print, and usage errors.

The suite runs in English (the root conftest.py); these tests ask for French through ``AMI_WORKFLOW_LANG`` (the
way a person sets it) or ``--lang``, and check that the language of the test process is left as it was.
"""

from __future__ import annotations

import gettext
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from ami_workflow.calendar import SystemClock, parse_instant
from ami_workflow.cli import main
from ami_workflow.i18n import current_language

FR = {"AMI_WORKFLOW_LANG": "fr"}
EN = {"AMI_WORKFLOW_LANG": "en"}
NNBSP, NBSP = "\u202f", "\u00a0"

SetClock = Callable[[str], None]


def run(*args: str, env: dict[str, str | None] | None = None, code: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args), env=FR if env is None else env, catch_exceptions=False,
                                prog_name="ami-workflow")
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SetClock:
    """The command line dates every act by the system clock: the test moves it forward."""
    now = [parse_instant("2021-03-01T09:00")]
    monkeypatch.setattr(SystemClock, "now", lambda self: now[0])

    def set_to(when: str) -> None:
        now[0] = parse_instant(when)

    return set_to


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


# -- help --------------------------------------------------------------------------


def test_the_main_help_is_french() -> None:
    out = run("--help").output
    words = " ".join(out.split())
    assert out.startswith("Utilisation : ami-workflow [OPTIONS] COMMANDE [ARGS]...")
    assert "Conduire un appel à manifestation d'intérêt (AMI) de bout en bout sur une base SQLite embarquée." in words
    assert "Options :" in out and "Commandes :" in out
    assert "Afficher ce message et quitter." in out and "Afficher la version et quitter." in out
    assert "[par défaut : ami.db]" in words
    assert "La langue de la sortie : fr (par défaut) ou en (ou définissez AMI_WORKFLOW_LANG)." in words
    assert "Les appels à projets enregistrés dans la base." in out  # a subcommand's short help
    assert "Usage" not in out and "Show this message" not in out


def test_lang_en_gives_the_english_help_whatever_the_environment() -> None:
    out = run("--lang", "en", "--help").output
    assert out.startswith("Usage: ami-workflow [OPTIONS] COMMAND [ARGS]...")
    assert "Run a call for projects (AMI) end to end on an embedded SQLite database." in out
    assert "Show this message and exit." in out and "Show the version and exit." in out
    assert "Utilisation" not in out
    assert run("--lang", "fr", "--help", env=EN).output.startswith("Utilisation :")


def test_a_command_s_help_is_french() -> None:
    out = run("dossier", "fire", "--help").output
    assert out.startswith("Utilisation : ami-workflow dossier fire [OPTIONS] REFERENCE")
    out = " ".join(out.split())
    assert "Appliquer l'action TRIGGER à un dossier (submit, mark_complete, instruct, hear, approve, pay…)." in out
    assert "instruct : les critères de bonification" in out and "Afficher ce message et quitter." in out
    rollover = run("campaign", "rollover", "--help").output
    assert "Écrire le fichier d'appel de l'année suivante" in rollover
    assert "stderr).\n\n  Les dates gardent leur jour du mois" in rollover  # the docstring's paragraphs are kept


def test_click_s_path_parameters_are_named_in_french_and_back_in_english() -> None:
    assert "--key FICHIER" in run("verify", "--help").output
    assert "--key FILE" in run("verify", "--help", env=EN).output


@pytest.mark.parametrize("path", list(_commands(main)), ids=" ".join)
def test_every_help_text_is_translated(path: tuple[str, ...]) -> None:
    french = " ".join(run(*path, "--help").output.split())
    english = " ".join(run(*path, "--help", env=EN).output.split())  # and the helps are as written again
    command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert command.help
    first = " ".join(command.help.split())[:40]
    assert first in english and first not in french
    for param in command.params:
        if isinstance(param, click.Option) and param.help:
            assert param.help[:30] in english, param.name
            assert param.help[:30] not in french, param.name


# -- usage errors ----------------------------------------------------------------------


def test_an_unknown_command_is_a_french_usage_error() -> None:
    result = run("nope", code=2)
    assert "Erreur : Commande 'nope' inconnue." in result.output
    assert "Essayez « ami-workflow --help » pour obtenir de l'aide." in result.output
    assert "Utilisation : ami-workflow [OPTIONS] COMMANDE [ARGS]..." in result.output


def test_a_missing_argument_and_a_bad_value_are_french_usage_errors(tmp_path: Path) -> None:
    missing = run("dossier", "fire", code=2).output
    assert "Erreur : Argument manquant 'REFERENCE'." in missing
    assert "Essayez « ami-workflow dossier fire --help »" in missing
    choice = run("dossier", "fire", "X", "launch", code=2).output
    assert "Valeur incorrecte pour '{submit|" in choice and "'launch' n'est pas l'une des valeurs 'submit'," in choice
    absent = run("verify", "--key", str(tmp_path / "absent.pem"), code=2).output
    assert f"Valeur incorrecte pour '--key' : Fichier '{tmp_path / 'absent.pem'}' introuvable." in absent
    assert "Erreur : Option '--nope' inconnue." in run("report", "--nope", code=2).output
    assert "Erreur : L'option '--db' attend un argument." in run("--db", code=2).output


def test_the_environment_chooses_english_and_the_system_locale_is_ignored(tmp_path: Path) -> None:
    db = str(tmp_path / "none.db")
    assert "Error: No such command 'nope'." in run("nope", env=EN, code=2).output
    system_french = {**EN, "LANG": "fr_FR.UTF-8", "LC_ALL": "fr_FR.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8",
                     "LANGUAGE": "fr"}
    out = run("--help", env=system_french).output
    assert out.startswith("Usage:") and "Show this message and exit." in out
    assert "Error: no database at" in run("--db", db, "report", env=system_french, code=2).output
    assert "Erreur : aucune base de données à" in run("--db", db, "report", code=2).output


@pytest.mark.parametrize("args", [("--help",), ("--lang", "fr", "--help"), ("--lang", "en", "nope"), ("nope",)])
def test_the_library_s_language_is_put_back_after_the_command(args: tuple[str, ...]) -> None:
    before = (current_language(), os.environ.get("LANGUAGE"), gettext.textdomain(), os.environ["AMI_WORKFLOW_LANG"])
    CliRunner().invoke(main, list(args), env=FR, catch_exceptions=False)
    after = (current_language(), os.environ.get("LANGUAGE"), gettext.textdomain(), os.environ["AMI_WORKFLOW_LANG"])
    assert after == before == ("en", before[1], before[2], "en")
    assert gettext.gettext("Show this message and exit.") == "Show this message and exit."


# -- what the commands print -----------------------------------------------------------


def _dossier_file(tmp_path: Path) -> Path:
    source = tmp_path / "dossier.json"
    source.write_text(json.dumps({
        "applicant": {"name": "Association Test", "kind": "association", "siren": "732829320",
                      "iban": "FR1420041010050500013M02606", "legal_representative": "Claire Dupont"},
        "application": {"title": "Ateliers", "axis": "education", "qpv_codes": ["QP062024"],
                        "period": {"start": "2021-09-01", "end": "2022-06-30"}, "total_cost": "10000.00",
                        "requested": "5000.00", "participants": 100, "qpv_residents": 80, "young": 50, "women": 50,
                        "sourcing": "Centres sociaux"},
    }), encoding="utf-8")
    return source


def test_a_dossier_s_commands_speak_french(tmp_path: Path, clock: SetClock) -> None:
    db = str(tmp_path / "ami.db")
    added = run("--db", db, "campaign", "add", "ami-cohesion-sociale-2021").output
    assert added == f"campagne ami-cohesion-sociale-2021 enregistrée dans {db} (1 au total)\n"
    clock("2021-03-10T09:00")
    created = run("--db", db, "dossier", "new", "--from", str(_dossier_file(tmp_path))).output
    ref = created.split(" : ")[0]
    assert created == f"{ref} : créé à l'état brouillon (`draft`)\n"
    piece = tmp_path / "statuts.pdf"
    piece.write_bytes(b"%PDF")
    attached = run("--db", db, "dossier", "attach", ref, "statuts", str(piece)).output
    assert attached.startswith(f"{ref} : pièce « statuts » (clé `statuts`) reçue (4 octets, sha256 ")  # its label
    original = run("--db", db, "dossier", "original", ref, "dossier_demande", "--unsigned").output
    assert original.startswith(f"{ref} : original papier de « ")
    assert original.endswith(" » (clé `dossier_demande`) enregistré, non signé\n")
    clock("2021-05-03T09:00")  # after the deadline
    refused = run("--db", db, "dossier", "fire", ref, "submit", code=1).output
    assert refused.startswith("action `submit` refusée :\n  - ")
    shown = run("--db", db, "dossier", "show", ref).output
    assert f"{ref}  [brouillon (`draft`)]  version " in shown
    assert "  porteur de projet : Association Test (association)" in shown
    assert f"coût 10{NNBSP}000,00{NBSP}€, demandé 5{NNBSP}000,00{NBSP}€, plafond actuel" in shown
    assert "  pièces manquantes :\n" in shown and "  historique :\n" in shown and "  suites possibles :\n" in shown
    assert "    submit : refusé\n" in shown
    listed = run("--db", db, "dossier", "list").output.splitlines()
    assert listed[0].split() == ["référence", "état", "axe", "qpv", "demandé", "accordé", "porteur", "de", "projet"]
    assert f"5{NNBSP}000,00{NBSP}€" in listed[2] and "brouillon" in listed[2].split()  # the state in words
    assert listed[-1] == "1 dossier"
    amended = run("--db", db, "amend-calendar", "jury", "2021-06-01", "2021-07-09", "--reason", "report").output
    assert amended == "la période `jury` va désormais du 1 juin 2021 au 9 juillet 2021\n"
    verified = run("--db", db, "verify").output
    assert verified.startswith("journal intact : ") and " événements, tête " in verified


def test_json_output_is_the_same_in_both_languages(tmp_path: Path, clock: SetClock) -> None:
    db = str(tmp_path / "ami.db")
    run("--db", db, "campaign", "add", "ami-cohesion-sociale-2021")
    clock("2021-03-10T09:00")
    run("--db", db, "dossier", "new", "--from", str(_dossier_file(tmp_path)))
    for args in (("verify", "--json"), ("dossier", "list", "--json"), ("campaign", "list", "--json")):
        assert run("--db", db, *args).output == run("--db", db, *args, env=EN).output, args


def test_bad_input_and_refusals_to_run_are_french(tmp_path: Path) -> None:
    db = str(tmp_path / "ami.db")
    run("--db", db, "campaign", "add", "ami-cohesion-sociale-2021")
    assert "Erreur : 'hier' n'est pas une date ISO (AAAA-MM-JJ)" in run(
        "--db", db, "amend-calendar", "jury", "hier", "2021-07-09", "--reason", "r", code=2).output
    assert "Erreur : --member attend NOM:CATÉGORIE, et non 'Ana'" in run(
        "--db", db, "committee", "c1", "2021-06-15", "--chair", "VP", "--member", "Ana", code=2).output
    assert "donnez à la fois --key et --anchor" in run("--db", db, "verify", "--key", db, code=2).output
    assert f"{db} existe déjà : lancez « ami-workflow demo --reset »" in run("--db", db, "demo", code=2).output


def test_the_demo_closes_in_french(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    out = run("--db", str(db), "demo", "--count", "3").output
    closing = out.rstrip("\n").splitlines()[-1]
    assert closing.startswith("Journal : ") and " événements, intact ; tête à l'événement " in closing
    assert closing.endswith(f"(pour vérifier : ami-workflow verify --key {db}.pub.pem --anchor {db}.anchor)")
