"""One test (or a small group) for every rule of the 2021 call « AMI Cohésion sociale » of the CALL.

Each test is named after the rule it proves and uses the call's own numbers
(150 000 €, 60 %, 50 % / 80 %, 21 QPV, 19 communes, 4 axes, the pieces, the
committee and its chair, the calendar of 8 March → September 2021).
docs/rules.md maps each sentence of the call to the code and to these tests.

Every test takes the ``flow`` fixture, so it runs on both backends (in memory
and SQLite). The stores run on a simulated clock that only goes forward: each
test walks its dossiers in step, in the order of the call's calendar, and an
act is dated by the store's clock (an administrative act may be dated earlier
with ``at=``, never later than now nor before the dossier's last act).

A refused action is always checked twice: its ``Refused.reasons`` name the
rule, and the dossiers, the journal, the campaign's records and the
envelope's totals are unchanged.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from stdnum.fr import siren as stdnum_siren
from walk import LAUNCH, forecast, new_flow
from walk import at as move_to

from ami_workflow import (
    Applicant,
    Application,
    CallFileError,
    CoFunding,
    CommitteeSession,
    Convention,
    Deliberation,
    IllegalTrigger,
    InvalidInput,
    Kind,
    Member,
    MemoryWorkflow,
    PaperOriginal,
    Period,
    RateWithBonus,
    Refused,
    load_campaign,
    missing_pieces,
    parse_campaign,
    qpv_share_met,
)
from ami_workflow.campaign import Campaign

PARIS = ZoneInfo("Europe/Paris")
CALL_ID = "ami-cohesion-sociale-2021"
CALL_FILE = Path(__file__).resolve().parent.parent / "ami_workflow" / "calls" / f"{CALL_ID}.toml"

CAMPAIGN: Campaign = load_campaign(CALL_ID)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """An aware Europe/Paris instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


# -- the call's dates, each inside its window of the « CALENDRIER PREVISIONNEL » --------------

SUBMIT_AT = at(2021, 4, 12)  # before the deadline of 30 April 2021
PIECES_AT = at(2021, 4, 20)  # the other pieces arrive
ORIGINAL_AT = at(2021, 4, 26)  # the signed paper original arrives
COMPLETE_AT = at(2021, 5, 3)  # May 2021: instruction des dossiers
INSTRUCT_AT = at(2021, 5, 18)
JURY_DAY = date(2021, 6, 15)  # June 2021: jury de sélection
HEAR_AT = at(2021, 6, 15, 14)
APPROVE_AT = at(2021, 6, 15, 17)
DELIBERATION_DAY = date(2021, 9, 27)  # September 2021: délibération pour versement des subventions
PAY_AT = at(2021, 10, 5)
SESSION_ID = "comite-2021-06-15"
CHAIR_ROLE = "Vice-Président en charge de la Cohésion sociale"

FORM = "dossier_demande"
OTHER_PIECES = ("courrier_demande", "rib", "liste_ca", "liste_bureau", "statuts", "recepisse_declaration")

#: The labels of the pieces, in French, as the call writes them.
LABELS = {
    "courrier_demande": "courrier officiel de demande de subvention à l'attention de Sylvain ROBERT, "
    "Président de la Communauté d'Agglomération de Lens-Liévin",
    "rib": "Relevé d'Identité Bancaire",
    "liste_ca": "liste des membres du Conseil d'Administration",
    "liste_bureau": "liste des membres du bureau",
    "statuts": "statuts",
    "recepisse_declaration": "copie du récépissé de déclaration",
    FORM: "Dossier de demande de subvention (un exemplaire en version numérique et un exemplaire original "
    "en version papier) signé par le représentant légal de l'association ou le porteur de projet",
}

#: The annex « CALL – Quartiers éligibles à la Politique de la Ville 2014 - 2022 ».
ANNEX_CODES = {
    "QP062002", "QP062016", "QP062019", "QP062020", "QP062021", "QP062022", "QP062023",
    "QP062024", "QP062025", "QP062026", "QP062027", "QP062028", "QP062029", "QP062030",
    "QP062031", "QP062032", "QP062033", "QP062034", "QP062035", "QP062045", "QP062047",
}  # fmt: skip
ANNEX_COMMUNES = {
    "Angres", "Avion", "Billy-Montigny", "Bully-les-Mines", "Eleu-dit-Leauwette", "Fouquières-lez-Lens",
    "Grenay", "Harnes", "Hulluch", "Lens", "Liévin", "Loison-sous-Lens", "Loos-en-Gohelle", "Mazingarbe",
    "Méricourt", "Sains-en-Gohelle", "Sallaumines", "Vendin-le-Vieil", "Wingles",
}  # fmt: skip

IBAN = "FR14 2004 1010 0505 0001 3M02 606"


# -- helpers ------------------------------------------------------------------------------


@pytest.fixture
def another(flow: Any) -> Iterator[Callable[..., Any]]:
    """Make more stores of the ``flow``'s backend, for a test's independent scenarios (closed at the end)."""
    backend = "memory" if isinstance(flow, MemoryWorkflow) else "sqlite"
    made: list[Any] = []

    def make(campaign: Campaign | None = None, start: datetime = LAUNCH) -> Any:
        store = new_flow(backend, campaign, start=start)
        made.append(store)
        return store

    yield make
    for store in made:
        if hasattr(store, "close"):
            store.close()


def applicant(name: str = "Association Les Ateliers du 12-14", kind: str = "association", **fields: Any) -> Applicant:
    values: dict[str, Any] = {"iban": IBAN, "legal_representative": "Claire Dupont"}
    if kind == "association" and not {"siren", "siret", "rna"} & set(fields):
        values["rna"] = f"W{zlib.crc32(name.encode()) % 10**9:09d}"  # the 2021 call requires a SIREN or an RNA
    values.update(fields)
    return Applicant(name=name, kind=kind, **values)


def application(**overrides: Any) -> Application:
    """A valid action: 40 000 € of operating costs, 20 000 € requested, 80 of 100 participants in a QPV."""
    values: dict[str, Any] = {
        "title": "Ateliers numériques parents-enfants",
        "axis": "numerique",
        "qpv_codes": ("QP062024", "QP062026"),
        "period": Period(date(2021, 9, 1), date(2022, 6, 30)),
        "total_cost": Decimal("40000.00"),
        "requested": Decimal("20000.00"),
        "participants": 100,
        "qpv_residents": 80,
        "young": 60,
        "women": 50,
        "sourcing": "Relais des centres sociaux et des collèges du quartier.",
    }
    values.update(overrides)
    if "budget" not in overrides:
        values["budget"] = forecast(values["total_cost"], values["requested"])
    return Application(**values)


def session(
    id: str = SESSION_ID,
    day: date = JURY_DAY,
    chair_role: str = CHAIR_ROLE,
    categories: tuple[str, ...] = ("personnalites", "elus", "techniciens", "habitants"),
) -> CommitteeSession:
    members = tuple(Member(f"Membre {i}", c) for i, c in enumerate(categories))
    return CommitteeSession(id, day, "M. le Vice-Président", chair_role, members)


ORIGINAL_DAY = ORIGINAL_AT.date()


def signed_form(day: date = ORIGINAL_DAY) -> PaperOriginal:
    return PaperOriginal(FORM, day, True, "Claire Dupont", "représentant légal de l'association")


def step(flow: Any, when: datetime) -> None:
    """Move the store's clock to ``when``, which must not be behind it: the test walks in the calendar's order."""
    now = flow.clock.now()
    assert now <= when, f"the clock is already at {now}, after {when}: walk the dossiers in step"
    move_to(flow, when)


def attach_form(flow: Any, ref: str) -> None:
    """The digital application form, received now."""
    flow.attach(ref, FORM, b"dossier de demande", filename="dossier.pdf")


