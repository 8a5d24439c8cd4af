"""Reading a big campaign: ``report --json``, ``export csv`` and ``export scdl`` against raw sqlite3.

One campaign database of N dossiers (N = 2 000 with ``--quick``, 100 000 otherwise) is built once through the
public API at ``synchronous=OFF`` and cached in the temporary directory, keyed by N: every dossier created in
batches with ``create_dossiers``, and one in five walked on the call's dates (pieces, paper original, submit,
then mark_complete, instruct with bonus criteria, hear, approve or reject, one deliberation, pay). Each figure
compares, in interleaved rounds on the same file:

- ``report --json`` in process (``campaign_report`` + ``report_dict`` + ``json.dumps``) against the raw SQL it
  presents: the store's report queries and its totals row, run with a plain ``sqlite3`` connection;
- ``export csv`` (``write_dossiers_csv``) against ``sqlite3`` + ``csv.writer`` on the same SELECT;
- ``export scdl`` (``write_scdl``: rows built, checked and spooled, then copied) against ``sqlite3`` +
  ``csv.writer`` on the same SELECT of the grants.

Each side's peak resident memory is measured in a fresh child process that runs it once. The previous way
(every dossier structured in Python, then folded) is timed too, for scale, up to 20 000 dossiers.

    PYTHONPATH=. python benchmarks/bench_reads.py [--quick] [--sizes 2000,100000]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from common import Figure, figures_table, interleaved, timed  # noqa: E402
from walk import forecast  # noqa: E402

from ami_workflow import (  # noqa: E402
    Applicant,
    Application,
    CommitteeSession,
    Deliberation,
    Member,
    PaperOriginal,
    Period,
)
from ami_workflow.calendar import PARIS, FixedClock  # noqa: E402
from ami_workflow.callfile import parse_campaign  # noqa: E402
from ami_workflow.campaign import Campaign  # noqa: E402
from ami_workflow.core.figures import dossier_row, report_figures  # noqa: E402
from ami_workflow.exports import write_dossiers_csv, write_scdl  # noqa: E402
from ami_workflow.reports import campaign_report, report_dict  # noqa: E402
from ami_workflow.store import Workflow  # noqa: E402
from ami_workflow.store.queries import DOSSIER_ROWS, GRANT_ROWS, REPORT_QUERIES  # noqa: E402

VERSION = 3  # bump when the built database changes
FUNDER_SIRET = "24620036400007"  # a valid check digit on the funder's SIREN, never a real one on purpose
IBAN = "FR1420041010050500013M02606"
SESSION_ID = "comite-2021-06-15"
OLD_WAY_UP_TO = 20_000


def bench_campaign() -> Campaign:
    """The 2021 call with an envelope for any N and the funder's identifiers filled in (SCDL needs the SIRET)."""
    text = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
    text = text.replace('amount = "150000.00"', 'amount = "900000000.00"')
    text = text.replace('siret = ""', f'siret = "{FUNDER_SIRET}"')
    text = text.replace('registered_id_prefix = ""', 'registered_id_prefix = "FR-SIREN-246200364"')
    return parse_campaign(text, source="benchmark call")


def _paris(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2021, month, day, hour, tzinfo=PARIS)


