"""The store's messages in French: unknown records, conflicts, verify's problems, key and anchor files.

The suite runs in English (conftest.py); each test here asks for French with ``use_language("fr")``. Keys,
field names and references stay as they are in the French text.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from walk import TIMES, applicant, application, at, attach_all, new_flow, walk

from ami_workflow.anchor import check_against_anchor, load_private_key, read_checkpoints, sign_checkpoint
from ami_workflow.errors import AnchorError, InvalidInput, NotFound, SchemaError, VersionConflict
from ami_workflow.i18n import use_language
from ami_workflow.journal import GENESIS, ChainProblem, canonical_json, link, verify_chain

KEY = Ed25519PrivateKey.generate()
AT = "2021-04-12T09:30:00+02:00"


def _chain(n: int) -> list[Any]:
    events, previous = [], GENESIS
    for seq in range(1, n + 1):
        event = link(previous, seq, {"dossier": "AMI-2021-0001", "n": seq})
        events.append(event)
        previous = event.hash
    return events


def _dossier(flow: Any) -> str:
    ref: str = flow.create_dossier(applicant(1), application()).reference
    attach_all(flow, ref)
    return ref


def test_an_unknown_dossier_campaign_or_file_is_named_in_french(flow: Any) -> None:
    with use_language("fr"), pytest.raises(NotFound) as error:
        flow.get("AMI-2021-9999")
    assert str(error.value) == "aucun dossier « AMI-2021-9999 »"
    with use_language("fr"), pytest.raises(NotFound) as error:
        flow.file("ab" * 32)
    assert str(error.value) == f"aucun fichier '{'ab' * 32}'"
    with use_language("fr"), pytest.raises(NotFound) as error:
        flow.export_applicant("siren:000000000")
    assert str(error.value) == (
        "aucun porteur de projet 'siren:000000000' (les identités s'écrivent siren:…, rna:… ou name:…)"
    )


def test_a_stale_version_and_bad_input_are_refused_in_french(flow: Any) -> None:
    ref = _dossier(flow)
    copy = flow.get(ref)
    at(flow, TIMES["submit"])
    flow.fire(ref, "submit", expected_version=copy.version)
    with use_language("fr"), pytest.raises(VersionConflict) as conflict:
        flow.fire(ref, "withdraw", expected_version=copy.version)
    assert str(conflict.value).startswith(f"{ref} est à la version {copy.version + 1}, et non {copy.version} : ")
    with use_language("fr"), pytest.raises(InvalidInput) as error:
        flow.update_application(ref, application(title="Autre"), expected_version=None)
    assert str(error.value) == (
        "expected_version est obligatoire : donnez la version du dossier que vous avez modifié"
    )
    with use_language("fr"), pytest.raises(InvalidInput) as error:
        flow.attach(ref, 12, b"x")  # a key of the wrong type: refused at the boundary, naming the parameter
    assert str(error.value) == f"{type(flow).__name__}.attach : key : str attendu, int reçu"
    with use_language("fr"), pytest.raises(InvalidInput) as error:
        flow.attach(ref, "photo", b"x")
    assert str(error.value).startswith("pièce inconnue")


def test_batches_do_not_nest_in_french(flow: Any) -> None:
    with use_language("fr"), flow.batch(), pytest.raises(InvalidInput) as error, flow.batch():
        pass
    assert str(error.value) == "un lot est déjà ouvert sur cette base : les lots ne s'imbriquent pas"


def test_verify_chain_names_the_problem_in_french() -> None:
    first, second, third = _chain(3)
    with use_language("fr"):
        assert verify_chain([second, first, third]) == ChainProblem(
            1, "permuté : les événements 1 et 2 sont intervertis")
        assert verify_chain([first, third]) == ChainProblem(
            2, "manquant ou déplacé : seq 2 attendu, 3 trouvé")
        assert verify_chain([first], expected_count=3) == ChainProblem(
            2, "tronqué : le journal devrait compter 3 événements, il en compte 1")
        assert verify_chain([], expected_count=1) == ChainProblem(
            1, "tronqué : le journal devrait compter 1 événement, il en compte 0")
        assert verify_chain([first, second], expected_count=1) == ChainProblem(
            2, "inattendu : le journal ne devrait compter que 1 événement, il en compte 2")
        forged = link(GENESIS, 1, {"dossier": "AMI-2021-0001", "n": 99})
        assert verify_chain([forged, second]) == ChainProblem(
            2, "lien rompu : l'empreinte précédente ne correspond pas à l'événement 1")
    with use_language("en"):  # the English text is the message as written
        assert verify_chain([first], expected_count=3) == ChainProblem(2, "truncated: expected 3 events, found 1")
        assert verify_chain([], expected_count=1) == ChainProblem(1, "truncated: expected 1 event, found 0")


def test_a_float_is_refused_in_french_with_the_place_named() -> None:
    with use_language("fr"), pytest.raises(InvalidInput) as error:
        canonical_json({"grant": {"amount": 0.1}, "ok": Decimal("1")})
    assert str(error.value) == (
        "grant.amount : un float ne peut pas être inscrit au journal (0.1) ; utilisez un Decimal ou une chaîne"
    )


def _tampered(tmp_path: Path, statement: str) -> tuple[Any, str]:
    path = str(tmp_path / "ami.db")
    flow = new_flow("sqlite", path=path)
    ref = _dossier(flow)
    walk(flow, ref, "submit")
    assert flow.verify() is None
    flow.close()
    conn = sqlite3.connect(path)
    conn.execute(statement, (ref,) if "?" in statement else ())
    conn.commit()
    conn.close()
    return new_flow("sqlite", path=path, start=TIMES["submit"]), ref


def test_verify_names_a_tampered_event_in_french(tmp_path: Path) -> None:
    flow, _ref = _tampered(tmp_path, "UPDATE events SET body = replace(body, ',', ', ') WHERE seq = 2")
    try:
        with use_language("fr"):
            problem = flow.verify()
        assert problem == ChainProblem(2, "modifié : son empreinte ne correspond pas à son contenu")
    finally:
        flow.close()


def test_verify_names_a_tampered_dossier_row_in_french(tmp_path: Path) -> None:
    flow, ref = _tampered(tmp_path, "UPDATE dossiers SET state = 'approved' WHERE reference = ?")
    try:
        with use_language("fr"):
            problem = flow.verify()
        assert problem is not None
        assert problem.reason.startswith(f"dossier {ref} : la colonne state diffère de sa fiche"), problem
    finally:
        flow.close()


def test_a_file_that_is_no_database_is_refused_in_french(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"ceci n'est pas une base de donnees, " * 100)
    with use_language("fr"), pytest.raises(SchemaError) as error:
        new_flow("sqlite", path=str(path))
    assert "ce n'est pas une base de données SQLite" in str(error.value)


def test_a_bad_anchor_file_is_named_by_line_in_french(tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.jsonl"
    anchor.write_text('{"seq": 1}\nnot json\n', encoding="ascii")
    with use_language("fr"), pytest.raises(AnchorError) as error:
        read_checkpoints(anchor)
    assert str(error.value) == (
        f"{anchor} : ligne 1 : exactement les clés head, key_id, recorded_at, seq, signature sont attendues"
    )
    with use_language("fr"), pytest.raises(AnchorError) as error:
        read_checkpoints(tmp_path / "absent.jsonl")
    assert str(error.value).startswith(f"{tmp_path / 'absent.jsonl'} : lecture du fichier d'ancrage impossible (")


def test_a_public_key_given_to_sign_is_refused_in_french(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    public = tmp_path / "anchor.pub"
    public.write_bytes(KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with use_language("fr"), pytest.raises(AnchorError) as error:
        load_private_key(public)
    assert str(error.value) == (
        f"{public} : c'est une clé publique ; pour signer, il faut le fichier de la clé privée"
    )


def test_a_journal_cut_below_a_checkpoint_is_named_in_french() -> None:
    events = _chain(3)
    mark = sign_checkpoint(KEY, 3, events[2].hash, AT)
    with use_language("fr"):
        problem = check_against_anchor(events[:2], [mark], KEY.public_key())
        assert problem == ChainProblem(3, (
            "coupé : le journal s'arrête à l'événement 2, mais un point de contrôle a été signé à l'événement 3"))
        forged = sign_checkpoint(Ed25519PrivateKey.generate(), 3, events[2].hash, AT)
        problem = check_against_anchor(events, [forged], KEY.public_key())
    assert problem is not None and problem.reason.startswith(
        "point de contrôle à l'événement 3 : signé par une autre clé (key_id "), problem


def test_an_erased_file_says_when_in_french(tmp_path: Path) -> None:
    flow = new_flow("sqlite", path=str(tmp_path / "ami.db"))
    try:
        ref = _dossier(flow)
        walk(flow, ref, "submit")
        piece = flow.get(ref).piece("liste_ca")
        at(flow, TIMES["mark_complete"])
        flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande de la présidente")
        with use_language("fr"), pytest.raises(NotFound) as error:
            flow.file(piece.sha256)
        assert str(error.value) == (
            f"le fichier {piece.sha256} a été effacé (données personnelles) le 3 mai 2021 à 10:00 (heure de Paris)"
        )
    finally:
        flow.close()