def attach_pieces(flow: Any, ref: str, keys: Sequence[str] = OTHER_PIECES) -> None:
    """The other pieces, received now."""
    for key in keys:
        flow.attach(ref, key, f"contenu {key}".encode(), filename=f"{key}.pdf")


ORDER = ("draft", "submitted", "complete", "instructed", "audited", "approved")


@dataclass(frozen=True)
class Spec:
    """One dossier to bring along: its applicant, its action, the instructor's criteria, the approved amount."""

    who: Applicant | None = None
    app: Application | None = None
    criteria: tuple[str, ...] = ()
    amount: Decimal | None = None


def walk_to(
    flow: Any, refs: Sequence[str], state: str, *, criteria: Mapping[str, tuple[str, ...]] | None = None,
    amounts: Mapping[str, Decimal | None] | None = None,
) -> None:
    """Walk dossiers that stand in the same state to ``state``, in step, on the call's own dates."""
    start = ORDER.index(flow.get(refs[0]).state)
    assert all(flow.get(r).state == ORDER[start] for r in refs)
    for stage in ORDER[start + 1 : ORDER.index(state) + 1]:
        if stage == "submitted":
            step(flow, SUBMIT_AT)
            for ref in refs:
                attach_form(flow, ref)
                flow.fire(ref, "submit")
        elif stage == "complete":
            step(flow, PIECES_AT)
            for ref in refs:
                attach_pieces(flow, ref)
            step(flow, ORIGINAL_AT)
            for ref in refs:
                flow.receive_original(ref, signed_form())
            step(flow, COMPLETE_AT)
            for ref in refs:
                flow.fire(ref, "mark_complete")
        elif stage == "instructed":
            step(flow, INSTRUCT_AT)
            for ref in refs:
                flow.fire(ref, "instruct", criteria=list((criteria or {}).get(ref, ())))
        elif stage == "audited":
            step(flow, HEAR_AT)
            if SESSION_ID not in {s.id for s in flow.sessions()}:
                flow.record_session(session())
            for ref in refs:
                flow.fire(ref, "hear", session=SESSION_ID)
        elif stage == "approved":
            step(flow, APPROVE_AT)
            for ref in refs:
                amount = (amounts or {}).get(ref)
                flow.fire(ref, "approve", **({} if amount is None else {"amount": amount}))
    assert all(flow.get(r).state == state for r in refs)


def bring(flow: Any, state: str, *specs: Spec) -> list[str]:
    """Create one dossier per spec and walk them all to ``state``, in step, like ami_workflow.demo."""
    specs = specs or (Spec(),)
    refs = [flow.create_dossier(s.who or applicant(), s.app or application()).reference for s in specs]
    walk_to(flow, refs, state, criteria={r: s.criteria for r, s in zip(refs, specs, strict=True)},
            amounts={r: s.amount for r, s in zip(refs, specs, strict=True)})
    return refs


def bring_to(flow: Any, state: str, **spec: Any) -> str:
    """Create one dossier and walk it to ``state``."""
    return bring(flow, state, Spec(**spec))[0]


def deliberate(flow: Any, *refs: str, day: date = DELIBERATION_DAY, reference: str = "DEL-2021-09-27-042") -> None:
    """Record the council's deliberation, once taken: the clock moves to its day (8 h) if it is not there yet."""
    move_to(flow, datetime.combine(day, time(8), tzinfo=PARIS))
    flow.record_deliberation(Deliberation(reference, day, refs, enforceable_on=day))


def snapshot(flow: Any) -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    return (flow.dossiers(), len(flow.events()), flow.head(), flow.totals(), flow.sessions(), flow.deliberations(),
            flow.conventions(), flow.amendments(), flow.calendar())


def assert_refused_action(flow: Any, action: Callable[[], object], *expected: str) -> Refused:
    """Run ``action``; it must be refused with a reason containing each ``expected`` text, changing nothing."""
    before = snapshot(flow)
    with pytest.raises(Refused) as info:
        action()
    reasons = info.value.reasons
    assert expected, "say which rule the refusal must name"
    for text in expected:
        assert any(text in reason for reason in reasons), f"{text!r} not in {reasons!r}"
    assert snapshot(flow) == before
    assert flow.verify() is None
    return info.value


def assert_refused(flow: Any, ref: str, trigger: str, when: datetime | None, *expected: str, **data: Any) -> Refused:
    """At ``when`` (the clock moves there; ``None``: now), fire ``trigger``: refused for ``expected``, changing nothing.

    ``data`` may hold ``at=`` to date an administrative act earlier than the clock.
    """
    if when is not None:
        step(flow, when)
    before = flow.get(ref)
    refused = assert_refused_action(flow, lambda: flow.fire(ref, trigger, **data), *expected)
    assert flow.get(ref) == before
    return refused


def assert_unchanged(flow: Any, error: type[Exception], action: Callable[[], object], match: str | None = None) -> None:
    """``action`` raises ``error`` and records nothing."""
    before = snapshot(flow)
    with pytest.raises(error, match=match):
        action()
    assert snapshot(flow) == before


def with_line(old: str, new: str) -> Campaign:
    """The call file with one line changed."""
    text = CALL_FILE.read_text(encoding="utf-8")
    assert old in text
    return parse_campaign(text.replace(old, new, 1), source="modified.toml")


# -- BUDGET 2021 ----------------------------------------------------------------------------


def test_rule_envelope_is_150000_euros(flow: Any) -> None:
    assert CAMPAIGN.envelope.amount == Decimal("150000.00")
    assert CAMPAIGN.envelope.year == 2021 == CAMPAIGN.call.year
    totals = flow.totals()
    assert (totals.envelope, totals.approved, totals.paid, totals.remaining) == (
        Decimal("150000.00"), Decimal("0.00"), Decimal("0.00"), Decimal("150000.00"),
    )  # fmt: skip


def test_rule_operating_costs_only(flow: Any) -> None:
    assert CAMPAIGN.envelope.cost_natures == ("fonctionnement",)
    investment, ref = bring(flow, "complete", Spec(app=application(cost_nature="investissement")), Spec())
    assert_refused(
        flow, investment, "instruct", INSTRUCT_AT,
        "the call funds only these costs: fonctionnement; this action declares 'investissement'",
    )  # fmt: skip
    assert flow.get(ref).application.cost_nature == "fonctionnement"
    assert flow.fire(ref, "instruct").state == "instructed"


def test_rule_approved_total_within_envelope(flow: Any) -> None:
    big = application(total_cost=Decimal("100000.00"), requested=Decimal("80000.00"))
    all_criteria = tuple(c.key for c in CAMPAIGN.funding.criteria)
    first, second, third = bring(
        flow, "audited",
        Spec(applicant("Association A"), big, all_criteria),
        Spec(applicant("Association B"), big, all_criteria),
        Spec(applicant("Association C")),
    )  # fmt: skip
    step(flow, APPROVE_AT)
    assert flow.fire(first, "approve").approved == Decimal("80000.00")
    assert_refused(
        flow, second, "approve", APPROVE_AT,
        "approving €80,000.00 would exceed the envelope of €150,000.00 (only €70,000.00 left)",
    )  # fmt: skip
    assert flow.fire(second, "approve", amount="70000.00").approved == Decimal("70000.00")
    totals = flow.totals()
    assert totals.approved == Decimal("150000.00")
    assert totals.remaining == Decimal("0.00")
    assert_refused(flow, third, "approve", APPROVE_AT, "would exceed the envelope of €150,000.00 (only €0.00 left)")


