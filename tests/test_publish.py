"""Safe publishing: the open-data database served by Datasette, with no personal value of the demo in its bytes.

The demo is walked once on a SQLite file; :func:`ami_workflow.store.publish` then writes ``open.db`` and its
``metadata.json``, which Datasette's own test client serves (``datasette.app.Datasette(...).client``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from stdnum.fr import siret as stdnum_siret

from ami_workflow import load_campaign
from ami_workflow.calendar import PARIS, FixedClock
from ami_workflow.cli import main
from ami_workflow.errors import InvalidInput, NotFound
from ami_workflow.sample import run_demo
from ami_workflow.store import Published, Workflow, publish

#: A SIRET of the funder's SIREN with a valid check digit, for the tests only (as in tests/test_open_data.py).
TEST_SIRET = next(s for nic in range(1, 100_000) if stdnum_siret.is_valid(s := f"246200364{nic:05d}"))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("working") / "ami.db"
    with Workflow.open(path, load_campaign("ami-cohesion-sociale-2021"), actor="demo",
                       clock=FixedClock(datetime(2021, 3, 8, 9, tzinfo=PARIS))) as flow:
        run_demo(flow, echo=lambda line: None)
        flow.amend_funder(siret=TEST_SIRET, registered_id_prefix="360G-test-lens-lievin",
                          reason="the funder's ids, for the open data", actor="service")
    return path


@pytest.fixture(scope="module")
def published(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish(demo_db, tmp_path_factory.mktemp("open") / "open.db")


def _get(datasette: Datasette, path: str) -> Any:
    async def get() -> Any:
        response = await datasette.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json()

    return asyncio.run(get())


@pytest.fixture(scope="module")
def served(published: Published) -> Datasette:
    metadata = json.loads(published.metadata.read_text(encoding="utf-8"))
    return Datasette([str(published.database)], metadata=metadata)


def test_datasette_serves_the_labelled_views_in_euros(served: Datasette, demo_db: Path) -> None:
    rows = _get(served, "/open/dossier_overview.json?_shape=array&_size=max")
    with sqlite3.connect(demo_db) as working:
        received = working.execute("SELECT COUNT(*) FROM dossiers WHERE state != 'draft'").fetchone()[0]
        approved_cents = dict(working.execute("SELECT reference, approved_cents FROM dossiers"))
    working.close()
    assert len(rows) == received == 29  # the demo's one draft is not published
    paid = next(r for r in rows if r["reference"] == "ami-cohesion-sociale-2021-0001")
    assert paid["state"] == "paid" and paid["state_label"] == "versé"
    assert paid["axis"] == "insertion" and paid["axis_label"] == "L'insertion professionnelle et sociale"
    assert paid["qpv_codes"] == "QP062026 QP062034" and paid["qpv_names"] == "Cité 2 ; Quartier du 3/15"
    assert paid["approved_eur"] == approved_cents[paid["reference"]] / 100 == 5852.84
    assert paid["applicant"] == "Association Les Ateliers du 12-14" and paid["siren"] == "779154475"
    assert set(paid) >= {"total_cost_eur", "requested_eur", "paid_eur", "period_start", "submitted_at"}
    assert not any(column.endswith("_cents") for column in paid)

    envelope = _get(served, "/open/envelope.json?_shape=array")
    assert envelope == [{"campaign_id": "ami-cohesion-sociale-2021", "title": _campaign_title(served),
                         "envelope_eur": 150000.0, "approved_eur": 143394.57, "paid_eur": 143394.57,
                         "remaining_eur": 6605.43}]  # the council reduced one grant and refused one proposal; in
    # 2022 one grant was settled at 60 % of its forecast and the rest recovered
    by_state = {r["state"]: r for r in _get(served, "/open/by_state.json?_shape=array")}
    assert by_state["paid"]["state_label"] == "versé" and by_state["closed"]["state_label"] == "soldé"
    assert round(sum(row["approved_eur"] for row in by_state.values()), 2) == 143394.57
    assert by_state["rejected"]["state_label"] == "rejeté"
    grants = _get(served, "/open/grants.json?_shape=array&_size=max")
    assert {g["deliberation"] for g in grants} == {"DEL-2021-09-27-042"}
    assert round(sum(g["approved_eur"] for g in grants), 2) == 143394.57
    by_qpv = _get(served, "/open/by_qpv.json?_shape=array&_size=max")
    assert all(r["qpv_name"] for r in by_qpv)
    by_axis = {r["axis"]: r["axis_label"] for r in _get(served, "/open/by_axis.json?_shape=array")}
    assert by_axis["numerique"] == "L'inclusion numérique"


def _campaign_title(served: Datasette) -> str:
    return str(_get(served, "/open/campaigns.json?_shape=array")[0]["title"])


def test_datasette_shows_the_licence_and_the_descriptions(served: Datasette) -> None:
    metadata = _get(served, "/-/metadata.json")
    assert metadata["license"] == "Licence Ouverte 2.0 (Etalab)"
    assert metadata["license_url"].startswith("https://www.etalab.gouv.fr/")
    assert metadata["source"] == "Communauté d'Agglomération de Lens-Liévin"
    tables = metadata["databases"]["open"]["tables"]
    assert tables["dossier_overview"]["columns"]["state_label"] == "L'état du dossier, en français."
    listed = {t["name"] for t in _get(served, "/open.json")["tables"]}
    views = {v["name"] if isinstance(v, dict) else v for v in _get(served, "/open.json")["views"]}
    assert set(tables) == listed | views  # every table and view is described, each column too
    assert all(desc for t in tables.values() for desc in t["columns"].values())
    assert views == {"dossier_overview", "grants", "by_state", "by_axis", "by_qpv", "envelope"}


def _personal_values(db: Path) -> set[str]:
    """Every personal value the working database holds: names, IBANs, notes, committee members, contacts."""
    with sqlite3.connect(db) as conn:
        values = {v for (v,) in conn.execute("SELECT value FROM personal_values WHERE value IS NOT NULL")}
        values |= {v for (v,) in conn.execute("SELECT value FROM personal_data WHERE value IS NOT NULL")}
        ibans = [v for (v,) in conn.execute("SELECT iban FROM applicants WHERE iban IS NOT NULL")]
        for (data,) in conn.execute("SELECT data FROM records WHERE kind = 'session'"):
            session = json.loads(data)
            values |= {session["chair"]} | {m["name"] for m in session["members"]}
        call = json.loads(conn.execute("SELECT call FROM campaigns").fetchone()[0])
    conn.close()
    contact = call["funder"]["contact"]
    values |= {contact["manager"], *contact["people"], *contact["phones"], contact["email"]}
    values |= {call["funder"]["signatory"]["name"], call["funder"]["addressee"]["name"]}
    for iban in ibans:
        compact = iban.replace(" ", "")
        values |= {compact, " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))}
    return values


def test_no_personal_value_of_the_demo_is_in_the_published_bytes(published: Published, demo_db: Path) -> None:
    values = _personal_values(demo_db)
    assert {"Claire Dupont", "Paul Lefebvre", "Mme Personnalité", "Sophie MOLLET"} <= values
    assert any(v.startswith("FR76") for v in values) and any("QPV" in v for v in values)  # IBANs and notes
    assert len(values) > 20
    for path in (published.database, published.metadata):
        data = path.read_bytes()
        found = sorted(v for v in values if v.encode("utf-8") in data)
        assert found == [], path
    with sqlite3.connect(published.database) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        blobs = [(t, c[1]) for t in tables for c in conn.execute(f"PRAGMA table_info({t})") if c[2] == "BLOB"]
    conn.close()
    assert tables.isdisjoint({"events", "files", "personal_values", "personal_data", "records", "refusals",
                              "applicants"})
    assert blobs == [] and b"%PDF" not in published.database.read_bytes()


def test_the_published_files_are_for_everyone_whatever_the_umask(demo_db: Path, tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        done = publish(demo_db, tmp_path / "open.db")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(done.database).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(done.metadata).st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metadata.json", "open.db"]  # no temporary left


def test_publishing_over_a_file_needs_force(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "open.db"
    out.write_bytes(b"kept")
    with pytest.raises(InvalidInput, match="already exists"):
        publish(demo_db, out)
    assert out.read_bytes() == b"kept" and not (tmp_path / "metadata.json").exists()
    done = publish(demo_db, out, force=True)
    assert done.dossiers == 29 and out.read_bytes().startswith(b"SQLite format 3")
    with pytest.raises(InvalidInput, match="already exists"):  # now metadata.json is there too
        publish(demo_db, out, metadata_path=tmp_path / "metadata.json")
    with pytest.raises(InvalidInput, match="working database"):
        publish(demo_db, demo_db, metadata_path=tmp_path / "other.json", force=True)
    with pytest.raises(NotFound):
        publish(tmp_path / "none.db", tmp_path / "x.db")
    assert not (tmp_path / "none.db").exists()


def test_the_cli_publishes_and_refuses_to_overwrite(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "open.db"
    runner = CliRunner()
    first = runner.invoke(main, ["--lang", "en", "--db", str(demo_db), "publish", str(out)])
    assert first.exit_code == 0, first.output
    assert "29 dossiers" in first.output and "datasette" in first.output
    again = runner.invoke(main, ["--lang", "en", "--db", str(demo_db), "publish", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(main, ["--db", str(demo_db), "publish", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """No umask at all: a mode that is not set explicitly would come out 0644 or wider."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.usefixtures("umask_zero")
