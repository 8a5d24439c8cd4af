"""Erasure that erases: once an applicant's personal data is erased, the raw bytes of the database file and of
its ``-wal`` file hold none of it (RGPD art. 5(1)(f) and 17; SQLite's ``secure_delete`` and a WAL checkpoint).

The values are distinctive strings, looked for as UTF-8 bytes in the files themselves, not through SQL.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from walk import VALID_IBAN, applicant, application, at, attach_all, walk

from ami_workflow import Applicant, Application, FixedClock, Refused, load_campaign
from ami_workflow.calendar import PARIS
from ami_workflow.memory import MemoryWorkflow
from ami_workflow.store import Workflow
from ami_workflow.store import connection as store_connection

FPH = load_campaign("fonds-participation-habitants-2021")
#: A residents' collective's referent, their IBAN (a person's own account), a list naming the members.
REFERENT = "Zéphyrine Quarteron-Belleville"
COLLECTIVE_IBAN = "FR7630006000011234567890189"
MEMBERS_LIST = b"liste des habitants : Anatole Vermandois-Quincampoix, 12 rue des Lilas" * 40
RIB = f"RIB de {REFERENT} IBAN {COLLECTIVE_IBAN} BIC CCBPFRPPXXX".encode()
WITHDRAWAL = "Retrait demandé par Zéphyrine Quarteron-Belleville, joignable au 06 12 34 56 78"


def _collective() -> Applicant:
    return Applicant("Collectif des Lilas", "collectif_habitants", iban=COLLECTIVE_IBAN, legal_representative=REFERENT)


def _raw(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _erased_values() -> list[bytes]:
    return [REFERENT.encode(), COLLECTIVE_IBAN.encode(), MEMBERS_LIST, RIB, WITHDRAWAL.encode()]


def _fill(path: Path) -> tuple[Workflow, str]:
    flow = Workflow.open(path, FPH, clock=FixedClock(datetime(2021, 2, 1, 9, tzinfo=PARIS)), actor="test")
    ref = flow.create_dossier(_collective(), Application(title="Jardin partagé des Lilas")).reference
    flow.attach(ref, "liste_habitants", MEMBERS_LIST, filename="liste.pdf")
    flow.attach(ref, "rib", RIB, filename="rib.pdf")  # the referent's own RIB (the FPH call marks it personal)
    flow.fire(ref, "withdraw", reason=WITHDRAWAL)
    return flow, ref


def test_rule_an_erased_collective_leaves_no_byte_of_its_personal_data_in_the_files(tmp_path: Path) -> None:
    path = tmp_path / "fph.db"
    flow, ref = _fill(path)
    flow.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the values are in the database file itself
    before = _raw(path)
    assert all(value in before for value in _erased_values())  # the scan finds what is there
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande du référent")
    after = _raw(path)
    for value in _erased_values():
        assert value not in after, value[:40]
    assert flow.get(ref).applicant.iban == "[erased]"
    assert flow.verify() is None
    flow.conn.close()


def test_rule_erasure_is_overwritten_only_with_secure_delete(tmp_path: Path, monkeypatch: Any) -> None:
    """The same erasure on a connection without ``secure_delete``: the freed space still holds the values (this
    is what the pragma prevents, and shows the scan above can fail)."""
    real_connect = store_connection.connect

    def insecure(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr("ami_workflow.store.workflow.connect", insecure)
    path = tmp_path / "fph.db"
    flow, ref = _fill(path)
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande du référent")
    after = _raw(path)
    assert any(value in after for value in _erased_values())
    flow.conn.close()


def test_rule_every_connection_of_the_store_sets_secure_delete(tmp_path: Path) -> None:
    flow = Workflow.open(tmp_path / "a.db", FPH, actor="test")
    assert flow.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert store_connection.connect(":memory:").execute("PRAGMA secure_delete").fetchone()[0] == 1
    flow.conn.close()


def test_rule_the_wal_is_checkpointed_and_emptied_after_an_erasure(tmp_path: Path) -> None:
    path = tmp_path / "fph.db"
    flow, ref = _fill(path)
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size > 0
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande")
    assert wal.stat().st_size == 0
    flow.conn.close()


def test_checkpoint_retries_while_a_reader_holds_the_wal_and_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "fph.db"
    flow, _ref = _fill(path)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM events").fetchone()  # a read snapshot pins the WAL
    flow.conn.execute("PRAGMA busy_timeout = 0")
    assert store_connection.checkpoint(flow.conn, attempts=2) is False
    reader.execute("COMMIT")
    assert store_connection.checkpoint(flow.conn) is True
    reader.close()
    flow.conn.close()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_rule_a_collectives_iban_is_kept_outside_the_chain_and_erased(backend: str, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2021, 2, 1, 9, tzinfo=PARIS))
    flow: Any = (Workflow.open(tmp_path / "x.db", FPH, clock=clock, actor="t") if backend == "sqlite"
                 else MemoryWorkflow(FPH, clock=clock, actor="t"))
    ref = flow.create_dossier(_collective(), Application(title="Jardin")).reference
    body = str(flow.events()[-1].body)
    assert COLLECTIVE_IBAN not in body and REFERENT not in body
    assert flow.get(ref).applicant.iban == COLLECTIVE_IBAN
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande")
    assert flow.get(ref).applicant.iban == "[erased]"
    assert COLLECTIVE_IBAN not in str(flow.export_applicant(flow.get(ref).applicant.identity))
    assert flow.verify() is None


def test_an_associations_iban_is_erased_with_its_personal_data() -> None:
    from walk import new_flow

    flow = new_flow("memory")
    ref = flow.create_dossier(applicant(1), application()).reference
    assert flow.get(ref).applicant.iban == VALID_IBAN
    flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande")
    assert flow.get(ref).applicant.iban == "[erased]"


def test_rule_a_granted_dossier_is_kept_for_its_retention_period_before_erasure(flow: Any) -> None:
    """RGPD art. 17(3)(b): the funder keeps a granted subsidy's dossier for its accounts and archives
    (``[retention] granted_years``, 10 years after the year of its last act in the AMI 2021 file)."""
    assert load_campaign("ami-cohesion-sociale-2021").retention.granted_years == 10
    ref = flow.create_dossier(applicant(1), application()).reference
    attach_all(flow, ref)
    walk(flow, ref, "pay")
    head = flow.head()
    with pytest.raises(Refused) as refused:
        flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande")
    assert "its dossier is kept until 31 December 2031 ([retention] granted_years = 10)" in str(refused.value)
    assert flow.head() == head and flow.get(ref).applicant.legal_representative != "[erased]"
    at(flow, datetime(2032, 1, 1, 0, tzinfo=PARIS))
    assert flow.erase_personal_data(flow.get(ref).applicant.identity, reason="demande") > 0
    draft = flow.create_dossier(applicant(2), application()).reference  # never granted: nothing to keep
    assert flow.erase_personal_data(flow.get(draft).applicant.identity, reason="demande") >= 0