def test_rule_batch_approval_allocates_when_over_envelope(flow: Any, another: Callable[..., Any]) -> None:
    app = application(total_cost=Decimal("75000.00"), requested=Decimal("60000.00"))
    all_criteria = tuple(c.key for c in CAMPAIGN.funding.criteria)
    refs = bring(flow, "audited", *(Spec(applicant(f"Association {n}"), app, all_criteria) for n in "ABC"))
    assert all(flow.get(r).instruction.proposed == Decimal("60000.00") for r in refs)
    # 3 × 60 000 € = 180 000 € asked of a 150 000 € envelope: each gets its pro-rata share.
    step(flow, APPROVE_AT)
    result = flow.approve_batch(refs)
    assert result.scaled is True
    assert result.unfunded == ()
    assert dict(result.approved) == dict.fromkeys(refs, Decimal("50000.00"))
    assert all(flow.get(r).state == "approved" for r in refs)
    assert flow.totals().approved == Decimal("150000.00")
    # A batch that fits the envelope is not scaled.
    flow2 = another()
    refs2 = bring(flow2, "audited", *(Spec(applicant(f"Association {n}")) for n in "AB"))
    step(flow2, APPROVE_AT)
    result2 = flow2.approve_batch(refs2)
    assert result2.scaled is False
    assert flow2.totals().approved == Decimal("40000.00")


# -- PUBLIC CIBLE ---------------------------------------------------------------------------


def test_rule_public_at_least_60_percent_qpv_residents(flow: Any) -> None:
    assert CAMPAIGN.public.min_qpv_share_percent == Decimal(60)
    assert qpv_share_met(100, 60, Decimal(60)) is True
    assert qpv_share_met(100, 59, Decimal(60)) is False
    short, ref = bring(
        flow, "complete",
        Spec(app=application(participants=100, qpv_residents=59)),
        Spec(app=application(participants=100, qpv_residents=60)),
    )  # fmt: skip
    assert_refused(
        flow, short, "instruct", INSTRUCT_AT,
        "fewer than 60 % of the participants live in a QPV (59 of 100)",
    )  # fmt: skip
    assert flow.fire(ref, "instruct").state == "instructed"


def test_rule_priority_to_young_people_and_women(flow: Any) -> None:
    assert CAMPAIGN.public.priority_publics == ("jeunes", "femmes")
    ref = flow.create_dossier(applicant(), application(young=None, women=None)).reference
    step(flow, SUBMIT_AT)
    attach_form(flow, ref)
    assert_refused(
        flow, ref, "submit", SUBMIT_AT,
        "missing: the number of young people among the participants",
        "missing: the number of women among the participants",
    )  # fmt: skip
    # The priority is rewarded through the bonus criterion « s'adresse à un public de jeunes ou de femmes ».
    labels = {c.key: c.label for c in CAMPAIGN.funding.criteria}
    assert labels["jeunes_ou_femmes"] == "s'adresse à un public de jeunes ou de femmes"
    ref = bring_to(flow, "instructed", criteria=("jeunes_ou_femmes",))
    assert flow.get(ref).instruction.ceiling == Decimal("23000.00")  # 57.5 % of 40 000 €


def test_rule_sourcing_required(flow: Any) -> None:
    assert CAMPAIGN.public.sourcing_required is True
    ref = flow.create_dossier(applicant(), application(sourcing=None)).reference
    step(flow, SUBMIT_AT)
    attach_form(flow, ref)
    assert_refused(
        flow, ref, "submit", SUBMIT_AT,
        "missing: the sourcing, how the public will be mobilised and targeted (field `sourcing`)",
    )  # fmt: skip


def test_rule_only_associations_accepted(flow: Any) -> None:
    assert CAMPAIGN.applicants.accepted == ("association",)
    collective, ref = bring(
        flow, "complete",
        Spec(applicant("Collectif des habitants de la Cité 2", kind="collectif_habitants")),
        Spec(applicant(kind="association")),
    )  # fmt: skip
    assert_refused(
        flow, collective, "instruct", INSTRUCT_AT,
        "the call does not accept this kind of applicant (Collectif d'habitants, key `collectif_habitants`); "
        "it accepts: Association",
    )  # fmt: skip
    assert flow.fire(ref, "instruct").state == "instructed"


# -- TERRITORY: CONTEXTE and ANNEXE -----------------------------------------------------------


def test_rule_qpv_list_from_annex(flow: Any) -> None:
    territory = CAMPAIGN.territory
    assert territory.name == "CALL – Quartiers éligibles à la Politique de la Ville 2014 - 2022"
    assert (territory.valid_from, territory.valid_until) == (2014, 2022)
    assert len(territory.qpv) == 21
    assert territory.codes() == ANNEX_CODES
    # « 19 communes sur 36 sont inscrites en Politique de la Ville »
    assert territory.communes_total == 36
    assert len(territory.communes()) == 19
    assert set(territory.communes()) == ANNEX_COMMUNES
    # Communes written in brackets in the annex lie outside the CALL.
    assert territory.get("QP062016").communes_outside == ("Haisnes",)  # type: ignore[union-attr]
    assert territory.get("QP062045").communes_outside == ("Rouvroy",)  # type: ignore[union-attr]
    assert territory.get("QP062047").communes_outside == ("Rouvroy",)  # type: ignore[union-attr]
    assert {"Haisnes", "Rouvroy"}.isdisjoint(territory.communes())
    assert territory.get("QP062024").name == "Cité 12-14 (NPNRU)"  # type: ignore[union-attr]
    assert sum("(NPNRU)" in q.name for q in territory.qpv) == 3
    ref = bring_to(flow, "complete", app=application(qpv_codes=("QP062099",)))
    assert_refused(
        flow, ref, "instruct", INSTRUCT_AT,
        "not on the call's QPV list: QP062099",
        "the action targets none of the call's QPV",
    )  # fmt: skip


def test_rule_action_targets_at_least_one_qpv(flow: Any) -> None:
    ref = flow.create_dossier(applicant(), application(qpv_codes=())).reference
    step(flow, SUBMIT_AT)
    attach_form(flow, ref)
    assert_refused(flow, ref, "submit", SUBMIT_AT, "missing: at least one target QPV")


# -- ORIENTATIONS PRIORITAIRES ----------------------------------------------------------------


def test_rule_four_axes(flow: Any) -> None:
    axes = [(a.number, a.key, a.label) for a in CAMPAIGN.axes]
    assert axes == [
        (1, "insertion", "L'insertion professionnelle et sociale"),
        (2, "education", "L'éducation"),
        (3, "sante", "La santé"),
        (4, "numerique", "L'inclusion numérique"),
    ]
    assert all(len(a.objectives) == 3 for a in CAMPAIGN.axes)
    assert CAMPAIGN.axis("sante").objectives[1] == "Lutter contre le renoncement aux soins."  # type: ignore[union-attr]
    *refs, culture = bring(
        flow, "complete", *(Spec(app=application(axis=axis.key)) for axis in CAMPAIGN.axes),
        Spec(app=application(axis="culture")),
    )  # fmt: skip
    step(flow, INSTRUCT_AT)
    for ref in refs:
        assert flow.fire(ref, "instruct").state == "instructed"
    assert_refused(
        flow, culture, "instruct", INSTRUCT_AT,
        "the axis 'culture' is not one of the call's axes (insertion, education, sante, numerique)",
    )  # fmt: skip


# -- MODALITES DE FINANCEMENT -------------------------------------------------------------------


def test_rule_ceiling_50_percent_without_bonus(flow: Any) -> None:
    rule = CAMPAIGN.funding.ceiling
    assert isinstance(rule, RateWithBonus)
    assert CAMPAIGN.funding.ceiling_rule == "rate_with_bonus"
    assert rule.base_rate_percent == Decimal(50)
    assert rule.rate(0) == Decimal(50)
    ref = bring_to(flow, "audited", app=application(total_cost=Decimal("40000.00"), requested=Decimal("30000.00")))
    instruction = flow.get(ref).instruction
    assert instruction is not None
    assert instruction.criteria == frozenset()
    assert instruction.ceiling == Decimal("20000.00")  # 50 % of 40 000 €
    assert_refused(
        flow, ref, "approve", APPROVE_AT,
        "€20,000.01 is above the ceiling for the confirmed criteria (€20,000.00)",
        amount="20000.01",
    )  # fmt: skip
    assert flow.fire(ref, "approve", amount="20000.00").approved == Decimal("20000.00")


