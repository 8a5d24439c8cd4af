"""Faults of the SQLite store (issue 14): writers killed with SIGKILL, a full disk, read-only and foreign files.

Each error is the library's (:class:`StorageError`, or :class:`SchemaError` for a file that is not SQLite),
names the file and says the problem in words; nothing is half-written.

The kill points are run by ``tests/fault_workers.py`` (its docstring says what each checks); this suite runs 4
of each of its 7 kinds (28), and ``python tools/faults.py --points 140`` runs 20 of each (docs/storage.md).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fault_workers
import pytest
from walk import CAMPAIGN, PIECES_AT, applicant, application, new_flow

from ami_workflow.calendar import FixedClock
from ami_workflow.errors import StorageError
from ami_workflow.i18n import use_language
from ami_workflow.store import Workflow

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or not hasattr(os, "fork"),
                                reason="needs fork and SIGKILL")

POINTS_PER_KIND = 4


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("faults")
    fault_workers.templates(root / "templates")
    yield root


@pytest.mark.parametrize("kind", fault_workers.KINDS)
def test_rule_a_writer_killed_at_random_points_loses_no_acknowledged_write(kind: str, folder: Path) -> None:
    """4 kill points of each kind: integrity_check ok, verify() passes, every acknowledged write is there."""
    counts = fault_workers.kill_points(folder, POINTS_PER_KIND, seed=fault_workers.KINDS.index(kind), kinds=(kind,))
    assert counts[kind] == POINTS_PER_KIND
    if kind in ("trigger", "checkpoint", "projection"):  # the child really wrote before most kills
        assert counts[f"{kind} acknowledged"] > 0


def test_the_checks_see_a_lost_acknowledged_write(folder: Path) -> None:
    """The check fails when a write the child acknowledged is not in the file (so a passing check means something)."""
    rng = random.Random(5)
    template = fault_workers.templates(folder / "templates", ("batch",))["batch"]
    fault_workers.run_point("batch", template, folder / "lost", rng)
    path = folder / "lost" / "batch.db"
    with pytest.raises(AssertionError, match="acknowledged event 999999 lost"):
        fault_workers.check("batch", path, [{"seq": 999_999, "hash": "0" * 64}], None)
    with pytest.raises(AssertionError, match="acknowledged dossiers lost"):
        fault_workers.check("batch", path, [{"seq": 1, "hash": _first_hash(path), "refs": ["nowhere"]}], None)


def _first_hash(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT hash FROM events WHERE seq = 1").fetchone()[0])
    finally:
        conn.close()


# -- a full disk ----------------------------------------------------------------------------------------------------


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _journal(path: Path) -> tuple[int, str]:
    conn = sqlite3.connect(path)
    try:
        seq, digest = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return int(seq), str(digest)
    finally:
        conn.close()


def _once(flow: Workflow, operation: str, *args: Any, **kwargs: Any) -> None:
    """One write; if it fails, the journal's head and length are as they were before it."""
    head, events = flow.head(), len(flow.events())
    try:
        getattr(flow, operation)(*args, **kwargs)
    except StorageError:
        assert (flow.head(), len(flow.events())) == (head, events), f"the failed {operation} changed the journal"
        raise


def _fill(flow: Workflow, rng: random.Random, first: int) -> tuple[int, StorageError]:
    """Create dossiers with 3 kB pieces until the database is full; how many were made, and the error."""
    n = first
    while True:
        ref = f"full-{n:05d}"
        try:
            _once(flow, "create_dossier", applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"),
                  application(), reference=ref)
            for piece in CAMPAIGN.pieces:
                _once(flow, "attach", ref, piece.key, rng.randbytes(3000), filename=f"{piece.key}.pdf")
        except StorageError as error:
            return n - first, error
        n += 1


def test_rule_a_full_disk_is_a_storage_error_and_nothing_is_half_written(tmp_path: Path) -> None:
    """``PRAGMA max_page_count`` set low on the store's own connection: the disk is full for it."""
    path = tmp_path / "full.db"
    rng = random.Random(14)
    with new_flow("sqlite", path=str(path), start=PIECES_AT) as flow:
        pages = flow.conn.execute("PRAGMA page_count").fetchone()[0]
        flow.conn.execute(f"PRAGMA max_page_count = {pages + 20}")
        made, error = _fill(flow, rng, 0)
        assert made >= 1
        assert str(error).startswith(f"{path} cannot be written, nothing was: the disk is full")
        assert isinstance(error.__cause__, sqlite3.OperationalError)
        assert flow.verify() is None and _integrity(path) == "ok"
        assert _journal(path) == (len(flow.events()), flow.head())  # what another reader sees: the same head
        # A batch that fills the disk part-way keeps nothing of itself.
        head, count = flow.head(), len(flow.dossiers())
        with pytest.raises(StorageError), flow.batch():
            for n in range(1000, 1100):
                ref = flow.create_dossier(applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"),
                                          application()).reference
                flow.attach(ref, "statuts", rng.randbytes(3000), filename="statuts.pdf")
        assert (flow.head(), len(flow.dossiers())) == (head, count)
        assert flow.verify() is None and _integrity(path) == "ok"
        # Room again: the store goes on where it stood.
        flow.conn.execute(f"PRAGMA max_page_count = {pages + 200}")
        more, _error = _fill(flow, rng, 2000)
        assert more > made and flow.verify() is None
    assert _integrity(path) == "ok"


# -- read-only files and folders, files that are not databases ----------------------------------------------------