def test_the_working_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "ami.db"
    with Workflow.open(path, load_campaign("ami-cohesion-sociale-2021"), actor="accueil",
                       clock=FixedClock(datetime(2021, 3, 9, 10, tzinfo=PARIS))):
        files = {p.name: _mode(p) for p in tmp_path.iterdir()}
    assert files == {"ami.db": 0o600, "ami.db-wal": 0o600, "ami.db-shm": 0o600}


@pytest.mark.usefixtures("umask_zero")
def test_every_export_the_cli_writes_is_private(demo_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    commands = {
        "dossiers.csv": ["export", "csv"],
        "dossiers-fr.csv": ["export", "csv", "--dialect", "fr"],
        "dossiers.xlsx": ["export", "xlsx"],
        "dossiers.json": ["export", "json"],
        "subventions.csv": ["export", "scdl"],
        "grants.json": ["export", "360giving"],
        "applicant.json": ["applicant", "export", "siren:779154475"],
        "call.toml": ["campaign", "rollover", "--year", "2022"],
        "accuse.pdf": ["document", "print", "ami-cohesion-sociale-2021-0001", "--kind", "accuse_reception"],
    }
    issued = runner.invoke(main, ["--db", str(demo_db), "document", "issue", "ami-cohesion-sociale-2021-0001",
                                  "--kind", "accuse_reception"])
    assert issued.exit_code == 0, issued.output
    for name, args in commands.items():
        result = runner.invoke(main, ["--db", str(demo_db), *args, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, (name, result.output)
    existing = tmp_path / "again.csv"
    existing.write_text("old")
    existing.chmod(0o644)
    assert runner.invoke(main, ["--db", str(demo_db), "export", "csv", "-o", str(existing)]).exit_code == 0
    modes = {p.name: _mode(p) for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys([*commands, "again.csv"], 0o600)


def test_dossier_show_and_list_leave_ibans_and_representatives_out_unless_asked(demo_db: Path) -> None:
    runner = CliRunner()
    reference = "ami-cohesion-sociale-2021-0001"
    with sqlite3.connect(demo_db) as conn:
        iban = conn.execute("SELECT iban FROM applicants WHERE id = 1").fetchone()[0]
        names = {v for (v,) in conn.execute("SELECT value FROM personal_data WHERE dossier = ?", (reference,))}
    conn.close()
    assert iban and names
    for args in (["dossier", "show", reference, "--json"], ["dossier", "list", "--json"]):
        hidden = runner.invoke(main, ["--db", str(demo_db), *args])
        assert hidden.exit_code == 0, hidden.output
        assert iban not in hidden.output and not any(name in hidden.output for name in names)
        assert '"iban"' not in hidden.output and '"legal_representative"' not in hidden.output
        assert "Association Les Ateliers du 12-14" in hidden.output  # the legal person is shown
        shown = runner.invoke(main, ["--db", str(demo_db), *args, "--personal"])
        assert shown.exit_code == 0, shown.output
        assert iban in shown.output and all(name in shown.output for name in names)
    exported = runner.invoke(main, ["--db", str(demo_db), "applicant", "export", "siren:779154475"])
    assert iban in exported.output and all(name in exported.output for name in names)  # the RGPD access: all