def test_rule_bonus_up_to_80_percent(flow: Any) -> None:
    rule = CAMPAIGN.funding.ceiling
    assert isinstance(rule, RateWithBonus)
    assert rule.max_rate_percent == Decimal(80)
    assert rule.points_per_criterion == Decimal("7.5")
    assert [rule.rate(n) for n in range(6)] == [Decimal(r) for r in ("50", "57.5", "65", "72.5", "80", "80")]
    assert [c.label for c in CAMPAIGN.funding.criteria] == [
        "est portée par des habitants des QPV ou inscrite dans un processus de participation des habitants avéré",
        "est innovante",
        "s'adresse à un public de jeunes ou de femmes",
        "est portée par plusieurs opérateurs (démarche partenariale, mutualisation)",
    ]
    full = application(total_cost=Decimal("40000.00"), requested=Decimal("40000.00"))
    all_criteria = tuple(c.key for c in CAMPAIGN.funding.criteria)
    every, two, unknown = bring(flow, "complete", Spec(app=full), Spec(app=full), Spec(app=full))
    step(flow, INSTRUCT_AT)
    flow.fire(every, "instruct", criteria=list(all_criteria))
    instruction = flow.get(every).instruction
    assert instruction is not None
    assert (instruction.ceiling, instruction.proposed) == (Decimal("32000.00"), Decimal("32000.00"))  # 80 %
    flow.fire(two, "instruct", criteria=["innovante", "plusieurs_operateurs"])
    assert flow.get(two).instruction.ceiling == Decimal("26000.00")  # 65 %
    assert_refused(
        flow, unknown, "instruct", INSTRUCT_AT,
        "unknown bonus criterion 'exemplaire'",
        criteria=["innovante", "exemplaire"],
    )  # fmt: skip


def test_rule_bonus_points_per_criterion_changeable_in_the_file(flow: Any, another: Callable[..., Any]) -> None:
    changed = with_line('points_per_criterion = "7.5"', 'points_per_criterion = "10"')
    rule = changed.funding.ceiling
    assert isinstance(rule, RateWithBonus)
    assert [rule.rate(n) for n in range(5)] == [Decimal(r) for r in ("50", "60", "70", "80", "80")]
    store = another(changed)
    ref = store.create_dossier(applicant(), application(requested=Decimal("40000.00"))).reference
    step(store, SUBMIT_AT)
    attach_form(store, ref)
    store.fire(ref, "submit")
    step(store, PIECES_AT)
    attach_pieces(store, ref)
    step(store, ORIGINAL_AT)
    store.receive_original(ref, signed_form())
    step(store, COMPLETE_AT)
    store.fire(ref, "mark_complete")
    step(store, INSTRUCT_AT)
    store.fire(ref, "instruct", criteria=["innovante", "jeunes_ou_femmes"])
    assert store.get(ref).instruction.ceiling == Decimal("28000.00")  # 70 % of 40 000 €


def test_rule_request_above_ceiling_is_capped_not_refused(flow: Any) -> None:
    app = application(total_cost=Decimal("40000.00"), requested=Decimal("30000.00"))
    refs = bring(flow, "submitted", Spec(app=app), Spec(app=app), Spec(app=app),
                 Spec(app=application(requested=Decimal("10000.00"))))
    assert flow.get(refs[0]).state == "submitted"  # 30 000 € asked: above the ceiling, yet submitted
    walk_to(flow, refs[1:], "instructed")
    instruction = flow.get(refs[1]).instruction
    assert instruction is not None
    assert instruction.ceiling == Decimal("20000.00")
    assert instruction.proposed == Decimal("20000.00")  # capped at the ceiling
    approved, small = refs[2:]
    walk_to(flow, [approved, small], "audited")
    step(flow, APPROVE_AT)
    flow.fire(approved, "approve")
    assert flow.get(approved).approved == Decimal("20000.00")
    # The jury can never grant more than what was asked either.
    assert_refused(
        flow, small, "approve", APPROVE_AT,
        "€15,000.00 is more than the amount requested (€10,000.00)",
        amount="15000.00",
    )  # fmt: skip


def test_rule_cofunding_plus_call_amount_within_total_cost(flow: Any) -> None:
    over = application(
        total_cost=Decimal("40000.00"),
        requested=Decimal("30000.00"),
        cofunding=(CoFunding("Département du Pas-de-Calais", Decimal("12000.00")),),
    )
    ref = flow.create_dossier(applicant(), over).reference
    step(flow, SUBMIT_AT)
    attach_form(flow, ref)
    assert_refused(
        flow, ref, "submit", SUBMIT_AT,
        "the amount requested (€30,000.00) plus the other co-funding (€12,000.00) "
        "exceeds the action's total cost (€40,000.00)",
    )  # fmt: skip
    assert flow.get(ref).state == "draft"
    # With the co-funding, the ceiling is also what the co-funders leave of the cost.
    fits = application(
        total_cost=Decimal("40000.00"),
        requested=Decimal("20000.00"),
        cofunding=(CoFunding("Département du Pas-de-Calais", Decimal("20000.00")),),
    )
    all_criteria = tuple(c.key for c in CAMPAIGN.funding.criteria)
    ref = bring_to(flow, "instructed", app=fits, criteria=all_criteria)
    assert flow.get(ref).instruction.ceiling == Decimal("20000.00")  # not 80 % = 32 000 €


# -- PROCEDURE D'INSTRUCTION DES DOSSIERS: the pieces --------------------------------------------


def test_rule_required_pieces_for_associations(flow: Any) -> None:
    assert {p.key: p.label for p in CAMPAIGN.pieces} == LABELS
    association_only = {p.key for p in CAMPAIGN.pieces if p.kinds == ("association",)}
    assert association_only == {"liste_ca", "liste_bureau", "statuts", "recepisse_declaration"}
    ref = bring_to(flow, "submitted")
    step(flow, ORIGINAL_AT)
    flow.receive_original(ref, signed_form())
    assert_refused(flow, ref, "mark_complete", COMPLETE_AT, *(f"missing piece: {LABELS[k]}" for k in OTHER_PIECES))
    attach_pieces(flow, ref, OTHER_PIECES[:-1])
    error = assert_refused(flow, ref, "mark_complete", COMPLETE_AT, "missing piece: copie du récépissé de déclaration")
    assert len(error.reasons) == 1
    attach_pieces(flow, ref, ["recepisse_declaration"])
    assert flow.fire(ref, "mark_complete").state == "complete"
    # The association's lists, statutes and récépissé are not asked of another kind of applicant.
    other_kind = missing_pieces(CAMPAIGN.pieces, "collectif_habitants", [], [])
    assert other_kind == [
        f"missing piece: {LABELS['courrier_demande']} (key `courrier_demande`)",
        f"missing piece: {LABELS['rib']} (key `rib`)",
        f"missing piece: {LABELS[FORM]} (key `{FORM}`)",
        f"missing paper original: {LABELS[FORM]} (key `{FORM}`)",
    ]


def test_rule_request_letter_addressed_to_sylvain_robert() -> None:
    addressee = CAMPAIGN.funder.addressee
    assert addressee is not None
    assert addressee.name == "Sylvain ROBERT"
    assert addressee.title == "Président de la Communauté d'Agglomération de Lens-Liévin"
    assert addressee.name in CAMPAIGN.piece("courrier_demande").label  # type: ignore[union-attr]


