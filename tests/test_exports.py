"""Exports: flat rows and JSON records, the SCDL « subventions » 2.1 CSV and 360Giving JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.fr import siret as stdnum_siret
from strategies import positive_amounts
from walk import BACKENDS, CAMPAIGN, PATH, SESSION_ID, TIMES, applicant, application, at, attach_all, new_flow, session

from ami_workflow import Campaign, Convention, Deliberation, InvalidInput, NotFound, Period, Refused, parse_campaign
from ami_workflow.calendar import PARIS
from ami_workflow.exports import (
    DOSSIER_COLUMNS,
    GIVING_AMOUNT_MAX,
    OBJET_MAX_LENGTH,
    SCDL_COLUMNS,
    check_scdl_row,
    dossier_rows,
    dossiers_json,
    giving360,
    giving_amount,
    scdl_amount,
    scdl_objet,
    scdl_rows,
    write_csv,
    write_scdl_csv,
)
from ami_workflow.protocol import Backend

FUNDER_SIREN = "246200364"
PREFIX = "360G-test-call"
DELIBERATION_DAY = date(2021, 9, 27)
CONVENTION_DAY = date(2021, 9, 28)
#: Longer than SCDL's 256 characters, within the call's 300 for a single-line text ([limits] line_max).
LONG_TITLE = " ".join(["Ateliers numériques pour les parents et les collégiens des quartiers"] * 4)
RNA = "W621000123"
CREATED = datetime(2021, 3, 10, 9, tzinfo=PARIS)
STEP_DATA: dict[str, dict[str, Any]] = {"instruct": {"criteria": []}, "hear": {"session": SESSION_ID}}


def valid_siret(siren: str) -> str:
    """The first establishment number (NIC) that makes a valid SIRET for ``siren``: never a real one on purpose."""
    return next(s for nic in range(1, 100_000) if stdnum_siret.is_valid(s := f"{siren}{nic:05d}"))


FUNDER_SIRET = valid_siret(FUNDER_SIREN)


def configured_campaign(siret: str = FUNDER_SIRET) -> Campaign:
    """The bundled 2021 call with the identifiers it leaves empty filled in (only here, in the tests)."""
    text = (resources.files("ami_workflow.calls") / "ami-cohesion-sociale-2021.toml").read_text(encoding="utf-8")
    assert text.count('siret = ""') == 1 and text.count('registered_id_prefix = ""') == 1
    text = text.replace('siret = ""', f'siret = "{siret}"')
    text = text.replace('registered_id_prefix = ""', f'registered_id_prefix = "{PREFIX}"')
    return parse_campaign(text, source="test call")


def create(flow: Backend, n: int, *, with_siret: bool = True, who: dict[str, object] | None = None,
           **changes: object) -> str:
    """A draft of applicant ``n``, created on 10 March (with a valid SIRET unless ``with_siret`` is false)."""
    data = dict(who or {})
    if with_siret and data.get("siren", applicant(n).siren):
        data.setdefault("siret", valid_siret(str(data.get("siren", applicant(n).siren))))
    at(flow, CREATED)
    return flow.create_dossier(applicant(n, **data), application(**changes)).reference


def walk_to(flow: Backend, targets: dict[str, str]) -> None:
    """Attach every piece, then walk the dossiers in step on the call's dates, each up to its trigger."""
    for ref in targets:
        attach_all(flow, ref)
    for trigger in PATH[: PATH.index("approve") + 1]:
        due = [ref for ref, until in targets.items() if PATH.index(trigger) <= PATH.index(until)]
        at(flow, TIMES[trigger])
        if due and trigger == "hear" and SESSION_ID not in {s.id for s in flow.sessions()}:
            flow.record_session(session())
        for ref in due:
            flow.fire(ref, trigger, **STEP_DATA.get(trigger, {}))


def approve(flow: Backend, *refs: str) -> None:
    """Walk the dossiers up to their approval (amount: the proposal, i.e. the request here)."""
    walk_to(flow, dict.fromkeys(refs, "approve"))


def deliberate(flow: Backend, refs: list[str], reference: str = "DEL-1") -> None:
    at(flow, datetime.combine(DELIBERATION_DAY, time(18), tzinfo=PARIS))
    flow.record_deliberation(Deliberation(reference, DELIBERATION_DAY, refs, enforceable_on=DELIBERATION_DAY))


