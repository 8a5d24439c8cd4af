"""The funder's SIRET and 360Giving prefix set on a live campaign: a journaled amendment, on both backends."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from stdnum.fr import siret as stdnum_siret
from walk import CAMPAIGN, at

from ami_workflow import InvalidInput, Refused
from ami_workflow.calendar import PARIS
from ami_workflow.cli import main
from ami_workflow.core.events import Kind
from ami_workflow.exports import giving360, scdl_rows, write_scdl
from ami_workflow.store import Workflow

SIREN = "246200364"


def siret_of(siren: str, start: int = 1) -> str:
    """A SIRET of ``siren`` with a valid check digit (a test value, not a real establishment)."""
    return next(s for nic in range(start, 100_000) if stdnum_siret.is_valid(s := f"{siren}{nic:05d}"))


SIRET = siret_of(SIREN)
OTHER_SIRET = siret_of(SIREN, int(SIRET[9:]) + 1)
PREFIX = "360G-test-call"


def amendments(flow: Any) -> list[Any]:
    return [e for e in flow.iter_journal() if e.kind is Kind.FUNDER_AMENDED]


def test_the_funder_s_ids_are_set_journaled_and_seen_by_every_reader(flow: Any) -> None:
    assert CAMPAIGN.funder.siret == "" and CAMPAIGN.funder.registered_id_prefix == ""
    at(flow, datetime(2021, 3, 9, 10, tzinfo=PARIS))
    funder = flow.amend_funder(siret=f"{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}",
                               registered_id_prefix=PREFIX, reason="the ids the call file left empty",
                               actor="service")
    assert (funder.siret, funder.registered_id_prefix) == (SIRET, PREFIX)  # the SIRET compact
    assert flow.get_campaign(CAMPAIGN.id).funder == funder == flow.campaign.funder
    assert attrs.evolve(funder, siret="", registered_id_prefix="") == CAMPAIGN.funder  # nothing else changed
    [event] = amendments(flow)
    assert (event.campaign, event.dossier, event.actor) == (CAMPAIGN.id, None, "service")
    assert event.data == {"siret": SIRET, "registered_id_prefix": PREFIX, "reason": "the ids the call file left empty",
                          "before": {"siret": "", "registered_id_prefix": ""}}
    assert flow.verify() is None


def test_one_id_at_a_time_and_the_same_ids_record_nothing(flow: Any) -> None:
    flow.amend_funder(registered_id_prefix=PREFIX, reason="360Giving registered the prefix")
    assert (flow.campaign.funder.siret, flow.campaign.funder.registered_id_prefix) == ("", PREFIX)
    flow.amend_funder(siret=SIRET, reason="the SIRET of the service")
    assert (flow.campaign.funder.siret, flow.campaign.funder.registered_id_prefix) == (SIRET, PREFIX)
    flow.amend_funder(siret=SIRET, registered_id_prefix=PREFIX, reason="again")
    assert len(amendments(flow)) == 2
    flow.amend_funder(siret=OTHER_SIRET, reason="the establishment that pays")
    assert flow.campaign.funder.siret == OTHER_SIRET
    assert [e.data["before"]["siret"] for e in amendments(flow)] == ["", "", SIRET]
    assert flow.verify() is None


@pytest.mark.parametrize(("changes", "said"), [
    ({"siret": SIRET[:-1] + str((int(SIRET[-1]) + 1) % 10)}, "not a valid SIRET"),
    ({"siret": SIRET[:13]}, "not a valid SIRET"),
    ({"siret": 24620036400007}, r"siret: expected str \| None, got int"),  # tests/test_robustness.py: the boundary
    ({"registered_id_prefix": "360G test"}, "not a 360Giving identifier prefix"),
    ({"registered_id_prefix": "360G-"}, "not a 360Giving identifier prefix"),
    ({"registered_id_prefix": ""}, "not a 360Giving identifier prefix"),
    ({}, "or both"),
    ({"siret": SIRET, "reason": "  "}, "needs a reason"),
])
def test_bad_input_is_refused_before_anything_is_recorded(flow: Any, changes: dict[str, Any], said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        flow.amend_funder(**{"reason": "a reason", **changes})
    assert amendments(flow) == [] and flow.campaign.funder == CAMPAIGN.funder


def test_a_siret_of_another_siren_is_refused(flow: Any) -> None:
    other = siret_of("732829320")
    with pytest.raises(Refused, match=f"must start with the funder's SIREN {SIREN}") as refused:
        flow.amend_funder(siret=other, reason="a typo")
    assert refused.value.action == "amend_funder"
    assert amendments(flow) == [] and flow.campaign.funder.siret == ""


def test_the_exports_use_the_amended_ids(flow: Any) -> None:
    from test_exports import approve, create, deliberate

    ref = create(flow, 1)
    approve(flow, ref)
    deliberate(flow, [ref])
    with pytest.raises(Refused, match="campaign set-funder --siret"):
        scdl_rows(flow)
    flow.amend_funder(siret=SIRET, registered_id_prefix=PREFIX, reason="for the open data")
    [row] = scdl_rows(flow)
    assert row["idAttribuant"] == SIRET
    assert row["datesPeriodeVersement"] == "2021-09-27/2022-06-30"  # not paid yet: the planned period
    [grant] = giving360(flow)["grants"]
    assert grant["id"] == f"{PREFIX}-{ref}"
    assert grant["fundingOrganization"][0]["id"] == f"FR-SIREN-{SIREN}"


def test_the_call_file_as_registered_is_still_the_same_call(flow: Any) -> None:
    flow.amend_funder(siret=SIRET, registered_id_prefix=PREFIX, reason="for the open data")
    count = sum(1 for _ in flow.iter_journal())
    flow.add_campaign(CAMPAIGN)  # the call file without ids: the journal's amendment stands
    assert sum(1 for _ in flow.iter_journal()) == count and flow.campaign.funder.siret == SIRET
    with_ids = attrs.evolve(CAMPAIGN, funder=attrs.evolve(CAMPAIGN.funder, siret=SIRET, registered_id_prefix=PREFIX))
    flow.add_campaign(with_ids)  # the ids in force
    changed = attrs.evolve(CAMPAIGN, funder=attrs.evolve(CAMPAIGN.funder, siret=OTHER_SIRET))
    with pytest.raises(Refused, match="campaign set-funder"):
        flow.add_campaign(changed)
    renamed = attrs.evolve(CAMPAIGN, funder=attrs.evolve(CAMPAIGN.funder, name="Another funder"))
    with pytest.raises(Refused, match="different call file"):
        flow.add_campaign(renamed)
    assert sum(1 for _ in flow.iter_journal()) == count


# -- SQLite: the projection, verify, other connections ----------------------------------------


def test_the_sqlite_projection_is_checked_by_verify(tmp_path: Path) -> None:
    path = tmp_path / "ami.db"
    with Workflow.open(path, CAMPAIGN, actor="test") as flow:
        flow.amend_funder(siret=SIRET, registered_id_prefix=PREFIX, reason="for the open data")
    with Workflow.open(path) as reopened:
        assert reopened.campaign.funder.siret == SIRET and reopened.verify() is None
    with Workflow.open(path, CAMPAIGN) as reopened:  # opened with the call file as registered
        assert reopened.campaign.funder.registered_id_prefix == PREFIX and reopened.verify() is None
    with sqlite3.connect(path) as conn:  # the row put back behind the library's back
        conn.execute("UPDATE campaigns SET call = json_set(call, '$.funder.siret', '') WHERE id = ?", (CAMPAIGN.id,))
    conn.close()
    with Workflow.open(path) as tampered:
        problem = tampered.verify()
        assert problem is not None and problem.reason == f"the campaign of {CAMPAIGN.id} differ from the journal"


def test_another_connection_sees_the_amendment(tmp_path: Path) -> None:
    path = tmp_path / "ami.db"
    with Workflow.open(path, CAMPAIGN, actor="test") as first, Workflow.open(path, actor="other") as second:
        assert first.get_campaign(CAMPAIGN.id).funder.siret == ""  # read, and kept
        second.amend_funder(siret=SIRET, reason="set elsewhere")
        assert first.get_campaign(CAMPAIGN.id).funder.siret == SIRET
        first.amend_funder(registered_id_prefix=PREFIX, reason="and the prefix")  # decided on the fresh campaign
        assert second.get_campaign(CAMPAIGN.id).funder.siret == SIRET
        assert first.verify() is None


def test_a_failed_write_does_not_keep_the_amended_campaign(tmp_path: Path) -> None:
    path = tmp_path / "ami.db"
    with Workflow.open(path, CAMPAIGN, actor="test") as flow:
        flow.conn.execute("CREATE TRIGGER no_update BEFORE UPDATE ON campaigns BEGIN SELECT RAISE(ABORT, 'no'); END")
        with pytest.raises(Exception, match="no"):
            flow.amend_funder(siret=SIRET, reason="refused by the database")
        assert flow.get_campaign(CAMPAIGN.id).funder.siret == "" and amendments(flow) == []


# -- the command line -----------------------------------------------------------------------


def run(db: Path, *args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_campaign_set_funder_on_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")
    assert "--siret, --prefix" in run(db, "campaign", "set-funder", "--reason", "r", code=2).output
    bad = run(db, "campaign", "set-funder", "--siret", SIRET[:13], "--reason", "r", code=2)
    assert "not a valid SIRET" in bad.output
    other = run(db, "campaign", "set-funder", "--siret", siret_of("732829320"), "--reason", "r", code=1)
    assert "must start with the funder's SIREN" in other.output
    done = run(db, "campaign", "set-funder", "--siret", SIRET, "--prefix", PREFIX, "--reason", "for the open data")
    assert f"SIRET {SIRET}, 360Giving prefix {PREFIX}" in done.output
    again = run(db, "campaign", "set-funder", "--siret", SIRET, "--reason", "twice")
    assert "nothing recorded" in again.output
    shown = json.loads(run(db, "campaign", "show", "--json").output)
    assert (shown["funder"]["siret"], shown["funder"]["registered_id_prefix"]) == (SIRET, PREFIX)
    assert json.loads(run(db, "verify", "--json").output)["problem"] is None
    run(db, "campaign", "add", "ami-cohesion-sociale-2021")  # the call file as registered: accepted again


def test_the_demo_exports_after_set_funder(tmp_path: Path) -> None:
    db = tmp_path / "ami.db"
    run(db, "demo", "--no-documents")
    run(db, "export", "scdl", code=1)
    run(db, "campaign", "set-funder", "--siret", SIRET, "--prefix", PREFIX, "--reason", "for the open data")
    rows = list(csv.DictReader(io.StringIO(run(db, "export", "scdl").output)))
    assert len(rows) == 24 and {r["idAttribuant"] for r in rows} == {SIRET}  # 25 proposed, 1 refused by the council
    grants = json.loads(run(db, "export", "360giving").output)["grants"]
    assert len(grants) == 24 and all(g["id"].startswith(f"{PREFIX}-") for g in grants)
    with Workflow.open(db) as flow:
        out = io.StringIO()
        write_scdl(flow, out)
        assert out.getvalue().splitlines() == run(db, "export", "scdl").output.splitlines()
        assert flow.verify() is None


def test_the_planned_period_never_ends_before_it_starts(flow: Any) -> None:
    """An action over before its grant was decided: the planned period is the decision's day alone."""
    from test_exports import approve, create, deliberate

    from ami_workflow import Period

    ref = create(flow, 1, period=Period(date(2021, 3, 1), date(2021, 6, 30)))
    approve(flow, ref)
    deliberate(flow, [ref])
    flow.amend_funder(siret=SIRET, reason="for the open data")
    at(flow, datetime.combine(date(2021, 9, 28), time(9), tzinfo=PARIS))
    [row] = scdl_rows(flow)
    assert row["datesPeriodeVersement"] == "2021-09-27/2021-09-27"