def test_rule_digital_application_form_needed_to_submit(flow: Any) -> None:
    form = CAMPAIGN.piece(FORM)
    assert form is not None and form.required_at_submit
    ref = flow.create_dossier(applicant(), application()).reference
    assert_refused(flow, ref, "submit", SUBMIT_AT, f"missing piece: {LABELS[FORM]}")
    attach_form(flow, ref)
    assert flow.get(ref).piece(FORM).received_on == SUBMIT_AT.date()  # dated by the clock
    assert flow.fire(ref, "submit").state == "submitted"


def test_rule_paper_original_signed(flow: Any) -> None:
    form = CAMPAIGN.piece(FORM)
    assert form is not None and form.paper_original and form.signature
    ref = bring_to(flow, "submitted")
    step(flow, PIECES_AT)
    attach_pieces(flow, ref)
    assert_refused(flow, ref, "mark_complete", PIECES_AT, f"missing paper original: {LABELS[FORM]}")
    step(flow, ORIGINAL_AT)
    flow.receive_original(ref, PaperOriginal(FORM, ORIGINAL_AT.date(), False))
    assert_refused(flow, ref, "mark_complete", ORIGINAL_AT, f"paper original not signed: {LABELS[FORM]}")
    # A signed original names its signer; the other pieces have no paper original.
    with pytest.raises(InvalidInput, match="signed_by"):
        PaperOriginal(FORM, date(2021, 4, 26), True)
    before = flow.get(ref)
    assert_unchanged(
        flow, InvalidInput,
        lambda: flow.receive_original(ref, PaperOriginal("rib", date(2021, 4, 26), True, "Claire Dupont")),
        match="no paper original",
    )  # fmt: skip
    assert flow.get(ref) == before
    step(flow, at(2021, 4, 28))
    flow.receive_original(ref, signed_form(date(2021, 4, 28)))
    assert flow.fire(ref, "mark_complete").state == "complete"
    assert flow.get(ref).originals[0].signed_by == "Claire Dupont"
    assert flow.get(ref).originals[0].received_on == date(2021, 4, 28)


# -- The selection committee -------------------------------------------------------------------


def test_rule_committee_chaired_by_vice_president(flow: Any) -> None:
    assert CAMPAIGN.committee.name == "comité de sélection"
    assert CAMPAIGN.committee.chair_role == CHAIR_ROLE
    step(flow, HEAR_AT)
    president = "Président de la Communauté d'Agglomération de Lens-Liévin"
    assert_refused_action(
        flow, lambda: flow.record_session(session(chair_role=president)),
        "the committee must be chaired by the Vice-Président en charge de la Cohésion sociale",
    )  # fmt: skip
    assert flow.sessions() == []
    assert flow.record_session(session()).chair_role == CHAIR_ROLE
    assert [s.id for s in flow.sessions()] == [SESSION_ID]


def test_rule_committee_member_categories(flow: Any) -> None:
    assert [(c.key, c.label) for c in CAMPAIGN.committee.categories] == [
        ("personnalites", "personnalités reconnues pour leur action en faveur de la Politique de la Ville"),
        ("elus", "élus"),
        ("techniciens", "techniciens de la CALL"),
        ("habitants", "habitants"),
    ]
    step(flow, HEAR_AT)
    error = assert_refused_action(
        flow, lambda: flow.record_session(session(categories=("personnalites", "elus", "techniciens"))),
        "no member of the category 'habitants' (key `habitants`) is present",
    )  # fmt: skip
    assert "no member of the category 'habitants' (key `habitants`) is present" in error.reasons
    assert_refused_action(
        flow,
        lambda: flow.record_session(
            session(categories=("personnalites", "elus", "techniciens", "habitants", "journalistes"))),
        "unknown member category 'journalistes'",
    )  # fmt: skip
    assert flow.sessions() == []
    flow.record_session(session())
    assert {m.category for m in flow.sessions()[0].members} == {"personnalites", "elus", "techniciens", "habitants"}


def test_rule_session_recorded_once_held(flow: Any) -> None:
    """A session is recorded on or after its day, not before it is held."""
    step(flow, at(2021, 6, 14, 18))
    assert_refused_action(flow, lambda: flow.record_session(session()), "has not been held yet")
    step(flow, at(2021, 6, 15, 9))
    flow.record_session(session())
    assert [s.id for s in flow.sessions()] == [SESSION_ID]


def test_rule_only_complete_dossiers_heard(flow: Any) -> None:
    assert CAMPAIGN.committee.only_complete_dossiers is True
    ref, other = bring(flow, "instructed", Spec(), Spec(applicant("Association B")))
    # The signed original is replaced by an unsigned one after the instruction: the dossier is no longer complete.
    step(flow, at(2021, 5, 20))
    flow.receive_original(ref, PaperOriginal(FORM, date(2021, 5, 20), False))
    # A dossier sent back for pieces is no longer instructed: it cannot be heard at all.
    step(flow, at(2021, 5, 25))
    flow.fire(other, "return_for_pieces", issues=[{"key": "rib", "reason": "outdated"}])
    assert flow.get(other).state == "submitted"
    step(flow, HEAR_AT)
    flow.record_session(session())
    assert_refused(flow, ref, "hear", HEAR_AT, f"paper original not signed: {LABELS[FORM]}", session=SESSION_ID)
    flow.receive_original(ref, signed_form(HEAR_AT.date()))
    assert flow.fire(ref, "hear", session=SESSION_ID).state == "audited"
    before = snapshot(flow)
    with pytest.raises(IllegalTrigger):
        flow.fire(other, "hear", session=SESSION_ID)
    assert snapshot(flow) == before


def test_rule_every_dossier_heard_before_approval(flow: Any) -> None:
    ref = bring_to(flow, "instructed")
    before = snapshot(flow)
    with pytest.raises(IllegalTrigger):
        flow.fire(ref, "approve")
    assert snapshot(flow) == before
    assert_refused(flow, ref, "hear", HEAR_AT, "no committee session 'comite-inconnu'", session="comite-inconnu")
    flow.record_session(session())
    assert flow.fire(ref, "hear", session=SESSION_ID).hearing == SESSION_ID
    step(flow, APPROVE_AT)
    assert flow.fire(ref, "approve").state == "approved"


def test_rule_reject_needs_motivation(flow: Any) -> None:
    ref = bring_to(flow, "audited")
    assert_refused(flow, ref, "reject", APPROVE_AT, "a rejection needs a written motivation")
    assert_refused(flow, ref, "reject", APPROVE_AT, "a rejection needs a written motivation", motivation="   ")
    motivation = "Action déjà financée par la programmation du Contrat de Ville."
    rejected = flow.fire(ref, "reject", motivation=motivation)
    assert (rejected.state, rejected.decision_note) == ("rejected", motivation)
    last = flow.history(ref)[-1]
    assert (last.trigger, last.dest) == ("reject", "rejected")
    # The motivation is personal: the journal keeps it outside the chain, and chains only its digest.
    assert last.personal == {"note": motivation}
    assert motivation not in str(flow.events()[-1].body)
    assert set(flow.events()[-1].body["personal"]) == {"note"}


# -- CALENDRIER PREVISIONNEL ---------------------------------------------------------------------


def test_rule_provisional_calendar_dates() -> None:
    cal = CAMPAIGN.calendar
    assert cal.launch == date(2021, 3, 8)
    assert cal.deadline == date(2021, 4, 30)
    assert (cal.instruction.start, cal.instruction.end) == (date(2021, 5, 1), date(2021, 5, 31))
    assert (cal.jury.start, cal.jury.end) == (date(2021, 6, 1), date(2021, 6, 30))
    assert (cal.deliberation.start, cal.deliberation.end) == (date(2021, 9, 1), date(2021, 9, 30))
    assert all(cal.window(n).is_whole_months() for n in ("instruction", "jury", "deliberation"))