def _entries(campaign: Campaign, n: int, rng: random.Random) -> list[tuple[Applicant, Application, None]]:
    axes = [a.key for a in campaign.axes]
    codes = [q.code for q in campaign.territory.qpv]
    out = []
    for i in range(n):
        cost = rng.randrange(4_000, 40_000)
        participants = rng.choice([20, 50, 100, 200])
        applicant = Applicant(f"Association {i}", "association", rna=f"W{620000000 + i:09d}", iban=IBAN,
                              legal_representative=f"Personne {i}")
        application = Application(
            title=f"Action {i} dans les quartiers", axis=rng.choice(axes),
            qpv_codes=rng.sample(codes, rng.randint(1, 3)),
            period=Period(date(2021, 9, 1), date(2022, 6, 30)), total_cost=Decimal(cost),
            requested=(requested := Decimal(cost * rng.choice([30, 40, 50]) // 100)), participants=participants,
            qpv_residents=participants * 4 // 5, young=rng.randrange(participants + 1),
            women=rng.randrange(participants + 1),
            sourcing="Centres sociaux.", budget=forecast(Decimal(cost), requested),
        )
        out.append((applicant, application, None))
    return out


def build(path: Path, n: int) -> None:
    """Create the N-dossier database at ``path`` through the public API (see the module's docstring)."""
    campaign = bench_campaign()
    rng = random.Random(n)
    clock = FixedClock(_paris(3, 9, 9))
    with Workflow.open(path, campaign, clock=clock, actor="bench", synchronous="OFF") as flow:
        entries = _entries(campaign, n, rng)
        refs: list[str] = []
        for start in range(0, n, 5_000):
            refs += [d.reference for d in flow.create_dossiers(entries[start:start + 5_000])]
            print(f"  created {len(refs)} of {n}", file=sys.stderr, flush=True)
        walked = refs[::5]
        clock.set(_paris(4, 1))
        for ref in walked:
            for piece in campaign.pieces:
                flow.attach(ref, piece.key, f"{ref} {piece.key}".encode(), filename=f"{piece.key}.pdf")
            flow.receive_original(ref, _original())
        print(f"  attached the pieces of {len(walked)}", file=sys.stderr, flush=True)
        ends = {ref: ("submit", "mark_complete", "instruct", "reject", "approve", "pay", "pay", "pay", "pay", "pay")[
            i % 10] for i, ref in enumerate(walked)}
        order = ("submit", "mark_complete", "instruct", "hear", "approve")
        times = {"submit": _paris(4, 12), "mark_complete": _paris(5, 3), "instruct": _paris(5, 18),
                 "hear": _paris(6, 15, 14), "approve": _paris(6, 15, 17)}
        criteria = sorted(campaign.funding.criterion_keys())
        for trigger in order:
            clock.set(times[trigger])
            if trigger == "hear":
                flow.record_session(_session(campaign))
            for ref, end in ends.items():
                reach = {"reject": "instruct", "pay": "approve"}.get(end, end)
                if order.index(trigger) <= order.index(reach):
                    data: dict[str, Any] = {"hear": {"session": SESSION_ID}}.get(trigger, {})
                    if trigger == "instruct":
                        data = {"criteria": rng.sample(criteria, rng.randint(0, 2))}
                    flow.fire(ref, trigger, **data)
            print(f"  {trigger} done", file=sys.stderr, flush=True)
        clock.set(_paris(6, 15, 18))
        for ref, end in ends.items():
            if end == "reject":
                flow.fire(ref, "reject", motivation="Hors du champ.")
        granted = [ref for ref, end in ends.items() if end in ("approve", "pay")]
        clock.set(_paris(9, 27, 18))
        flow.record_deliberation(Deliberation("DEL-2021-09", date(2021, 9, 27), tuple(granted),
                                              enforceable_on=date(2021, 9, 27)))
        clock.set(_paris(10, 5))
        for ref, end in ends.items():
            if end == "pay":
                flow.fire(ref, "pay", reference=f"MANDAT-{ref[-6:]}")
        print("  paid", file=sys.stderr, flush=True)


def _original() -> PaperOriginal:
    return PaperOriginal("dossier_demande", date(2021, 4, 2), True, "Claire Dupont", "présidente")


def _session(campaign: Campaign) -> CommitteeSession:
    members = tuple(Member(f"Membre {c.key}", c.key) for c in campaign.committee.categories)
    return CommitteeSession(SESSION_ID, date(2021, 6, 15), "Vice-président", campaign.committee.chair_role, members)


def database(n: int) -> Path:
    """The cached N-dossier database, built in a child process the first time."""
    folder = Path(tempfile.gettempdir()) / "ami_workflow_bench_reads"
    folder.mkdir(exist_ok=True)
    path = folder / f"reads-v{VERSION}-{n}.db"
    if not path.exists():
        part = path.with_suffix(".part")
        for leftover in folder.glob(part.name + "*"):
            leftover.unlink()
        print(f"  building {path} ({n} dossiers, once)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, __file__, "--build", str(n), str(part)], check=True)
        with sqlite3.connect(part) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        part.rename(path)
        for side in (part.with_name(part.name + "-wal"), part.with_name(part.name + "-shm")):
            side.unlink(missing_ok=True)
    return path


# -- the sides measured ------------------------------------------------------------------------


def _sides(path: Path) -> dict[str, Callable[[], None]]:
    """Every measured side, each one complete call; opened once (the connection and the flow stay open)."""
    flow = Workflow.open(path, actor="bench")
    raw = sqlite3.connect(path)
    cid = flow.campaign.id

    def report() -> None:
        json.dumps(report_dict(campaign_report(flow)), ensure_ascii=False, indent=2)

    def report_raw() -> None:
        for sql in REPORT_QUERIES.values():
            raw.execute(sql, (cid,)).fetchall()
        raw.execute("SELECT * FROM envelope_consumed WHERE campaign_id = ?", (cid,)).fetchall()

    def report_old() -> None:
        report_figures(flow.dossiers(campaign_id=cid))

    def export_csv() -> None:
        with open(os.devnull, "w", encoding="utf-8", newline="") as out:
            write_dossiers_csv(flow, out, cid)

    def export_csv_raw() -> None:
        with open(os.devnull, "w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(raw.execute(DOSSIER_ROWS.format(where="WHERE d.campaign_id = ?"), (cid,)))

    def export_csv_old() -> None:
        csv.writer(io.StringIO()).writerows(dossier_row(d) for d in flow.dossiers(campaign_id=cid))

    def export_scdl() -> None:
        with open(os.devnull, "w", encoding="utf-8", newline="") as out:
            write_scdl(flow, out, cid)

    def export_scdl_raw() -> None:
        with open(os.devnull, "w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(raw.execute(GRANT_ROWS, (cid, cid)))

    return {name: fn for name, fn in locals().items() if callable(fn) and name.startswith(("report", "export"))}


def _peak_rss(path: Path, side: str) -> float:
    """The peak resident memory (MiB) of a fresh process that opens the database and runs ``side`` once."""
    done = subprocess.run([sys.executable, __file__, "--rss", side, str(path)], check=True, capture_output=True,
                          text=True)
    return float(done.stdout.strip())


def _figures_for(n: int, quick: bool) -> Iterator[Figure]:
    path = database(n)
    sides = _sides(path)
    with sqlite3.connect(path) as conn:
        dossiers, grants = conn.execute("SELECT COUNT(*), COUNT(approved_cents) FROM dossiers").fetchone()
    rounds = 5 if quick else 7
    shape = f"{dossiers} dossiers, {grants} approved"
    pairs = (
        ("report --json", "report", "report_raw", "the raw SQL aggregates it presents (same queries, sqlite3)"),
        ("export csv", "export_csv", "export_csv_raw", "sqlite3 + csv.writer on the same SELECT"),
        ("export scdl", "export_scdl", "export_scdl_raw", "sqlite3 + csv.writer on the same SELECT of the grants"),
    )
    for label, side, baseline, baseline_name in pairs:
        sides[side]()  # warm the page cache and the campaign
        medians = interleaved({side: lambda s=side: timed(sides[s]), baseline: lambda b=baseline: timed(sides[b])},
                              rounds)
        rss, rss_raw = _peak_rss(path, side), _peak_rss(path, baseline)
        yield Figure("reads", f"{label}, N={n}", medians[side] * 1000, medians[baseline] * 1000, baseline_name,
                     target=3.0, note=f"{shape}; peak RSS {rss:.0f} MiB vs {rss_raw:.0f} MiB (target ≤ 100 MiB)")
    if n <= OLD_WAY_UP_TO:
        for label, side, old in (("report --json", "report", "report_old"), ("export csv", "export_csv",
                                                                              "export_csv_old")):
            medians = interleaved({side: lambda s=side: timed(sides[s]), old: lambda o=old: timed(sides[o])}, 3)
            yield Figure("reads", f"{label} vs the previous way, N={n}", medians[side] * 1000, medians[old] * 1000,
                         "every dossier structured in Python, then folded (what it replaced)",
                         note="below 1 is the speed-up")


def figures(quick: bool, sizes: list[int] | None = None) -> Iterator[Figure]:
    for n in sizes or ([2_000] if quick else [2_000, 100_000]):
        yield from _figures_for(n, quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", default=None, help="comma-separated N (default 2000 and 100000)")
    parser.add_argument("--build", nargs=2, metavar=("N", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--rss", nargs=2, metavar=("SIDE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build[1]), int(args.build[0]))
        return
    if args.rss:
        _sides(Path(args.rss[1]))[args.rss[0]]()
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    print("\n".join(figures_table(list(figures(args.quick, sizes)))))


if __name__ == "__main__":
    main()