def pay(flow: Backend, ref: str, day: date, amount: str | None = None) -> None:
    extra: dict[str, Any] = {} if amount is None else {"amount": Decimal(amount)}
    at(flow, datetime.combine(day, time(10), tzinfo=PARIS))
    flow.fire(ref, "pay", **extra)


@pytest.fixture(scope="module", params=BACKENDS)
def granted(request: pytest.FixtureRequest) -> Any:
    """A campaign with three granted subsidies and two dossiers that are not granted, on each backend."""
    flow = new_flow(request.param, configured_campaign())
    refs = {
        "small_paid": create(flow, 1),  # 5 000 €, paid once
        "large": create(flow, 2, total_cost=Decimal("60000.00"), requested=Decimal("26000.00"),
                        qpv_codes=("QP062024", "QP062028")),  # 26 000 €, a convention, paid in two instalments
        "rna_only": create(flow, 3, who={"siren": None, "rna": RNA}, title=LONG_TITLE,
                           total_cost=Decimal("10001.00"), requested=Decimal("5000.50")),  # not paid yet
        "no_deliberation": create(flow, 4),
        "instructed": create(flow, 5),
    }
    walk_to(flow, {ref: "instruct" if key == "instructed" else "approve" for key, ref in refs.items()})
    deliberate(flow, [refs["small_paid"], refs["large"], refs["rna_only"]], "DEL-2021-09-27-12")
    at(flow, datetime.combine(CONVENTION_DAY, time(10), tzinfo=PARIS))
    flow.record_convention(Convention(refs["large"], "CONV-2021-014", CONVENTION_DAY))
    pay(flow, refs["small_paid"], date(2021, 10, 5))
    pay(flow, refs["large"], date(2021, 10, 5), "10000.00")
    pay(flow, refs["large"], date(2021, 12, 1))
    yield flow, refs
    if hasattr(flow, "close"):
        flow.close()


def by_reference(rows: list[dict[str, str]], flow: Backend) -> dict[str, dict[str, str]]:
    """SCDL rows keyed by dossier reference (through the beneficiary's name, unique in these tests)."""
    names = {d.applicant.name: d.reference for d in flow.dossiers()}
    return {names[row["nomBeneficiaire"]]: row for row in rows}


def good_row() -> dict[str, str]:
    return {
        "nomAttribuant": "Communauté d'Agglomération de Lens-Liévin",
        "idAttribuant": FUNDER_SIRET,
        "dateConvention": "2021-09-27",
        "referenceDecision": "DEL-1",
        "nomBeneficiaire": "Association 1",
        "idBeneficiaire": valid_siret("732829320"),
        "rnaBeneficiaire": "",
        "objet": "Ateliers numériques",
        "montant": "5000.00",
        "nature": "aide en numéraire",
        "conditionsVersement": "unique",
        "datesPeriodeVersement": "2021-10-05",
        "idRAE": "",
        "notificationUE": "non",
        "pourcentageSubvention": "1.00",
        "dispositifAide": "AMI 2021",
    }


# -- identifiers the call file does not give ---------------------------------------


def test_scdl_is_refused_while_the_call_file_gives_no_funder_siret(flow: Backend) -> None:
    assert CAMPAIGN.funder.siret == ""
    with pytest.raises(Refused, match=r"campaign set-funder --siret .* funder\.siret in the call file") as empty:
        scdl_rows(flow)
    assert empty.value.action == "export SCDL"
    ref = create(flow, 1)
    approve(flow, ref)
    deliberate(flow, [ref])
    with pytest.raises(Refused) as refused:
        scdl_rows(flow)
    assert len(refused.value.reasons) == 1  # said once for the campaign, not again on every row
    assert "SIRET" in refused.value.reasons[0] and "never invent" in refused.value.reasons[0]


def test_360giving_is_refused_while_the_call_file_gives_no_prefix(flow: Backend) -> None:
    assert CAMPAIGN.funder.registered_id_prefix == ""
    ref = create(flow, 1)
    approve(flow, ref)
    deliberate(flow, [ref])
    with pytest.raises(Refused, match=r"campaign set-funder --prefix .* funder\.registered_id_prefix") as refused:
        giving360(flow)
    assert refused.value.action == "export 360Giving"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_funder_siret_is_written_in_one_block(backend: str) -> None:
    spaced = f"{FUNDER_SIRET[:3]} {FUNDER_SIRET[3:6]} {FUNDER_SIRET[6:9]} {FUNDER_SIRET[9:]}"
    flow = new_flow(backend, configured_campaign(spaced))
    ref = create(flow, 1)
    approve(flow, ref)
    deliberate(flow, [ref])
    assert [row["idAttribuant"] for row in scdl_rows(flow)] == [FUNDER_SIRET]