def test_rule_launch_on_8_march_2021(flow: Any, another: Callable[..., Any]) -> None:
    early = another(start=at(2021, 3, 7, 9))  # a store whose clock starts the day before the launch
    ref = early.create_dossier(applicant(), application()).reference
    attach_form(early, ref)
    assert_refused(early, ref, "submit", at(2021, 3, 7, 23, 59, 59), "the call opens on 8 March 2021 (Paris time)")
    step(early, at(2021, 3, 8, 0, 0, 0))
    assert early.fire(ref, "submit").state == "submitted"


def test_rule_submission_deadline_is_30_april_inclusive_paris_time(flow: Any) -> None:
    step(flow, at(2021, 4, 30))
    drafts = [flow.create_dossier(applicant(), application()).reference for _ in range(4)]
    for ref in drafts:
        attach_form(flow, ref)
    late = "the submission deadline was 30 April 2021 at midnight (Paris time)"
    # The last second of 30 April, written in UTC then in Paris time: Paris is UTC+2 in April (summer time).
    step(flow, datetime(2021, 4, 30, 21, 59, 59, tzinfo=UTC))
    assert flow.fire(drafts[0], "submit").state == "submitted"
    step(flow, at(2021, 4, 30, 23, 59, 59))
    assert flow.fire(drafts[1], "submit").state == "submitted"
    # Midnight, in Paris time then the same instant in UTC.
    assert_refused(flow, drafts[2], "submit", at(2021, 5, 1, 0, 0, 0), late)
    assert_refused(flow, drafts[3], "submit", datetime(2021, 4, 30, 22, 0, 0, tzinfo=UTC), late)


def test_rule_submission_by_post_is_dated_by_its_postmark(flow: Any) -> None:
    """« Le cachet de la poste faisant foi »: a dossier posted on 30 April and received on 3 May is on time."""
    step(flow, at(2021, 4, 29))
    posted, late = (flow.create_dossier(applicant(), application()).reference for _ in range(2))
    step(flow, COMPLETE_AT)
    for ref in (posted, late):
        flow.attach(ref, FORM, b"dossier de demande", filename="dossier.pdf", postmark=date(2021, 4, 30))
    submitted = flow.fire(posted, "submit", postmark=date(2021, 4, 30))
    assert submitted.state == "submitted"
    assert submitted.submitted_at is not None and submitted.submitted_at.date() == date(2021, 4, 30)
    assert_refused(flow, late, "submit", None, "the submission deadline was 30 April 2021", postmark=date(2021, 5, 1))


def test_rule_instruction_in_may_2021(flow: Any) -> None:
    ref, late, unfinished = bring(flow, "submitted", Spec(), Spec(), Spec())
    step(flow, PIECES_AT)
    for r in (ref, late, unfinished):
        attach_pieces(flow, r)
    step(flow, ORIGINAL_AT)
    for r in (ref, late, unfinished):
        flow.receive_original(r, signed_form())
    step(flow, at(2021, 4, 30, 18))
    flow.fire(ref, "mark_complete")
    flow.fire(late, "mark_complete")
    window = "the instruction runs from 1 May 2021 to 31 May 2021 (Paris time)"
    assert_refused(flow, ref, "instruct", at(2021, 4, 30, 23, 59, 59), window)
    step(flow, at(2021, 5, 31, 23, 59, 59))
    assert flow.fire(ref, "instruct").state == "instructed"
    assert_refused(flow, late, "instruct", at(2021, 6, 1, 0, 0, 0), window)
    # A dossier can be completed until the end of the instruction, not later.
    assert_refused(
        flow, unfinished, "mark_complete", at(2021, 6, 1, 9),
        "a dossier can be completed until the end of the instruction, 31 May 2021",
    )  # fmt: skip


def test_rule_jury_in_june_2021(flow: Any) -> None:
    ref, heard, unheard = bring(flow, "instructed", Spec(), Spec(), Spec())
    step(flow, HEAR_AT)
    early = session(id="comite-2021-05-31", day=date(2021, 5, 31))
    error = assert_refused_action(
        flow, lambda: flow.record_session(early),
        "the session's day 31 May 2021 is outside the jury window (1 June 2021 to 30 June 2021)")
    assert not any("not been held" in r for r in error.reasons)
    assert flow.sessions() == []
    flow.record_session(session())
    flow.fire(ref, "hear", session=SESSION_ID)
    flow.fire(heard, "hear", session=SESSION_ID)
    step(flow, at(2021, 6, 30, 23, 59, 59))
    assert flow.fire(ref, "approve").state == "approved"
    step(flow, at(2021, 7, 1, 10))
    assert_refused_action(flow, lambda: flow.record_session(session(id="comite-2021-07-01", day=date(2021, 7, 1))),
                          "the session's day 1 July 2021 is outside the jury window (1 June 2021 to 30 June 2021)")
    assert [s.id for s in flow.sessions()] == [SESSION_ID]
    window = "the jury runs from 1 June 2021 to 30 June 2021 (Paris time)"
    assert_refused(flow, unheard, "hear", None, window, "sits on 15 June 2021", session=SESSION_ID)
    assert_refused(flow, heard, "approve", None, window)


def test_rule_deliberation_in_september_2021(flow: Any) -> None:
    ref = bring_to(flow, "approved")
    for day in (date(2021, 8, 31), date(2021, 10, 1)):
        move_to(flow, datetime.combine(day, time(8), tzinfo=PARIS))
        assert_refused_action(
            flow, partial(flow.record_deliberation, Deliberation("DEL-2021-09-27-042", day, (ref,))),
            "outside the deliberation window (1 September 2021 to 30 September 2021)",
        )  # fmt: skip
    assert flow.deliberations() == []
    deliberate(flow, ref, day=date(2021, 9, 1))  # recorded on 1 October, taken on 1 September
    assert [d.day for d in flow.deliberations() if ref in d.dossiers] == [date(2021, 9, 1)]


def test_rule_deliberation_recorded_once_taken(flow: Any) -> None:
    ref = bring_to(flow, "approved")
    step(flow, at(2021, 9, 26, 18))
    assert_refused_action(
        flow, lambda: flow.record_deliberation(Deliberation("DEL-2021-09-27-042", DELIBERATION_DAY, (ref,))),
        "has not been taken yet",
    )  # fmt: skip
    deliberate(flow, ref)
    assert [d.reference for d in flow.deliberations()] == ["DEL-2021-09-27-042"]


def test_rule_calendar_amendment_needs_reason(flow: Any) -> None:
    ref = bring_to(flow, "instructed")
    step(flow, at(2021, 6, 10))
    for reason in ("", "   "):
        assert_unchanged(
            flow, InvalidInput,
            partial(flow.amend_calendar, "jury", date(2021, 6, 1), date(2021, 7, 9), reason=reason),
            match="needs a reason",
        )  # fmt: skip
    assert flow.amendments() == []
    assert flow.calendar() == CAMPAIGN.calendar
    amendment = flow.amend_calendar(
        "jury", date(2021, 6, 1), date(2021, 7, 9),
        reason="Comité reporté : indisponibilité du Vice-Président", actor="service PdV",
    )  # fmt: skip
    assert amendment.reason.startswith("Comité reporté")
    assert (amendment.at, amendment.actor) == (at(2021, 6, 10), "service PdV")  # dated by the store's clock
    assert flow.calendar().jury.end == date(2021, 7, 9)
    assert CAMPAIGN.calendar.jury.end == date(2021, 6, 30)  # the call itself is unchanged
    step(flow, at(2021, 7, 5, 14))
    flow.record_session(session(id="comite-2021-07-05", day=date(2021, 7, 5)))
    assert flow.fire(ref, "hear", session="comite-2021-07-05").state == "audited"


def test_rule_calendar_amendment_keeps_the_calendar_in_order(flow: Any) -> None:
    bring_to(flow, "submitted")
    step(flow, at(2021, 4, 20))
    error = assert_refused_action(
        flow, lambda: flow.amend_calendar("instruction", date(2021, 4, 1), date(2021, 4, 15), reason="x"),
        "the instruction ends before the submission deadline",
    )  # fmt: skip
    assert error.reasons == ("the instruction ends before the submission deadline",)
    assert flow.amendments() == [] and flow.calendar() == CAMPAIGN.calendar


