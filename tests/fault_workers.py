"""Kill a writer of the SQLite store with SIGKILL at a random point, then check what it left (issue 14, *Faults*).

One *kill point* is: copy the starting file of a kind of operation (:data:`KINDS`), fork a child that runs that
kind of writes on it and reports each acknowledged write on a pipe, one JSON line written only after the write has
committed (``{"seq": …, "hash": …}``, the journal's head then, with what the write was about); a unit that must be
all or nothing (a batch, an import, an erasure) is announced first (``{"begin": …}``). The parent kills the child
with SIGKILL after its k-th acknowledgement plus a random delay (k and the delay drawn for each point), reads what
the child reported before dying, and checks:

* ``PRAGMA integrity_check`` is ``ok`` (read before the store opens the file again);
* :meth:`~ami_workflow.store.Workflow.verify` passes (the chain, the personal values, the files, every projection
  against the replay);
* no acknowledged write is lost: the event at each acknowledged ``seq`` is still there with the same hash, and
  what the write was about is still there (the dossiers of a batch or an import, an erased applicant's values
  gone, a checkpoint in the anchor file);
* a unit announced but not acknowledged is whole or absent, never in part;
* for the migrations, the file is at the old schema or at the new one, never between.

The kinds: ``trigger`` (a dossier walked to paid each year, an act at a time), ``batch`` (``with flow.batch():``
four dossiers and their pieces), ``checkpoint`` (``flow.checkpoint(key, anchor)`` after each new dossier),
``projection`` (a committee's list approved in one go, deliberations and payments: the totals, the records and
the dossiers' rows), ``migration`` (a file of ami_workflow 0.1 opened: schema migrations and the journal of its
tables), ``import`` (:func:`~ami_workflow.dossier_import.import_dossiers` of a CSV) and ``erasure``
(:meth:`erase_personal_data`, and the WAL checkpoint after it).

The children are forked (POSIX only), so that a kill point costs no interpreter start-up: the parent holds no
SQLite connection when it forks. ``tools/faults.py`` runs many points; ``tests/test_faults.py`` a few of each kind.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from store_workers import call_of, walk_year
from walk import (
    CAMPAIGN,
    DELIBERATION_AT,
    LAUNCH,
    PIECES_AT,
    TIMES,
    applicant,
    application,
    at,
    attach_all,
    walk_all,
)

from ami_workflow import Deliberation
from ami_workflow.anchor import generate_key, load_private_key, load_public_key, read_checkpoints
from ami_workflow.calendar import PARIS, FixedClock
from ami_workflow.dossier_import import import_dossiers, read_csv
from ami_workflow.store import SCHEMA_MIGRATIONS, Workflow

__all__ = ["KINDS", "UNITS", "Point", "kill_points", "run_point", "templates"]

LEGACY = Path(__file__).parent / "data" / "ami-0.1-demo-8-dossiers.db"
#: After every act of the workers (they walk a few years at most before they are killed).
CHECK_TIME = datetime(2040, 1, 2, 9, tzinfo=PARIS)
MIGRATION_TIME = datetime(2026, 12, 1, 9, tzinfo=PARIS)
ALL_MIGRATIONS = [m.name for m in SCHEMA_MIGRATIONS._migrations]
Ack = Callable[..., None]


def _key_files(folder: Path) -> tuple[Path, Path]:
    return folder / "service.key", folder / "service.pub"


# -- the starting files, built once --------------------------------------------------------------------------------


def _campaign_only(path: Path) -> None:
    Workflow.open(path, CAMPAIGN, clock=FixedClock(LAUNCH), actor="faults").close()


def _audited(path: Path, count: int = 18) -> None:
    with Workflow.open(path, CAMPAIGN, clock=FixedClock(LAUNCH), actor="faults") as flow, flow.batch():
        refs = [flow.create_dossier(applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"),
                                    application(requested=Decimal("3000.00"))).reference for n in range(count)]
        for ref in refs:
            attach_all(flow, ref)
        walk_all(flow, refs, "hear")


def _applicants(path: Path, count: int = 12) -> None:
    with Workflow.open(path, CAMPAIGN, clock=FixedClock(LAUNCH), actor="faults") as flow, flow.batch():
        for n in range(count):
            ref = flow.create_dossier(applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}",
                                                legal_representative=f"Personne {n}"), application()).reference
            attach_all(flow, ref)


def _legacy(path: Path) -> None:
    shutil.copy(LEGACY, path)


_BUILDERS: dict[str, Callable[[Path], None]] = {
    "trigger": _campaign_only,
    "batch": _campaign_only,
    "checkpoint": _campaign_only,
    "projection": _audited,
    "migration": _legacy,
    "import": _campaign_only,
    "erasure": _applicants,
}
KINDS = tuple(_BUILDERS)
#: The kinds whose writes come in units, all or nothing.
UNITS = ("batch", "migration", "import", "erasure")


def templates(folder: Path, kinds: tuple[str, ...] = KINDS) -> dict[str, Path]:
    """The starting file of each kind in ``folder`` (and the service's key pair for the checkpoints)."""
    folder.mkdir(parents=True, exist_ok=True)
    private, public = _key_files(folder)
    if not private.exists():
        generate_key(private, public)
    paths = {}
    for kind in kinds:
        path = folder / f"template-{kind}.db"
        if not path.exists():
            _BUILDERS[kind](path)
        paths[kind] = path
    return paths


# -- the children ------------------------------------------------------------------------------------------------


def _head(flow: Workflow) -> tuple[int, str]:
    seq, digest = flow.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return int(seq), str(digest)


class _Acking:
    """The store, acknowledging each write once it has returned (so committed)."""

    WRITES = frozenset({"add_campaign", "create_dossier", "attach", "receive_original", "fire", "record_session",
                        "record_deliberation"})

    def __init__(self, flow: Workflow, ack: Ack) -> None:
        self._flow, self._ack = flow, ack

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._flow, name)
        if name not in self.WRITES:
            return attr

        def write(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            self._ack(self._flow, op=name)
            return result

        return write


def _trigger(path: Path, ack: Ack) -> None:
    with Workflow.open(path, CAMPAIGN.id, clock=FixedClock(LAUNCH), actor="faults") as flow:
        acking = _Acking(flow, ack)
        for n in range(1, 10_000):
            walk_year(acking, call_of(2020 + n), n)


def _batch(path: Path, ack: Ack) -> None:
    with Workflow.open(path, CAMPAIGN.id, clock=FixedClock(PIECES_AT), actor="faults") as flow:
        for lot in range(10_000):
            refs = [f"lot-{lot:05d}-{j}" for j in range(4)]
            ack(None, begin=refs)
            with flow.batch():
                for j, ref in enumerate(refs):
                    n = lot * 4 + j
                    flow.create_dossier(applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"), application(),
                                        reference=ref)
                    for piece in CAMPAIGN.pieces:
                        flow.attach(ref, piece.key, f"{ref} {piece.key}".encode(), filename=f"{piece.key}.pdf")
            ack(flow, refs=refs)


def _checkpoint(path: Path, ack: Ack) -> None:
    key = load_private_key(_key_files(path.parent.parent / "templates")[0])
    anchor = path.with_suffix(".anchor")
    with Workflow.open(path, CAMPAIGN.id, clock=FixedClock(PIECES_AT), actor="faults") as flow:
        for n in range(10_000):
            flow.create_dossier(applicant(n, siren=None, rna=f"W{n:09d}", name=f"Asso {n}"), application())
            ack(flow, op="create_dossier")
            mark = flow.checkpoint(key, anchor)
            ack(flow, checkpoint=mark.seq)


def _projection(path: Path, ack: Ack) -> None:
    with Workflow.open(path, CAMPAIGN.id, clock=FixedClock(TIMES["approve"]), actor="faults") as flow:
        refs = [d.reference for d in flow.dossiers(state="audited")]
        lists = [refs[i:i + 3] for i in range(0, len(refs), 3)]
        for chunk in lists:
            flow.approve_batch(chunk)
            ack(flow, op="approve_batch")
        at(flow, DELIBERATION_AT)
        for i, chunk in enumerate(lists):
            flow.record_deliberation(Deliberation(f"DEL-2021-{i + 1:03d}", DELIBERATION_AT.date(), tuple(chunk),
                                                  enforceable_on=DELIBERATION_AT.date()))
            ack(flow, op="record_deliberation")
        at(flow, TIMES["pay"])
        for ref in refs:
            flow.fire(ref, "pay", amount=Decimal("1000.00"))
            ack(flow, op="pay")
        for ref in refs:
            flow.fire(ref, "pay")
            ack(flow, op="pay")
    time.sleep(60)  # done: wait for the kill


def _migration(path: Path, ack: Ack) -> None:
    ack(None, begin=["migration"])
    with Workflow.open(path, clock=FixedClock(MIGRATION_TIME), actor="faults") as flow:
        ack(flow, migrated=True)
    time.sleep(60)


def _import(path: Path, ack: Ack) -> None:
    with Workflow.open(path, CAMPAIGN.id, clock=FixedClock(PIECES_AT), actor="faults") as flow:
        for lot in range(10_000):
            refs = [f"imp-{lot:05d}-{j:02d}" for j in range(10)]
            lines = ["reference;applicant;rna;title;total_cost;requested"] + [
                f"{ref};Asso {lot}-{j};W{lot * 10 + j:09d};Action {j};10 000,00;5 000,00" for j, ref in enumerate(refs)]
            entries = read_csv("\n".join(lines) + "\n", flow.campaign)
            ack(None, begin=refs)
            import_dossiers(flow, entries)
            ack(flow, refs=refs)


def _erasure(path: Path, ack: Ack) -> None:
    with Workflow.open(path, CAMPAIGN.id, clock=FixedClock(PIECES_AT), actor="faults") as flow:
        identities = sorted({f"rna:{d.applicant.rna}" for d in flow.dossiers()})
        for identity in identities:
            ack(None, begin=[identity])
            flow.erase_personal_data(identity, reason="Demande d'effacement (RGPD art. 17)")
            ack(flow, erased=identity)
    time.sleep(60)


_WORKERS: dict[str, Callable[[Path, Ack], None]] = {
    "trigger": _trigger,
    "batch": _batch,
    "checkpoint": _checkpoint,
    "projection": _projection,
    "migration": _migration,
    "import": _import,
    "erasure": _erasure,
}

#: For each kind: the most acknowledgements to wait for, and the longest delay after them (seconds).
_TIMING: dict[str, tuple[int, float]] = {
    "trigger": (40, 0.05),
    "batch": (3, 0.08),
    "checkpoint": (12, 0.02),
    "projection": (20, 0.03),
    "migration": (0, 0.07),
    "import": (3, 0.06),
    "erasure": (8, 0.03),
}


def _child(kind: str, path: Path, fd: int) -> None:
    """The forked child: run the kind's writes on ``path``, one JSON line on ``fd`` per acknowledged write."""
    out = os.fdopen(fd, "w", buffering=1)

    def ack(flow: Workflow | None, **what: Any) -> None:
        if flow is not None:
            what["seq"], what["hash"] = _head(flow)
        out.write(json.dumps(what) + "\n")

    code = 0
    try:
        _WORKERS[kind](path, ack)
    except BaseException as exc:  # reported to the parent, which fails the point
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        code = 1
    finally:
        out.flush()
        os._exit(code)


# -- one kill point ------------------------------------------------------------------------------------------------


@attrs.frozen
class Point:
    """One kill point: its kind, how many writes the child acknowledged, and whether it died inside a unit.

    A unit is a batch, an import, an erasure or the opening of an old file (its migrations), announced by the
    child and not yet acknowledged when it was killed.
    """

    kind: str
    acks: int
    inside_unit: bool


def _lines(fd: int, deadline: float, wanted: int | None) -> Iterator[dict[str, Any]]:
    """The child's reports, until ``wanted`` acknowledgements were read (``None``: until EOF) or the deadline."""
    buffer, acks = b"", 0
    while wanted is None or acks < wanted:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for line in complete:
            report = json.loads(line)
            if "seq" in report:
                acks += 1
            yield report


def run_point(kind: str, template: Path, work: Path, rng: random.Random) -> Point:
    """Copy ``template`` into ``work``, run the kind's child on it, SIGKILL it at a random point, check the file."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{kind}.db"
    for old in work.glob(f"{kind}.*"):
        old.unlink()
    shutil.copy(template, path)
    most, longest = _TIMING[kind]
    wanted, delay = rng.randint(0, most), rng.uniform(0.0, longest)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        _child(kind, path, write)
    os.close(write)
    reports: list[dict[str, Any]] = []
    try:
        reports += _lines(read, time.monotonic() + 60, wanted)
        time.sleep(delay)
    finally:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    reports += _lines(read, time.monotonic() + 10, None)  # what it wrote before it died was acknowledged too
    os.close(read)
    errors = [r["error"] for r in reports if "error" in r]
    assert not errors, f"{kind}: the child failed before the kill: {errors}"
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"{kind}: not killed ({status})"
    acked = [r for r in reports if "seq" in r]
    begun = [r["begin"] for r in reports if "begin" in r]
    finished = [r for r in acked if "refs" in r or "erased" in r or "migrated" in r]
    inside = len(begun) > len(finished)
    check(kind, path, acked, begun[-1] if inside else None)
    return Point(kind, len(acked), inside)


# -- the checks ---------------------------------------------------------------------------------------------------


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _migrations(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]


def check(kind: str, path: Path, acked: list[dict[str, Any]], pending: list[str] | None) -> None:
    """Everything :func:`run_point` promises, on the file a killed child left."""
    conn = _raw(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"{kind}: integrity_check failed"
        if kind == "migration":
            names = _migrations(conn)
            before = _migrations(sqlite3.connect(LEGACY))
            assert names in (before, ALL_MIGRATIONS), f"migration: the file is between schemas: {names}"
            if acked:
                assert names == ALL_MIGRATIONS, "migration: an acknowledged migration was lost"
        for report in acked:
            row = conn.execute("SELECT hash FROM events WHERE seq = ?", (report["seq"],)).fetchone()
            assert row is not None and row[0] == report["hash"], f"{kind}: acknowledged event {report['seq']} lost"
    finally:
        conn.close()
    campaign = None if kind == "migration" else CAMPAIGN.id
    with Workflow.open(path, campaign, clock=FixedClock(CHECK_TIME), actor="check") as flow:
        problem = flow.verify()
        assert problem is None, f"{kind}: verify() after the kill: {problem}"
        references = {d.reference for d in flow.dossiers()}
        for report in acked:
            assert set(report.get("refs", ())) <= references, f"{kind}: acknowledged dossiers lost"
            if "erased" in report:
                assert _personal_values(flow, report["erased"]) == 0, f"erasure: {report['erased']} not erased"
        if pending is not None and kind in ("batch", "import"):
            present = len(set(pending) & references)
            assert present in (0, len(pending)), f"{kind}: {present} of {len(pending)} dossiers of a unit"
        if pending is not None and kind == "erasure":
            [identity] = pending
            left = _personal_values(flow, identity)
            assert left in (0, _personal_values_in(Path(path).parent, identity)), f"erasure: {identity} in part"
        if kind == "checkpoint":
            anchor = path.with_suffix(".anchor")
            public = load_public_key(_key_files(path.parent.parent / "templates")[1])
            marks = {c.seq for c in read_checkpoints(anchor)} if anchor.exists() else set()
            assert {r["checkpoint"] for r in acked if "checkpoint" in r} <= marks, "checkpoint: lost from the anchor"
            if marks:
                assert flow.verify_anchor(public, anchor) is None, "checkpoint: the anchor does not verify"


def _personal_values(flow: Workflow, identity: str) -> int:
    """The personal values still held for the applicant ``identity`` (rna:…), and its pieces' bytes."""
    rna = identity.removeprefix("rna:")
    refs = [r[0] for r in flow.conn.execute("SELECT reference FROM dossiers WHERE json_extract(data, "
                                            "'$.applicant.rna') = ?", (rna,))]
    marks = ",".join("?" * len(refs))
    values = flow.conn.execute(f"SELECT COUNT(*) FROM personal_values WHERE value IS NOT NULL AND seq IN "
                               f"(SELECT seq FROM events WHERE dossier IN ({marks}))", refs).fetchone()[0]
    return int(values)


def _personal_values_in(work: Path, identity: str) -> int:
    with Workflow.open(work.parent / "templates" / "template-erasure.db", CAMPAIGN.id,
                       clock=FixedClock(CHECK_TIME), actor="check") as flow:
        return _personal_values(flow, identity)


def kill_points(folder: Path, points: int, seed: int, kinds: tuple[str, ...] = KINDS) -> Counter[str]:
    """Run ``points`` kill points spread over ``kinds`` in turn; the number run of each kind, and inside a unit."""
    paths = templates(folder / "templates", kinds)
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    for n in range(points):
        kind = kinds[n % len(kinds)]
        point = run_point(kind, paths[kind], folder / "work", rng)
        counts[kind] += 1
        counts[f"{kind} acknowledged"] += point.acks
        if point.inside_unit:
            counts[f"{kind} inside a unit"] += 1
    return counts