def _outcome(path: Path, campaign: object, write: bool) -> tuple[str, str]:
    """Open ``path`` (and write once if ``write``): ``("ok", "")`` or the error's class and message."""
    try:
        with Workflow.open(path, campaign, clock=FixedClock(PIECES_AT), actor="test") as flow:
            flow.dossiers()
            if write:
                flow.create_dossier(applicant(7), application())
        return "ok", ""
    except Exception as error:
        return type(error).__name__, str(error)


def _as_user(path: Path, campaign: object = None, write: bool = True) -> tuple[str, str]:
    """:func:`_outcome` as a user whom the permissions bind: ``nobody`` in a forked child when the tests run as root
    (root writes a file whatever its mode)."""
    if os.geteuid() != 0:
        return _outcome(path, campaign, write)
    read, written = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            os.write(written, json.dumps(_outcome(path, campaign, write)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(written)
    with os.fdopen(read, "rb") as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    kind, message = json.loads(report)
    return str(kind), str(message)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder that ``nobody`` can enter (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="ami-faults-"))
    folder.chmod(0o777)
    yield folder
    for inner in folder.rglob("*"):
        if inner.is_dir():
            inner.chmod(0o755)
    shutil.rmtree(folder)


def test_rule_a_read_only_database_is_read_and_its_writes_are_refused_in_words(shared: Path) -> None:
    path = shared / "ami.db"
    with new_flow("sqlite", path=str(path)) as flow:
        flow.create_dossier(applicant(1), application())
        head = flow.head()
    path.chmod(0o444)
    assert _as_user(path, CAMPAIGN.id, write=False) == ("ok", "")  # it is read
    kind, message = _as_user(path, CAMPAIGN.id)
    assert kind == "StorageError"
    assert message == (f"{path} cannot be written, nothing was: the file or its folder is read-only (the store "
                       "writes the file and, beside it, its -wal and -shm files)")
    assert _as_user(path, CAMPAIGN)[0] == "StorageError"  # registering the call is a write too
    assert _journal(path)[1] == head and _integrity(path) == "ok"


def test_rule_a_read_only_folder_is_a_clear_error_naming_the_file(shared: Path) -> None:
    folder = shared / "read-only"
    folder.mkdir()
    with new_flow("sqlite", path=str(folder / "ami.db")) as flow:
        flow.create_dossier(applicant(1), application())
    (folder / "ami.db").chmod(0o666)
    folder.chmod(0o555)
    # A new file cannot be created there, and WAL cannot open an existing one without its -shm beside it.
    assert _as_user(folder / "new.db", CAMPAIGN) == (
        "StorageError", f"{folder / 'new.db'} cannot be opened: permission denied: the folder cannot be written")
    kind, message = _as_user(folder / "ami.db", CAMPAIGN.id, write=False)
    assert kind == "StorageError" and message.startswith(f"{folder / 'ami.db'} cannot be opened: ")
    assert "read-only" in message or "cannot be opened or created" in message
    assert not (folder / "new.db").exists()


def test_rule_files_that_are_not_whole_databases_are_clear_errors_naming_the_path(tmp_path: Path) -> None:
    whole = tmp_path / "whole.db"
    with new_flow("sqlite", path=str(whole)) as flow:
        flow.create_dossier(applicant(1), application())
    data = whole.read_bytes()
    cut, notes, header = tmp_path / "cut.db", tmp_path / "notes.db", tmp_path / "header.db"
    cut.write_bytes(data[: len(data) // 3])  # a copy cut short
    notes.write_text("not a database, just some notes\n" * 100)
    header.write_bytes(data[:100] + b"\xff" * 8000)  # a SQLite header, then garbage
    folder = tmp_path / "folder.db"
    folder.mkdir()
    damaged = "cannot be opened: the file is damaged (it is not a whole SQLite database): restore it from a backup"
    expected = {
        cut: ("StorageError", f"{cut} {damaged}"),
        header: ("StorageError", f"{header} {damaged}"),
        notes: ("SchemaError", f"{notes} cannot be used: it is not a SQLite database"),
        folder: ("StorageError", f"{folder} cannot be opened: the file cannot be opened or created: its folder is "
                                 "missing or cannot be written, or the path is a folder"),
        tmp_path / "nowhere" / "ami.db": (
            "StorageError", f"{tmp_path / 'nowhere' / 'ami.db'} cannot be opened: its folder does not exist"),
    }
    for path, outcome in expected.items():
        before = path.read_bytes() if path.is_file() else None
        assert _outcome(path, CAMPAIGN, write=True) == outcome
        assert (path.read_bytes() if path.is_file() else None) == before  # left as it was
    assert not (tmp_path / "nowhere").exists()


def test_the_errors_are_told_in_french(tmp_path: Path) -> None:
    path = tmp_path / "plein.db"
    with new_flow("sqlite", path=str(path), start=PIECES_AT) as flow, use_language("fr"):
        pages = flow.conn.execute("PRAGMA page_count").fetchone()[0]
        flow.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        _made, error = _fill(flow, random.Random(1), 0)
        assert str(error) == (f"écriture impossible dans {path}, rien n'a été écrit : le disque est plein, ou la base "
                              "a atteint sa taille maximale")
    with use_language("fr"):
        assert _outcome(tmp_path / "absent" / "ami.db", CAMPAIGN, write=False) == (
            "StorageError", f"impossible d'ouvrir {tmp_path / 'absent' / 'ami.db'} : son dossier n'existe pas")