def test_rule_calendar_amendment_cannot_strand_a_recorded_act(flow: Any) -> None:
    """An amendment takes effect when recorded: it cannot move a window away from an act already in it."""
    ref = bring_to(flow, "audited")  # submitted on 12 April, instructed on 18 May, heard on 15 June
    step(flow, at(2021, 6, 20))
    error = assert_refused_action(
        flow, lambda: flow.amend_calendar("submission", date(2021, 3, 8), date(2021, 4, 10), reason="Clôture avancée"),
        f"the submission of {ref} on 12 April 2021 would fall outside the submission window",
    )  # fmt: skip
    assert len(error.reasons) == 1
    assert_refused_action(
        flow, lambda: flow.amend_calendar("jury", date(2021, 6, 16), date(2021, 7, 9), reason="Comité reporté"),
        "the committee session comite-2021-06-15 on 15 June 2021 would fall outside the jury window",
    )  # fmt: skip
    assert_refused_action(
        flow, lambda: flow.amend_calendar("instruction", date(2021, 5, 19), date(2021, 6, 10), reason="Reprise"),
        f"the instruction of {ref} on 18 May 2021 would fall outside the instruction window",
    )  # fmt: skip
    assert flow.amendments() == [] and flow.calendar() == CAMPAIGN.calendar
    flow.amend_calendar("jury", date(2021, 6, 1), date(2021, 7, 9), reason="Une seconde séance en juillet")
    assert flow.calendar().jury.end == date(2021, 7, 9)


# -- Payment: « Délibération pour versement des subventions » ----------------------------------------


def test_rule_pay_after_deliberation(flow: Any) -> None:
    ref, draft = bring(flow, "audited", Spec(), Spec(applicant("Association B")))
    step(flow, APPROVE_AT)
    flow.fire(ref, "approve")
    assert_refused(flow, ref, "pay", at(2021, 9, 20), "no deliberation grants this dossier yet")
    # The deliberation only grants approved dossiers.
    move_to(flow, datetime.combine(DELIBERATION_DAY, time(8), tzinfo=PARIS))
    error = assert_refused_action(
        flow, lambda: flow.record_deliberation(Deliberation("DEL-2021-09-27-042", DELIBERATION_DAY, (draft,))),
        f"{draft} is heard (`audited`), not approved",
    )  # fmt: skip
    assert f"{draft} is heard (`audited`), not approved" in error.reasons
    assert flow.deliberations() == []
    deliberate(flow, ref)
    # A payment dated the day before the deliberation (an administrative act may be dated earlier) is refused.
    assert_refused(
        flow, ref, "pay", None,
        "payment is possible from 27 September 2021, when the deliberation DEL-2021-09-27-042 became enforceable; "
        "it is 26 September 2021", at=at(2021, 9, 26, 23, 59, 59),
    )  # fmt: skip
    paid = flow.fire(ref, "pay", reference="MANDAT-1")
    assert (paid.state, paid.paid) == ("paid", Decimal("20000.00"))
    assert paid.payments[-1].at.replace(microsecond=0) == at(2021, 9, 27, 8)  # dated by the clock


def test_rule_rib_needed_for_payment(flow: Any) -> None:
    ref = bring_to(flow, "approved", who=applicant(iban=None))
    deliberate(flow, ref)
    assert_refused(flow, ref, "pay", PAY_AT, "no IBAN is recorded for the applicant")
    # A wrong IBAN never gets in: it is refused with the applicant, before anything is recorded.
    assert_unchanged(flow, InvalidInput, lambda: flow.create_dossier(applicant(iban="FR76 0000")),
                     match="is not a valid IBAN")


def test_rule_convention_above_23000(flow: Any, another: Callable[..., Any]) -> None:
    assert CAMPAIGN.funding.convention_threshold == Decimal("23000.00")
    # Exactly 23 000 €: no convention needed.
    at_threshold = application(total_cost=Decimal("46000.00"), requested=Decimal("23000.00"))
    # 23 000,01 €: a signed convention before the first payment.
    above = application(total_cost=Decimal("46000.02"), requested=Decimal("23000.01"))
    a, b = bring(flow, "approved", Spec(applicant("Association A"), at_threshold),
                 Spec(applicant("Association B"), above))
    assert (flow.get(a).approved, flow.get(b).approved) == (Decimal("23000.00"), Decimal("23000.01"))
    deliberate(flow, a, b)
    step(flow, PAY_AT)
    assert flow.fire(a, "pay").state == "paid"
    needs = "the grant (€23,000.01 this year) is above €23,000.00: a signed convention must be recorded"
    assert_refused(flow, b, "pay", PAY_AT, needs)
    step(flow, at(2021, 10, 6, 9))
    flow.record_convention(Convention(b, "CONV-2021-017", date(2021, 10, 6)))
    # A payment dated the day before the signature is refused.
    assert_refused(flow, b, "pay", None,
                   "the convention CONV-2021-017 is signed on 6 October 2021, after the payment date", at=PAY_AT)
    step(flow, at(2021, 10, 6, 15))
    assert flow.fire(b, "pay").state == "paid"
    # The threshold counts what the same applicant receives in the year: 2 × 15 000 € = 30 000 €.
    store = another()
    same = applicant("Association C", siren="732829320")
    small = application(total_cost=Decimal("30000.00"), requested=Decimal("15000.00"))
    c1, c2 = bring(store, "approved", Spec(same, small), Spec(same, small))
    deliberate(store, c1, c2)
    assert_refused(store, c1, "pay", PAY_AT, "the grant (€30,000.00 this year) is above €23,000.00")


def test_rule_convention_recorded_once_signed(flow: Any) -> None:
    above = application(total_cost=Decimal("46000.02"), requested=Decimal("23000.01"))
    ref = bring_to(flow, "approved", app=above)
    assert_refused_action(flow, lambda: flow.record_convention(Convention(ref, "CONV-2021-017", date(2021, 6, 16))),
                          "after today")
    assert flow.conventions() == {}
    step(flow, at(2021, 6, 16))
    flow.record_convention(Convention(ref, "CONV-2021-017", date(2021, 6, 16)))
    assert list(flow.conventions()) == [ref]


def test_rule_partial_payment_stays_approved(flow: Any) -> None:
    ref = bring_to(flow, "approved")
    deliberate(flow, ref)
    step(flow, PAY_AT)
    first = flow.fire(ref, "pay", amount="16000.00", reference="MANDAT-1")
    assert (first.state, first.paid) == ("approved", Decimal("16000.00"))
    assert flow.totals().paid == Decimal("16000.00")
    assert flow.totals().to_pay == Decimal("4000.00")
    assert_refused(
        flow, ref, "pay", at(2022, 7, 4),
        "paying €5,000.00 would exceed the grant: €20,000.00 granted, €16,000.00 already paid",
        amount="5000.00",
    )  # fmt: skip
    balance = flow.fire(ref, "pay", reference="MANDAT-2")
    assert (balance.state, balance.paid, len(balance.payments)) == ("paid", Decimal("20000.00"), 2)


def test_rule_withdraw_refused_after_first_payment(flow: Any, another: Callable[..., Any]) -> None:
    ref = bring_to(flow, "approved")
    deliberate(flow, ref)
    step(flow, PAY_AT)
    flow.fire(ref, "pay", amount="16000.00")
    assert_refused(
        flow, ref, "withdraw", at(2021, 11, 2),
        "a first payment was made on 5 October 2021: the dossier can no longer be withdrawn",
    )  # fmt: skip
    step(flow, at(2022, 7, 4))
    flow.fire(ref, "pay")
    step(flow, at(2022, 7, 5))
    before = snapshot(flow)
    with pytest.raises(IllegalTrigger):
        flow.fire(ref, "withdraw")
    assert snapshot(flow) == before
    # Before any payment an approved dossier may be withdrawn, and its grant returns to the envelope.
    store = another()
    ref = bring_to(store, "approved")
    assert store.totals().approved == Decimal("20000.00")
    step(store, at(2021, 7, 1))
    assert store.fire(ref, "withdraw", reason="Action annulée").state == "withdrawn"
    assert store.totals().approved == Decimal("0.00")


