"""The yearly rollover: next year's call file from this year's, every change explained, and call files written back."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ami_workflow.calendar import Calendar, Window, add_months, month_window
from ami_workflow.callfile import load_campaign, parse_campaign
from ami_workflow.campaign import CalendarPolicy, Campaign, Envelope, Qpv
from ami_workflow.cli import main
from ami_workflow.errors import InvalidAmount, InvalidInput
from ami_workflow.rollover import RolloverResult, campaign_to_toml, parse_qpv_csv, rollover, working_day

AMI = load_campaign("ami-cohesion-sociale-2021")
FPH = load_campaign("fonds-participation-habitants-2021")  # a rolling call without a hearing

#: The 2021 annex (« CALL – Quartiers éligibles à la Politique de la Ville 2014 - 2022 ») as a CSV file.
ANNEX_CSV = """code,name,communes
QP062002,Camus,Angres
QP062016,Quartier Saint-Elie - Fosse 13,Hulluch (Haisnes)
QP062019,République - Cité 4 (NPNRU),Avion
QP062020,Cité Des Brebis,Bully-les-Mines/Mazingarbe
QP062021,Cité Du Transvaal - Centre,Fouquières-lez-Lens/Billy-Montigny
QP062022,Cité 5 - Cité 11,Grenay/Loos-en-Gohelle
QP062023,Cité Bellevue,Harnes
QP062024,Cité 12-14 (NPNRU),Lens
QP062025,Grande Résidence,Lens/Vendin-le-Vieil/Loison-sous-Lens
QP062026,Cité 2,Lens
QP062027,Sellier Cité 4,Lens/Eleu-dit-Leauwette
QP062028,Calonne - Marichelles - Vent De Bise (NPNRU),Liévin
QP062029,Les Hauts De Liévin - Résidence Des Provinces - Cités 9-9bis,Liévin/Lens/Loos-en-Gohelle
QP062030,Blum - Salengro - 109,Liévin
QP062031,3 Cités,Mazingarbe
QP062032,Cité 10,Sains-en-Gohelle
QP062033,Les Blanches Laines Fosse 11 12 13,Sallaumines
QP062034,"Quartier du 3/15",Sallaumines/Méricourt
QP062035,Cité Des Taberneaux,Wingles
QP062045,Quartier Du Maroc - La Canche,Méricourt (Rouvroy)
QP062047,Languedoc - Cité 10,Billy-Montigny/(Rouvroy)
"""

#: A made-up new list in the shape of the 2024 one (new codes), for the tests only.
NEW_LIST_CSV = """code,name,communes
QN06201A,Cité 12-14,Lens
QN06202B,Grande Résidence,Lens/Vendin-le-Vieil
QN06203C,Quartier Du Maroc,Méricourt/(Rouvroy)
"""


def with_calendar(campaign: Campaign, launch: date, deadline: date, /, **policy: str) -> Campaign:
    """``campaign`` with another submission window (the later windows follow it) and calendar policy."""
    instruction, jury = (add_months(date(deadline.year, deadline.month, 1), n) for n in (1, 2))
    calendar = Calendar(Window(launch, deadline), month_window(instruction.year, instruction.month),
                        month_window(jury.year, jury.month), month_window(jury.year, jury.month))
    return attrs.evolve(campaign, calendar=calendar, calendar_policy=attrs.evolve(campaign.calendar_policy, **policy))


# -- 2021 -> 2022 on the bundled call ------------------------------------------------------


@pytest.fixture(scope="module")
def r2022() -> RolloverResult:
    return rollover(AMI, 2022)


def test_rule_id_title_and_years_take_the_new_year(r2022: RolloverResult) -> None:
    c = r2022.campaign
    assert (c.id, c.call.year, c.envelope.year) == ("ami-cohesion-sociale-2022", 2022, 2022)
    assert c.call.title == "Appel à Manifestation d'Intérêt 2022 (AMI) – Cohésion sociale"
    assert r2022.change("call.id") is not None and r2022.change("envelope.year") is not None


def test_rule_id_without_a_year_gets_the_year_appended() -> None:
    plain = attrs.evolve(AMI, call=attrs.evolve(AMI.call, id="ami-cohesion-sociale", title="AMI Cohésion sociale"))
    result = rollover(plain, 2022)
    assert result.campaign.id == "ami-cohesion-sociale-2022"
    assert result.campaign.call.title == "AMI Cohésion sociale"
    assert any("call.title" in w and "does not name 2021" in w for w in result.warnings)


def test_rule_launch_on_a_working_day_keeps_its_day_2022_03_08_is_a_tuesday(r2022: RolloverResult) -> None:
    assert r2022.campaign.calendar.launch == date(2022, 3, 8)
    change = r2022.change("calendar.launch")
    assert change is not None and change.new == "2022-03-08" and "Tuesday" in change.why


def test_rule_deadline_on_a_saturday_moves_to_the_previous_working_day(r2022: RolloverResult) -> None:
    assert r2022.campaign.calendar.deadline == date(2022, 4, 29)
    change = r2022.change("calendar.deadline")
    assert change is not None
    assert (change.old, change.new) == ("2021-04-30", "2022-04-29")
    assert change.why == "2022-04-30 is a Saturday; moved to the previous working day 2022-04-29"


def test_rule_whole_month_windows_stay_whole_months_may_june_september_2022(r2022: RolloverResult) -> None:
    cal = r2022.campaign.calendar
    assert (cal.instruction, cal.jury, cal.deliberation) == (
        month_window(2022, 5), month_window(2022, 6), month_window(2022, 9))
    change = r2022.change("calendar.instruction")
    assert change is not None and "May 2022" in change.why


def test_rule_change_list_explains_every_moved_date_and_the_text_lists_it(r2022: RolloverResult) -> None:
    old, new = AMI.calendar, r2022.campaign.calendar
    for name in ("launch", "deadline"):
        if getattr(old, name) != getattr(new, name):
            change = r2022.change(f"calendar.{name}")
            assert change is not None and change.new == getattr(new, name).isoformat()
    for name in ("instruction", "jury", "deliberation"):
        assert r2022.change(f"calendar.{name}") is not None
    header = r2022.text.split("\n\n", 1)[0].splitlines()
    for change in r2022.changes:
        assert f"# - {change}" in header
    assert "# Warnings: none" in header


def test_rule_rollover_result_loads_and_carries_everything_else_over(r2022: RolloverResult) -> None:
    c = r2022.campaign
    assert parse_campaign(r2022.text) == c
    assert (c.territory, c.axes, c.pieces, c.funding, c.committee, c.workflow, c.envelope.amount) == (
        AMI.territory, AMI.axes, AMI.pieces, AMI.funding, AMI.committee, AMI.workflow, AMI.envelope.amount)


def test_rule_rollover_goes_forward_only() -> None:
    for year in (2021, 2020):
        with pytest.raises(InvalidInput, match="not after"):
            rollover(AMI, year)
    with pytest.raises(InvalidInput, match="year"):
        rollover(AMI, "2022")  # type: ignore[arg-type]


# -- weekends, holidays and the policy ---------------------------------------------------------


def test_rule_deadline_on_a_public_holiday_moves_and_names_it() -> None:
    # 14 July 2022 is a Thursday and the national day.
    result = rollover(with_calendar(AMI, date(2021, 6, 1), date(2021, 7, 14)), 2022)
    assert result.campaign.calendar.deadline == date(2022, 7, 13)
    change = result.change("calendar.deadline")
    assert change is not None and change.why == (
        "2022-07-14 is a public holiday (National Day); moved to the previous working day 2022-07-13")
    assert parse_campaign(result.text) == result.campaign


def test_rule_deadline_policy_next_working_day_2023_05_01() -> None:
    campaign = with_calendar(AMI, date(2021, 3, 1), date(2021, 5, 1), deadline="next_working_day")
    result = rollover(campaign, 2023)
    assert result.campaign.calendar.deadline == date(2023, 5, 2)
    change = result.change("calendar.deadline")
    assert change is not None and "Labor Day" in change.why and "next working day 2023-05-02" in change.why


def test_rule_opening_on_new_years_day_moves_to_the_next_working_day() -> None:
    result = rollover(with_calendar(AMI, date(2021, 1, 1), date(2021, 4, 30)), 2022)
    assert result.campaign.calendar.launch == date(2022, 1, 3)  # a Saturday and New Year's Day, then a Sunday
    change = result.change("calendar.launch")
    assert change is not None and "Saturday and a public holiday (New Year's Day)" in change.why


def test_rule_keep_policy_keeps_the_date_and_warns() -> None:
    keep = attrs.evolve(AMI, calendar_policy=CalendarPolicy(deadline="keep", opening="keep"))
    result = rollover(keep, 2022)
    assert result.campaign.calendar.deadline == date(2022, 4, 30)
    change = result.change("calendar.deadline")
    assert change is not None and "Saturday" in change.why and "kept" in change.why
    assert any("calendar.deadline 2022-04-30 is a Saturday" in w for w in result.warnings)
    assert parse_campaign(result.text).calendar_policy.deadline == "keep"


def test_rule_rolling_calendar_moves_its_opening_and_closing() -> None:
    result = rollover(FPH, 2022)
    cal = result.campaign.calendar
    assert cal.rolling and (cal.submission.start, cal.submission.end) == (date(2022, 1, 17), date(2022, 11, 30))
    change = result.change("calendar.opens")
    assert change is not None and "2022-01-15 is a Saturday" in change.why
    assert parse_campaign(result.text) == result.campaign


def test_rule_29_february_becomes_the_28th() -> None:
    leap = rollover(AMI, 2024).campaign
    leap = with_calendar(leap, date(2024, 2, 29), date(2024, 4, 30))
    result = rollover(leap, 2025)
    assert result.campaign.calendar.launch == date(2025, 2, 28)  # a Friday
    change = result.change("calendar.launch")
    assert change is not None and "no counterpart in 2025" in change.why


def test_working_day_reads_holidays_from_the_holidays_package() -> None:
    assert working_day(date(2022, 12, 25), "next") == (
        date(2022, 12, 26),
        "2022-12-25 is a Sunday and a public holiday (Christmas Day); moved to the next working day 2022-12-26",
    )
    assert working_day(date(2022, 12, 26), "next", country="DE")[0] == date(2022, 12, 27)  # Second Day of Christmas
    with pytest.raises(InvalidInput, match="no public holidays known"):
        working_day(date(2022, 12, 25), "next", country="XX")


# -- envelope and territory --------------------------------------------------------------------


def test_rule_envelope_override_is_a_change() -> None:
    result = rollover(AMI, 2022, envelope="160 000,00")
    assert result.campaign.envelope.amount == Decimal("160000.00")
    change = result.change("envelope.amount")
    assert change is not None and (change.old, change.new) == ("150000.00", "160000.00")
    assert rollover(AMI, 2022, envelope=Decimal("150000")).change("envelope.amount") is None
    with pytest.raises(InvalidAmount):
        rollover(AMI, 2022, envelope=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"envelope\.amount"):
        rollover(AMI, 2022, envelope="0")


def test_rule_qpv_csv_reads_the_annex_brackets_going_to_communes_outside() -> None:
    assert parse_qpv_csv(ANNEX_CSV) == AMI.territory.qpv
    semicolons = ANNEX_CSV.replace(",", ";").replace('"Quartier du 3/15"', "Quartier du 3/15")
    assert parse_qpv_csv(semicolons) == AMI.territory.qpv


def test_rule_qpv_csv_replaces_the_list_and_its_validity(tmp_path: Path) -> None:
    path = tmp_path / "qpv-2024.csv"
    path.write_text("\ufeff" + NEW_LIST_CSV, encoding="utf-8")
    result = rollover(AMI, 2024, qpv_csv=path, valid_from=2024, valid_until=2030,
                      territory_name="CALL – Quartiers prioritaires 2024 - 2030")
    territory = result.campaign.territory
    assert territory.codes() == {"QN06201A", "QN06202B", "QN06203C"}
    assert territory.get("QN06203C") == Qpv("QN06203C", "Quartier Du Maroc", ("Méricourt",), ("Rouvroy",))
    assert (territory.valid_from, territory.valid_until) == (2024, 2030)
    change = result.change("territory.qpv")
    assert change is not None and (change.old, change.new) == ("21 QPV", "3 QPV") and "QN06201A" in change.why
    assert result.change("territory.valid_until") is not None
    assert result.warnings == ()
    assert parse_campaign(result.text) == result.campaign
    assert rollover(AMI, 2024, qpv_csv=str(path), valid_from=2024, valid_until=2030).campaign.territory == attrs.evolve(
        territory, name=AMI.territory.name)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code;name\nQP1;A\n", "line 1: the header must be"),
        ("", "line 1: the header"),
        ("code,name,communes\nQP1,A,Lens\nQP2,B\n", "line 3: expected 3 columns"),
        ("code,name,communes\nQP1,A,Lens\n,B,Lens\n", "line 3: the code is empty"),
        ("code,name,communes\nQP1,A,Lens\n\nQP1,B,Liévin\n", "line 4: duplicate code 'QP1' (first on line 2)"),
        ("code,name,communes\nQP1,A,Lens (Rouvroy\n", "line 2: unbalanced brackets"),
        ("code,name,communes\nQP1,A,(Rouvroy)\n", "line 2: at least one commune"),
        ("code,name,communes\nQP1,A,Lens//\n", None),
        ("code,name,communes\n", "holds no QPV"),
        ('code,name,communes\nQP1,"A,Lens\n', "line"),
        ("no-such-file.csv", "no such file"),
    ],
)
def test_rule_bad_qpv_csv_is_refused_naming_the_line(text: str, message: str | None) -> None:
    if message is None:  # empty pieces between slashes are ignored
        assert parse_qpv_csv(text)[0].communes == ("Lens",)
        return
    with pytest.raises(InvalidInput, match=re.escape(message)):
        rollover(AMI, 2022, qpv_csv=text)


def test_rule_validity_warning_for_2023_without_a_new_qpv_list() -> None:
    result = rollover(AMI, 2023)
    [warning] = [w for w in result.warnings if "QPV list" in w]
    assert "2014-2022" in warning and "décret n° 2023-1314" in warning and "new codes" in warning
    assert f"# - {warning}" in result.text.splitlines()
    assert rollover(AMI, 2022).warnings == ()  # still within 2014-2022


def test_rule_no_validity_warning_with_a_new_qpv_list() -> None:
    result = rollover(AMI, 2024, qpv_csv=NEW_LIST_CSV, valid_from=2024, valid_until=2030)
    assert not [w for w in result.warnings if "not valid" in w or "décret" in w]
    # a list whose years were not given is flagged, more gently
    stale = rollover(AMI, 2024, qpv_csv=NEW_LIST_CSV)
    assert any("does not include 2024" in w for w in stale.warnings)
    assert not any("décret" in w for w in stale.warnings)


def test_rule_texts_still_naming_the_old_year_are_warned_about() -> None:
    axes = (attrs.evolve(AMI.axes[0], label="Insertion (priorité 2021)"),) + AMI.axes[1:]
    result = rollover(attrs.evolve(AMI, axes=axes), 2022)
    assert "axes[0].label still mentions 2021: check it" in result.warnings


def test_rule_today_warns_about_a_launch_already_past() -> None:
    assert any("before today" in w for w in rollover(AMI, 2022, today=date(2022, 4, 1)).warnings)
    assert not rollover(AMI, 2022, today=date(2022, 1, 3)).warnings


# -- call files written back: the round trip --------------------------------------------------


@pytest.mark.parametrize("campaign", [AMI, FPH], ids=lambda c: c.id)
def test_round_trip_of_the_bundled_calls(campaign: Campaign) -> None:
    text = campaign_to_toml(campaign)
    assert parse_campaign(text) == campaign
    assert text.startswith("format = 1\n\n[call]\n")
    for table in ("[funder.addressee]", "[funder.contact]", "[envelope]", "[calendar]", "[calendar.policy]",
                  "[territory]", "[[territory.qpv]]", "[[axes]]", "[applicants]", "[public]", "[funding]",
                  "[funding.ceiling]", "[[funding.criteria]]", "[[pieces]]", "[committee]", "[workflow]",
                  "[workflow.guards]"):
        assert f"\n{table}\n" in text or (campaign is FPH and table == "[[funding.criteria]]"), table
    assert "None" not in text


def test_round_trip_quotes_odd_keys_and_writes_the_axis_shares() -> None:
    kinds = dict(AMI.applicants.kinds)
    kinds["collectif d'habitants \"QPV\""] = kinds.pop("collectif_habitants")
    odd = attrs.evolve(
        AMI,
        applicants=attrs.evolve(AMI.applicants, kinds=kinds),
        envelope=Envelope(Decimal("150000.00"), 2021, ("fonctionnement", "investissement"),
                          {"insertion": Decimal("50000.00"), "sante": Decimal("25000.50")}),
    )
    text = campaign_to_toml(odd)
    assert "\n[envelope.by_axis]\ninsertion = \"50000.00\"\nsante = \"25000.50\"\n" in text
    assert parse_campaign(text) == odd
    assert parse_campaign(rollover(odd, 2022).text).envelope.by_axis == odd.envelope.by_axis


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(str.strip)
communes = st.lists(names, min_size=1, max_size=3).map(tuple)
qpv_lists = st.lists(
    st.builds(Qpv, names, names, communes, st.lists(names, max_size=2).map(tuple)),
    min_size=1, max_size=6, unique_by=lambda q: q.code.strip(),
).map(tuple).filter(lambda qs: len({q.code for q in qs}) == len(qs))


@st.composite
def variations(draw: st.DrawFn) -> Campaign:
    """The bundled calls with another envelope, QPV list, calendar (rolling or not), workflow and policy."""
    base = draw(st.sampled_from([AMI, FPH]))
    amount = Decimal(draw(st.integers(min_value=1, max_value=10**10))) / 100
    envelope = attrs.evolve(base.envelope, amount=amount)
    territory = attrs.evolve(base.territory, qpv=draw(qpv_lists))
    start = date(2021, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
    end = start + timedelta(days=draw(st.integers(7, 60)))  # a week at least: both ends may move
    if draw(st.booleans()):
        calendar = Calendar.rolling_window(Window(start, end))
    else:
        calendar = with_calendar(base, start, end).calendar
    policies = st.sampled_from(["previous_working_day", "next_working_day", "keep"])
    policy = CalendarPolicy(deadline=draw(policies), opening=draw(policies))
    workflow = draw(st.sampled_from([AMI.workflow, FPH.workflow]))  # with and without a hearing
    committee = AMI.committee if workflow.hearing else base.committee
    if committee.board_piece and base.piece(committee.board_piece) is None:  # the FPH asks for no board lists
        committee = attrs.evolve(committee, board_piece="", bureau_piece="")
    return attrs.evolve(base, envelope=envelope, territory=territory, calendar=calendar, calendar_policy=policy,
                        workflow=workflow, committee=committee)


@given(variations())
def test_round_trip_holds_for_variations(campaign: Campaign) -> None:
    assert parse_campaign(campaign_to_toml(campaign)) == campaign


@given(st.integers(min_value=2022, max_value=2035))
def test_round_trip_of_the_rollover_for_every_year_2022_to_2035(year: int) -> None:
    result = rollover(AMI, year)
    assert parse_campaign(result.text) == result.campaign
    assert parse_campaign(campaign_to_toml(result.campaign)) == result.campaign
    cal = result.campaign.calendar
    for day in (cal.launch, cal.deadline):
        assert working_day(day, "next")[1] is None  # moved off weekends and holidays
    assert AMI.calendar.deadline.replace(year=year) - timedelta(days=4) <= cal.deadline <= date(year, 4, 30)
    assert all(cal.window(name).is_whole_months() for name in ("instruction", "jury", "deliberation"))
    for name in ("launch", "deadline"):
        change = result.change(f"calendar.{name}")
        assert change is not None and change.new == getattr(cal, name).isoformat()
        if getattr(cal, name) != getattr(AMI.calendar, name).replace(year=year):
            assert "moved to the" in change.why


@given(variations(), st.integers(min_value=2022, max_value=2035))
def test_rollover_of_variations_loads(campaign: Campaign, year: int) -> None:
    result = rollover(campaign, year)
    assert parse_campaign(result.text) == result.campaign
    assert result.campaign.territory.qpv == campaign.territory.qpv
    assert result.campaign.workflow == campaign.workflow
    assert len(result.text.split("\n\n", 1)[0].splitlines()) >= len(result.changes) + len(result.warnings)


# -- the command line --------------------------------------------------------------------------


def test_cli_rollover_without_a_database_uses_the_bundled_call(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "none.db"), "campaign", "rollover", "--year", "2022"])
    assert result.exit_code == 0, result.output
    campaign = parse_campaign(result.stdout)
    assert campaign.id == "ami-cohesion-sociale-2022" and campaign.calendar.deadline == date(2022, 4, 29)
    assert "2022-04-30 is a Saturday; moved to the previous working day 2022-04-29" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_cli_rollover_writes_a_file_with_a_new_qpv_list_that_campaign_add_registers(tmp_path: Path) -> None:
    csv_path, out = tmp_path / "qpv.csv", tmp_path / "ami-2024.toml"
    csv_path.write_text(NEW_LIST_CSV, encoding="utf-8")
    db = str(tmp_path / "ami.db")
    result = CliRunner().invoke(main, ["--db", db, "campaign", "rollover", "--year", "2024", "--envelope", "160000",
                                       "--qpv-csv", str(csv_path), "--valid-from", "2024", "--valid-until", "2030",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    campaign = load_campaign(out)
    assert campaign.envelope.amount == Decimal("160000.00") and len(campaign.territory.qpv) == 3
    added = CliRunner().invoke(main, ["--db", db, "campaign", "add", str(out)])
    assert added.exit_code == 0 and "ami-cohesion-sociale-2024 registered" in added.output
    # Now the database holds a campaign: it is the default source.
    again = CliRunner().invoke(main, ["--db", db, "campaign", "rollover", "--year", "2025"])
    assert again.exit_code == 0, again.output
    assert parse_campaign(again.stdout).territory.codes() == campaign.territory.codes()


def test_cli_rollover_from_a_bundled_call_warns_and_refuses_bad_input(tmp_path: Path) -> None:
    db = str(tmp_path / "none.db")
    result = CliRunner().invoke(main, ["--db", db, "campaign", "rollover", "--year", "2023",
                                       "--from", "fonds-participation-habitants-2021"])
    assert result.exit_code == 0, result.output
    assert parse_campaign(result.stdout).id == "fonds-participation-habitants-2023"
    assert "décret n° 2023-1314" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,communes\nQP1,,Lens\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["--db", db, "campaign", "rollover", "--year", "2024", "--qpv-csv", str(bad)])
    assert refused.exit_code == 2 and "line 2: the name is empty" in refused.stderr