def test_an_unknown_campaign_is_not_found(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, _ = granted
    for export in (dossier_rows, dossiers_json, scdl_rows, giving360):
        with pytest.raises(NotFound):
            export(flow, "ami-1999")


# -- SCDL rows ---------------------------------------------------------------------


def test_one_row_per_granted_subsidy_in_the_schema_order(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, refs = granted
    rows = scdl_rows(flow)
    assert set(by_reference(rows, flow)) == {refs["small_paid"], refs["large"], refs["rna_only"]}
    assert scdl_rows(flow, CAMPAIGN.id) == rows
    for row in rows:
        assert tuple(row) == SCDL_COLUMNS
        assert check_scdl_row(row) == []
        assert row["nomAttribuant"] == "Communauté d'Agglomération de Lens-Liévin"
        assert row["idAttribuant"] == FUNDER_SIRET
        assert row["referenceDecision"] == "DEL-2021-09-27-12"
        assert (row["nature"], row["idRAE"], row["notificationUE"]) == ("aide en numéraire", "", "non")
        assert row["pourcentageSubvention"] == "1.00"  # one beneficiary: its whole share, not the funding rate
        assert row["dispositifAide"] == CAMPAIGN.call.title


def test_row_values(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, refs = granted
    rows = by_reference(scdl_rows(flow), flow)
    small, large, rna = rows[refs["small_paid"]], rows[refs["large"]], rows[refs["rna_only"]]
    assert small["montant"] == "5000.00" and large["montant"] == "26000.00" and rna["montant"] == "5000.50"
    assert small["idBeneficiaire"] == valid_siret(applicant(1).siren or "") and small["rnaBeneficiaire"] == ""
    assert (rna["idBeneficiaire"], rna["rnaBeneficiaire"]) == ("", RNA)
    assert small["objet"] == "Ateliers numériques"
    assert len(rna["objet"]) <= OBJET_MAX_LENGTH and rna["objet"].endswith("…")
    assert LONG_TITLE.startswith(rna["objet"].removesuffix("…"))


def test_payments_unique_or_in_instalments(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, refs = granted
    rows = by_reference(scdl_rows(flow), flow)
    conditions = {key: (rows[refs[key]]["conditionsVersement"], rows[refs[key]]["datesPeriodeVersement"])
                  for key in ("small_paid", "large", "rna_only")}
    assert conditions == {
        "small_paid": ("unique", "2021-10-05"),
        "large": ("échelonné", "2021-10-05/2021-12-01"),
        "rna_only": ("unique", "2021-09-27/2022-06-30"),  # not paid yet: from the deliberation to the action's end
    }


def test_date_convention_is_the_convention_above_the_threshold_and_the_deliberation_below(
    granted: tuple[Backend, dict[str, str]],
) -> None:
    flow, refs = granted
    rows = by_reference(scdl_rows(flow), flow)
    assert rows[refs["large"]]["dateConvention"] == CONVENTION_DAY.isoformat()
    assert rows[refs["small_paid"]]["dateConvention"] == DELIBERATION_DAY.isoformat()
    assert rows[refs["rna_only"]]["dateConvention"] == DELIBERATION_DAY.isoformat()


def test_above_threshold_only_keeps_the_grants_the_decree_requires(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, refs = granted
    rows = scdl_rows(flow, above_threshold_only=True)
    assert list(by_reference(rows, flow)) == [refs["large"]]
    assert all(Decimal(r["montant"]) > CAMPAIGN.funding.convention_threshold for r in rows)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_problem_of_every_grant_is_listed(backend: str) -> None:
    flow = new_flow(backend, configured_campaign())
    siren_only = create(flow, 1, with_siret=False)
    no_convention = create(flow, 2, total_cost=Decimal("60000.00"), requested=Decimal("26000.00"))
    approve(flow, siren_only, no_convention)
    deliberate(flow, [siren_only, no_convention])
    with pytest.raises(Refused) as refused:
        scdl_rows(flow)
    reasons = refused.value.reasons
    assert len(reasons) == 2
    assert reasons[0].startswith(f"{siren_only} (Association 1): idBeneficiaire and rnaBeneficiaire are both empty")
    assert reasons[1].startswith(f"{no_convention} (Association 2)") and "no signed convention" in reasons[1]
    assert [g["recipientOrganization"][0]["id"] for g in giving360(flow)["grants"]] == [
        f"FR-SIREN-{applicant(1).siren}", f"FR-SIREN-{applicant(2).siren}"
    ]


# -- check_scdl_row ------------------------------------------------------------------


def test_a_good_row_passes() -> None:
    assert check_scdl_row(good_row()) == []
    assert check_scdl_row({**good_row(), "idBeneficiaire": "", "rnaBeneficiaire": RNA}) == []
    assert check_scdl_row({**good_row(), "conditionsVersement": "échelonné",
                           "datesPeriodeVersement": "2021-10-05/2021-12-01"}) == []
    # a single payment whose day is not known yet: the period it is planned in (as the schema's description says)
    assert check_scdl_row({**good_row(), "datesPeriodeVersement": "2021-09-27/2022-06-30"}) == []


BAD_CELLS = [
    ("idAttribuant", FUNDER_SIRET[:-1] + str((int(FUNDER_SIRET[-1]) + 1) % 10), "check digit"),
    ("idAttribuant", FUNDER_SIRET[:13], "14 digits"),
    ("idAttribuant", f"{FUNDER_SIRET[:9]} {FUNDER_SIRET[9:]}", "14 digits"),
    ("idAttribuant", "", "idAttribuant is required"),
    ("idBeneficiaire", "73282932000011", "check digit"),
    ("rnaBeneficiaire", "W62A000123", "RNA"),
    ("rnaBeneficiaire", "621000123", "RNA"),
    ("dateConvention", "27/09/2021", "ISO date"),
    ("dateConvention", "2021-02-30", "ISO date"),
    ("dateConvention", "20210927", "ISO date"),
    ("montant", "26000,00", "decimal point"),
    ("montant", "26000", "decimal point"),
    ("montant", "0.00", "above 0"),
    ("nature", "subvention", "nature"),
    ("conditionsVersement", "mensuel", "conditionsVersement"),
    ("datesPeriodeVersement", "05/10/2021", "datesPeriodeVersement"),
    ("datesPeriodeVersement", "", "datesPeriodeVersement is required"),
    ("idRAE", "123456", "idRAE"),
    ("notificationUE", "false", "notificationUE"),
    ("pourcentageSubvention", "0,5", "pourcentageSubvention"),
    ("pourcentageSubvention", "45", "between 0.01 and 1"),
    ("objet", "x" * (OBJET_MAX_LENGTH + 1), "objet"),
    ("objet", " ", "objet is required"),
    ("nomBeneficiaire", "", "nomBeneficiaire is required"),
]


@pytest.mark.parametrize(("column", "value", "said"), BAD_CELLS)
def test_a_bad_cell_is_caught(column: str, value: str, said: str) -> None:
    problems = check_scdl_row({**good_row(), column: value})
    assert problems and any(said in p for p in problems), problems


def test_instalments_need_an_interval_that_does_not_run_backwards() -> None:
    row = {**good_row(), "conditionsVersement": "échelonné"}
    assert any("interval" in p for p in check_scdl_row(row))
    backwards = {**row, "datesPeriodeVersement": "2021-12-01/2021-10-05"}
    assert any("ends before it starts" in p for p in check_scdl_row(backwards))


def test_the_beneficiary_needs_one_identifier() -> None:
    problems = check_scdl_row({**good_row(), "idBeneficiaire": "", "rnaBeneficiaire": ""})
    assert problems == [
        "idBeneficiaire and rnaBeneficiaire are both empty: record the beneficiary's SIRET or RNA number"
    ]


def test_the_columns_must_be_the_schemas_in_order() -> None:
    row = good_row()
    swapped = {"idAttribuant": row["idAttribuant"], **row}
    assert any("in this order" in p for p in check_scdl_row(swapped))
    missing = {k: v for k, v in row.items() if k != "dispositifAide"}
    assert any("in this order" in p for p in check_scdl_row(missing))
    extra = {**row, "commentaire": ""}
    assert any("in this order" in p for p in check_scdl_row(extra))


def test_every_problem_of_a_row_is_listed() -> None:
    bad = {**good_row(), "montant": "26000,00", "nature": "subvention", "notificationUE": "oui et non"}
    assert len(check_scdl_row(bad)) == 3


titles = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=600).filter(
    lambda t: t.strip() != ""
)


@given(titles)
def test_objet_fits_and_is_cut_cleanly(title: str) -> None:
    objet = scdl_objet(title)
    flat = " ".join(title.split())
    assert 0 < len(objet) <= OBJET_MAX_LENGTH
    if len(flat) <= OBJET_MAX_LENGTH:
        assert objet == flat
    else:
        assert objet.endswith("…") and flat.startswith(objet.removesuffix("…").rstrip(" ,;:.-–—"))


@given(positive_amounts, titles, st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.integers(0, 400))
def test_generated_rows_pass_the_check(amount: Decimal, title: str, signed: date, days: int) -> None:
    paid = date.fromordinal(signed.toordinal() + days)
    row = {
        **good_row(),
        "dateConvention": signed.isoformat(),
        "objet": scdl_objet(title),
        "montant": scdl_amount(amount),
        "conditionsVersement": "échelonné",
        "datesPeriodeVersement": f"{signed.isoformat()}/{paid.isoformat()}",
    }
    assert check_scdl_row(row) == []
    assert Decimal(row["montant"]) == amount


# -- CSV -------------------------------------------------------------------------------


def test_scdl_csv_round_trip(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, _ = granted
    rows = scdl_rows(flow)
    out = io.StringIO()
    write_scdl_csv(rows, out)
    reader = csv.DictReader(io.StringIO(out.getvalue()))
    assert tuple(reader.fieldnames or ()) == SCDL_COLUMNS
    assert list(reader) == rows
    assert out.getvalue().splitlines()[0] == ",".join(SCDL_COLUMNS)


def test_scdl_csv_writes_a_header_without_rows_and_refuses_a_bad_row() -> None:
    out = io.StringIO()
    write_scdl_csv([], out)
    assert out.getvalue() == ",".join(SCDL_COLUMNS) + "\r\n"
    out = io.StringIO()
    with pytest.raises(Refused, match="row 2: montant"):
        write_scdl_csv([good_row(), {**good_row(), "montant": "1,50"}], out)
    assert out.getvalue() == ""


def test_scdl_csv_file_is_utf8(granted: tuple[Backend, dict[str, str]], tmp_path: Path) -> None:
    path = tmp_path / "subventions.csv"
    flow, _ = granted
    with path.open("w", encoding="utf-8", newline="") as out:
        write_scdl_csv(scdl_rows(flow), out)
    text = path.read_bytes().decode("utf-8")
    assert "Communauté d'Agglomération de Lens-Liévin" in text and "échelonné" in text


def test_dossier_rows(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, refs = granted
    rows = {row["reference"]: row for row in dossier_rows(flow)}
    assert set(rows) == set(refs.values())
    assert dossier_rows(flow, CAMPAIGN.id) == list(rows.values())
    for row in rows.values():
        assert tuple(row) == DOSSIER_COLUMNS and all(isinstance(v, str) for v in row.values())
    large = rows[refs["large"]]
    assert (large["state"], large["qpv"]) == ("paid", "QP062024 QP062028")
    assert (large["total_cost"], large["requested"], large["ceiling"], large["proposed"]) == (
        "60000.00", "26000.00", "30000.00", "26000.00"
    )
    assert (large["approved"], large["paid"]) == ("26000.00", "26000.00")
    assert (large["period_start"], large["period_end"]) == ("2021-09-01", "2022-06-30")
    submitted = datetime.fromisoformat(large["submitted_at"])
    [submit] = [e for e in flow.history(refs["large"]) if e.trigger == "submit"]
    assert submitted == submit.at and submitted.utcoffset() == timedelta(hours=2)  # the receipt, Paris time
    assert timedelta(0) <= submitted - TIMES["submit"] < timedelta(seconds=1)  # submitted on the call's date
    assert (rows[refs["rna_only"]]["siren"], rows[refs["rna_only"]]["rna"]) == ("", RNA)
    assert rows[refs["instructed"]]["approved"] == "" and rows[refs["instructed"]]["paid"] == "0.00"


def test_dossier_csv_round_trip(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, _ = granted
    rows = dossier_rows(flow)
    out = io.StringIO()
    write_csv(rows, out)
    assert list(csv.DictReader(io.StringIO(out.getvalue()))) == rows
    empty = io.StringIO()
    write_csv([], empty)
    assert empty.getvalue() == ""


# -- JSON -------------------------------------------------------------------------------


def test_dossier_records_are_json_ready(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, refs = granted
    records = {r["reference"]: r for r in dossiers_json(flow)}
    assert set(records) == set(refs.values())
    assert json.loads(json.dumps(records)) == records  # no default needed, nothing lost
    large = records[refs["large"]]
    assert large["approved"] == "26000.00"
    assert large["application"]["period"] == {"start": "2021-09-01", "end": "2022-06-30"}
    assert [p["amount"] for p in large["payments"]] == ["10000.00", "16000.00"]


def test_360giving_grants(granted: tuple[Backend, dict[str, str]]) -> None:
    flow, refs = granted
    data = giving360(flow)
    assert json.loads(json.dumps(data)) == data
    grants = {g["id"]: g for g in data["grants"]}
    assert set(grants) == {f"{PREFIX}-{refs[k]}" for k in ("small_paid", "large", "rna_only")}
    large = grants[f"{PREFIX}-{refs['large']}"]
    for field in ("id", "title", "description", "currency", "amountAwarded", "awardDate",
                  "recipientOrganization", "fundingOrganization"):
        assert field in large
    assert (large["currency"], large["awardDate"]) == ("EUR", "2021-09-27")
    assert large["plannedDates"] == [{"startDate": "2021-09-01", "endDate": "2022-06-30"}]
    assert large["recipientOrganization"] == [{"id": f"FR-SIREN-{applicant(2).siren}", "name": "Association 2"}]
    assert large["fundingOrganization"][0]["id"] == f"FR-SIREN-{FUNDER_SIREN}"
    assert large["fundingOrganization"][0]["name"] == CAMPAIGN.funder.name
    assert [(loc["geoCode"], loc["name"]) for loc in large["beneficiaryLocation"]] == [
        ("QP062024", "Cité 12-14 (NPNRU)"), ("QP062028", "Calonne - Marichelles - Vent De Bise (NPNRU)")
    ]
    assert large["grantProgramme"] == [{"code": CAMPAIGN.id, "title": CAMPAIGN.call.title}]
    rna = grants[f"{PREFIX}-{refs['rna_only']}"]
    assert rna["recipientOrganization"][0]["id"] == f"FR-RNA-{RNA}"
    assert rna["title"] == LONG_TITLE  # 360Giving has no hard limit: the full title


def test_360giving_amounts_are_json_numbers_written_exactly(granted: tuple[Backend, dict[str, str]]) -> None:
    """Whole euros: a JSON integer; an amount with cents: the float that is written as that amount."""
    flow, refs = granted
    grants = {g["id"]: g["amountAwarded"] for g in giving360(flow)["grants"]}
    assert grants[f"{PREFIX}-{refs['large']}"] == 26000
    assert grants[f"{PREFIX}-{refs['small_paid']}"] == 5000
    assert grants[f"{PREFIX}-{refs['rna_only']}"] == 5000.5
    text = json.dumps(giving360(flow))
    assert '"amountAwarded": 26000,' in text and '"amountAwarded": 5000.5,' in text


@given(st.integers(1, int(GIVING_AMOUNT_MAX * 100)).map(lambda cents: Decimal(cents) / 100))
def test_a_360giving_amount_reads_back_as_the_amount(amount: Decimal) -> None:
    written = json.dumps({"amountAwarded": giving_amount(amount)})
    assert json.loads(written, parse_float=Decimal, parse_int=Decimal)["amountAwarded"] == amount


def test_a_360giving_amount_that_a_double_cannot_hold_is_refused() -> None:
    assert giving_amount(GIVING_AMOUNT_MAX) == float(GIVING_AMOUNT_MAX)
    with pytest.raises(InvalidInput, match="exactly"):
        giving_amount(Decimal("12345678901234567.89"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_360giving_refuses_a_recipient_without_identifier(backend: str) -> None:
    campaign = configured_campaign()  # a call that, unlike the 2021 file, does not require a SIREN or an RNA
    kinds = dict(campaign.applicants.kinds)
    kinds["association"] = attrs.evolve(kinds["association"], requires=())
    flow = new_flow(backend, attrs.evolve(campaign, applicants=attrs.evolve(campaign.applicants, kinds=kinds)))
    ref = create(flow, 1, with_siret=False, who={"siren": None, "name": "Collectif du 3/15"},
                 period=Period(date(2021, 9, 1), date(2021, 12, 31)))
    approve(flow, ref)
    deliberate(flow, [ref])
    with pytest.raises(Refused, match="neither a SIREN nor an RNA number") as refused:
        giving360(flow)
    assert refused.value.reasons[0].startswith(f"{ref} (Collectif du 3/15)")