# -- Time: every act is dated by the store's clock ------------------------------------------------


def test_rule_acts_cannot_be_backdated_or_postdated(flow: Any) -> None:
    """An administrative act is dated at most now, never before the dossier's last act; a submission by its receipt."""
    ref = bring_to(flow, "instructed")  # its last act: the instruction, on 18 May at 10 h
    step(flow, HEAR_AT)
    flow.record_session(session())
    assert_refused(flow, ref, "hear", None, "after the moment it is recorded", session=SESSION_ID,
                   at=at(2021, 6, 15, 15))
    assert_refused(flow, ref, "hear", None, "before the dossier's last recorded act", session=SESSION_ID,
                   at=at(2021, 5, 18, 9))
    assert flow.fire(ref, "hear", session=SESSION_ID, at=at(2021, 6, 15, 13)).state == "audited"
    assert flow.history(ref)[-1].at == at(2021, 6, 15, 13)
    assert flow.history(ref)[-1].recorded_at >= HEAR_AT
    # A committee's batch cannot be dated after now either.
    assert_refused_action(flow, lambda: flow.approve_batch([ref], at=at(2021, 6, 16)),
                          "after the moment it is recorded")
    # The applicant's submission is dated by its receipt (or its postmark), never by the caller.
    draft = flow.create_dossier(applicant("Association B"), application()).reference
    attach_form(flow, draft)
    assert_unchanged(flow, InvalidInput, lambda: flow.fire(draft, "submit", at=at(2021, 4, 12)),
                     match="dated when the service receives it")
    # A postmark later than the receipt is refused.
    assert_refused(flow, draft, "submit", None, "later than the receipt", postmark=date(2021, 6, 16))
    assert flow.get(draft).state == "draft"


# -- The funder and the call -------------------------------------------------------------------


def test_rule_funder_siren_and_empty_siret() -> None:
    funder = CAMPAIGN.funder
    assert (funder.name, funder.acronym) == ("Communauté d'Agglomération de Lens-Liévin", "CALL")
    assert funder.siren == "246200364"
    assert stdnum_siren.is_valid(funder.siren)
    assert funder.siret == ""  # the call gives no SIRET: none is invented
    with pytest.raises(CallFileError) as info:
        with_line('siret = ""', 'siret = "24620036400011"')
    assert info.value.field == "funder.siret"


def test_rule_contact_and_legal_basis() -> None:
    assert CAMPAIGN.call.legal_basis == "Loi de programmation pour la ville et la cohésion urbaine du 21 février 2014"
    assert CAMPAIGN.funder.service == "service Politique de la Ville de la CALL"
    contact = CAMPAIGN.funder.contact
    assert contact.manager == "Sophie MOLLET"
    assert contact.people == ("Nathalie CAUVIN", "Sergine TORCHY")
    assert contact.email == "contratdeville@agglo-lenslievin.fr"
    assert contact.phones == ("03 21 790 527", "03 21 790 530")


def test_call_whole_life_of_a_dossier_on_the_call_dates(flow: Any) -> None:
    ref = bring_to(flow, "approved", criteria=("jeunes_ou_femmes", "participation_habitants"))
    deliberate(flow, ref)
    step(flow, PAY_AT)
    flow.fire(ref, "pay")
    # Each act is dated by the store's clock (to the microsecond after the act recorded before it).
    triggered = [e for e in flow.history(ref) if e.kind is Kind.TRIGGERED]
    assert [(e.trigger, e.dest, e.at.replace(microsecond=0)) for e in triggered] == [
        ("submit", "submitted", SUBMIT_AT),
        ("mark_complete", "complete", COMPLETE_AT),
        ("instruct", "instructed", INSTRUCT_AT),
        ("hear", "audited", HEAR_AT),
        ("approve", "approved", APPROVE_AT),
        ("pay", "paid", PAY_AT),
    ]
    assert all(e.actor == "test" for e in flow.history(ref))
    assert flow.verify() is None
    assert flow.replayed_states() == {ref: "paid"}


# -- The journal keeps its order, and a record is recorded once --------------------------------------


def test_rule_an_act_is_never_dated_before_the_dossiers_latest_act(flow: Any) -> None:
    """A postmark dates the submission before the pieces received: an act is still not dated before them."""
    ref = flow.create_dossier(applicant(), application()).reference
    step(flow, at(2021, 4, 28))
    attach_pieces(flow, ref)
    flow.receive_original(ref, signed_form())
    attach_form(flow, ref)
    step(flow, at(2021, 4, 29))
    assert flow.fire(ref, "submit", postmark=date(2021, 4, 20)).submitted_at == at(2021, 4, 20, 0)
    step(flow, at(2021, 5, 3))
    assert_refused(flow, ref, "mark_complete", None, "before the dossier's last recorded act", at=at(2021, 4, 21, 9))
    assert flow.fire(ref, "mark_complete").state == "complete"


def test_rule_calendar_amendment_takes_effect_when_recorded(flow: Any) -> None:
    """An extension recorded on 10 June does not let an act be dated on 5 June, when the window was closed."""
    ref = bring_to(flow, "complete")
    step(flow, at(2021, 6, 10))
    flow.amend_calendar("instruction", date(2021, 5, 1), date(2021, 6, 20), reason="Instruction prolongée")
    assert_refused(flow, ref, "instruct", None, "the instruction runs from 1 May 2021 to 31 May 2021",
                   at=at(2021, 6, 5), criteria=[])
    assert flow.fire(ref, "instruct", criteria=[]).state == "instructed"  # dated now, 10 June: in the new window


def test_rule_calendar_amendment_cannot_strand_an_approval(flow: Any) -> None:
    ref = bring_to(flow, "audited")
    step(flow, at(2021, 6, 28))
    flow.fire(ref, "approve")
    assert_refused_action(
        flow, lambda: flow.amend_calendar("jury", date(2021, 6, 1), date(2021, 6, 20), reason="Jury écourté"),
        f"the approval of {ref} on 28 June 2021 would fall outside the jury window",
    )  # fmt: skip


def test_rule_a_convention_is_recorded_once_and_not_before_the_grant(flow: Any) -> None:
    above = application(total_cost=Decimal("46000.02"), requested=Decimal("23000.01"))
    ref = bring_to(flow, "approved", app=above)  # approved on 15 June 2021
    step(flow, at(2021, 6, 20))
    assert_refused_action(flow, lambda: flow.record_convention(Convention(ref, "CONV-OLD", date(2019, 1, 1))),
                          "before the grant was approved (15 June 2021)")
    flow.record_convention(Convention(ref, "CONV-2021-001", date(2021, 6, 16)))
    assert_refused_action(flow, lambda: flow.record_convention(Convention(ref, "CONV-2021-999", date(2021, 6, 18))),
                          f"{ref} already has its convention CONV-2021-001")
    assert flow.conventions()[ref].reference == "CONV-2021-001"


def test_rule_a_compte_rendu_is_not_received_before_the_grant(flow: Any) -> None:
    ref = bring_to(flow, "approved")
    step(flow, at(2021, 6, 20))
    assert_refused_action(flow, lambda: flow.record_financial_report(ref, date(2019, 1, 2)),
                          "before the grant was approved (15 June 2021)")
    flow.record_financial_report(ref, date(2021, 6, 19))
    assert {r.dossier: r.received_on for r in flow.financial_reports()}[ref] == date(2021, 6, 19)
