"""One test (or a small group) for every rule of the 2021 call « AMI Cohésion sociale » of the CALL.

Each test is named after the rule it proves and uses the call's own numbers
(150 000 €, 60 %, 50 % / 80 %, 21 QPV, 19 communes, 4 axes, the pieces, the
committee and its chair, the calendar of 8 March → September 2021).
docs/rules.md maps each sentence of the call to the code and to these tests.

A refused action is always checked twice: its ``Refused.reasons`` name the
rule, and the dossier, the journal and the envelope's totals are unchanged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from stdnum.fr import siren as stdnum_siren

from ami_workflow import (
    Applicant,
    Application,
    CallFileError,
    CoFunding,
    CommitteeSession,
    Convention,
    Deliberation,
    Engine,
    IllegalTrigger,
    InvalidInput,
    Member,
    PaperOriginal,
    Period,
    PieceReceipt,
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


def applicant(name: str = "Association Les Ateliers du 12-14", kind: str = "association", **fields: Any) -> Applicant:
    values: dict[str, Any] = {"iban": IBAN, "legal_representative": "Claire Dupont"}
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
    return Application(**values)


def session(
    id: str = SESSION_ID,
    day: date = JURY_DAY,
    chair_role: str = CHAIR_ROLE,
    categories: tuple[str, ...] = ("personnalites", "elus", "techniciens", "habitants"),
) -> CommitteeSession:
    members = tuple(Member(f"Membre {i}", c) for i, c in enumerate(categories))
    return CommitteeSession(id, day, "M. le Vice-Président", chair_role, members)


def signed_form(day: date = date(2021, 4, 26)) -> PaperOriginal:
    return PaperOriginal(FORM, day, True, "Claire Dupont", "représentant légal de l'association")


ORDER = ("draft", "submitted", "complete", "instructed", "audited", "approved")


def bring_to(
    state: str,
    *,
    engine: Engine | None = None,
    who: Applicant | None = None,
    app: Application | None = None,
    criteria: tuple[str, ...] = (),
    amount: Decimal | None = None,
) -> tuple[Engine, str]:
    """Create a dossier and walk it to ``state`` on the call's own dates, like ami_workflow.demo."""
    engine = engine or Engine(CAMPAIGN)
    ref = engine.create_dossier(who or applicant(), app or application()).reference
    target = ORDER.index(state)
    if target >= 1:
        engine.attach(ref, PieceReceipt(FORM, SUBMIT_AT.date(), "dossier.pdf"))
        engine.fire(ref, "submit", at=SUBMIT_AT)
    if target >= 2:
        for key in OTHER_PIECES:
            engine.attach(ref, PieceReceipt(key, date(2021, 4, 20)))
        engine.receive_original(ref, signed_form())
        engine.fire(ref, "mark_complete", at=COMPLETE_AT)
    if target >= 3:
        engine.fire(ref, "instruct", at=INSTRUCT_AT, criteria=list(criteria))
    if target >= 4:
        if SESSION_ID not in engine.sessions:
            engine.record_session(session())
        engine.fire(ref, "hear", at=HEAR_AT, session=SESSION_ID)
    if target >= 5:
        extra: dict[str, Any] = {} if amount is None else {"amount": amount}
        engine.fire(ref, "approve", at=APPROVE_AT, **extra)
    assert engine.get(ref).state == state
    return engine, ref


def deliberate(engine: Engine, *refs: str, day: date = DELIBERATION_DAY, reference: str = "DEL-2021-09-27-042") -> None:
    engine.record_deliberation(Deliberation(reference, day, refs))


def assert_refused(engine: Engine, ref: str, trigger: str, when: datetime, *expected: str, **data: Any) -> Refused:
    """Fire ``trigger``; it must be refused with a reason containing each ``expected`` text, changing nothing."""
    before, events, totals = engine.get(ref), len(engine.events), engine.totals()
    with pytest.raises(Refused) as info:
        engine.fire(ref, trigger, at=when, **data)
    reasons = info.value.reasons
    assert expected, "say which rule the refusal must name"
    for text in expected:
        assert any(text in reason for reason in reasons), f"{text!r} not in {reasons!r}"
    assert engine.get(ref) == before
    assert len(engine.events) == events
    assert engine.totals() == totals
    return info.value


def with_line(old: str, new: str) -> Campaign:
    """The call file with one line changed."""
    text = CALL_FILE.read_text(encoding="utf-8")
    assert old in text
    return parse_campaign(text.replace(old, new, 1), source="modified.toml")


# -- BUDGET 2021 ----------------------------------------------------------------------------


def test_rule_envelope_is_150000_euros() -> None:
    assert CAMPAIGN.envelope.amount == Decimal("150000.00")
    assert CAMPAIGN.envelope.year == 2021 == CAMPAIGN.call.year
    totals = Engine(CAMPAIGN).totals()
    assert (totals.envelope, totals.approved, totals.paid, totals.remaining) == (
        Decimal("150000.00"), Decimal("0.00"), Decimal("0.00"), Decimal("150000.00"),
    )  # fmt: skip


def test_rule_operating_costs_only() -> None:
    assert CAMPAIGN.envelope.cost_natures == ("fonctionnement",)
    engine, ref = bring_to("complete", app=application(cost_nature="investissement"))
    assert_refused(
        engine, ref, "instruct", INSTRUCT_AT,
        "the call funds only these costs: fonctionnement; this action declares 'investissement'",
    )  # fmt: skip
    engine, ref = bring_to("complete")
    assert engine.get(ref).application.cost_nature == "fonctionnement"
    assert engine.fire(ref, "instruct", at=INSTRUCT_AT).state == "instructed"


def test_rule_approved_total_within_envelope() -> None:
    engine = Engine(CAMPAIGN)
    big = application(total_cost=Decimal("100000.00"), requested=Decimal("80000.00"))
    all_criteria = tuple(c.key for c in CAMPAIGN.funding.criteria)
    _, first = bring_to("approved", engine=engine, who=applicant("Association A"), app=big, criteria=all_criteria)
    assert engine.get(first).approved == Decimal("80000.00")
    _, second = bring_to("audited", engine=engine, who=applicant("Association B"), app=big, criteria=all_criteria)
    assert_refused(
        engine, second, "approve", APPROVE_AT,
        "approving 80 000,00 € would exceed the envelope of 150 000,00 € (only 70 000,00 € left)",
    )  # fmt: skip
    assert engine.fire(second, "approve", at=APPROVE_AT, amount="70000.00").approved == Decimal("70000.00")
    totals = engine.totals()
    assert totals.approved == Decimal("150000.00")
    assert totals.remaining == Decimal("0.00")
    _, third = bring_to("audited", engine=engine, who=applicant("Association C"))
    assert_refused(engine, third, "approve", APPROVE_AT, "would exceed the envelope of 150 000,00 € (only 0,00 € left)")


def test_rule_batch_approval_allocates_when_over_envelope() -> None:
    engine = Engine(CAMPAIGN)
    app = application(total_cost=Decimal("75000.00"), requested=Decimal("60000.00"))
    all_criteria = tuple(c.key for c in CAMPAIGN.funding.criteria)
    refs = [
        bring_to("audited", engine=engine, who=applicant(f"Association {n}"), app=app, criteria=all_criteria)[1]
        for n in "ABC"
    ]
    assert all(engine.get(r).instruction.proposed == Decimal("60000.00") for r in refs)  # type: ignore[union-attr]
    # 3 × 60 000 € = 180 000 € asked of a 150 000 € envelope: each gets its pro-rata share.
    result = engine.approve_batch(refs, at=APPROVE_AT)
    assert result.scaled is True
    assert result.unfunded == ()
    assert dict(result.approved) == dict.fromkeys(refs, Decimal("50000.00"))
    assert all(engine.get(r).state == "approved" for r in refs)
    assert engine.totals().approved == Decimal("150000.00")
    # A batch that fits the envelope is not scaled.
    engine2 = Engine(CAMPAIGN)
    refs2 = [bring_to("audited", engine=engine2, who=applicant(f"Association {n}"))[1] for n in "AB"]
    result2 = engine2.approve_batch(refs2, at=APPROVE_AT)
    assert result2.scaled is False
    assert engine2.totals().approved == Decimal("40000.00")


# -- PUBLIC CIBLE ---------------------------------------------------------------------------


def test_rule_public_at_least_60_percent_qpv_residents() -> None:
    assert CAMPAIGN.public.min_qpv_share_percent == Decimal(60)
    assert qpv_share_met(100, 60, Decimal(60)) is True
    assert qpv_share_met(100, 59, Decimal(60)) is False
    engine, ref = bring_to("complete", app=application(participants=100, qpv_residents=59))
    assert_refused(
        engine, ref, "instruct", INSTRUCT_AT,
        "fewer than 60 % of the participants live in a QPV (59 of 100)",
    )  # fmt: skip
    engine, ref = bring_to("complete", app=application(participants=100, qpv_residents=60))
    assert engine.fire(ref, "instruct", at=INSTRUCT_AT).state == "instructed"


def test_rule_priority_to_young_people_and_women() -> None:
    assert CAMPAIGN.public.priority_publics == ("jeunes", "femmes")
    engine = Engine(CAMPAIGN)
    ref = engine.create_dossier(applicant(), application(young=None, women=None)).reference
    engine.attach(ref, PieceReceipt(FORM, SUBMIT_AT.date()))
    assert_refused(
        engine, ref, "submit", SUBMIT_AT,
        "missing: the number of young people among the participants",
        "missing: the number of women among the participants",
    )  # fmt: skip
    # The priority is rewarded through the bonus criterion « s'adresse à un public de jeunes ou de femmes ».
    labels = {c.key: c.label for c in CAMPAIGN.funding.criteria}
    assert labels["jeunes_ou_femmes"] == "s'adresse à un public de jeunes ou de femmes"
    engine, ref = bring_to("instructed", criteria=("jeunes_ou_femmes",))
    assert engine.get(ref).instruction.ceiling == Decimal("23000.00")  # type: ignore[union-attr]  # 57.5 % of 40 000 €


def test_rule_sourcing_required() -> None:
    assert CAMPAIGN.public.sourcing_required is True
    engine = Engine(CAMPAIGN)
    ref = engine.create_dossier(applicant(), application(sourcing=None)).reference
    engine.attach(ref, PieceReceipt(FORM, SUBMIT_AT.date()))
    assert_refused(
        engine, ref, "submit", SUBMIT_AT,
        "missing: the sourcing (how the public will be mobilised and targeted)",
    )  # fmt: skip


def test_rule_only_associations_accepted() -> None:
    assert CAMPAIGN.applicants.accepted == ("association",)
    collective = applicant("Collectif des habitants de la Cité 2", kind="collectif_habitants")
    engine, ref = bring_to("complete", who=collective)
    assert_refused(
        engine, ref, "instruct", INSTRUCT_AT,
        "the call does not accept this kind of applicant (Collectif d'habitants); it accepts: Association",
    )  # fmt: skip
    engine, ref = bring_to("complete", who=applicant(kind="association"))
    assert engine.fire(ref, "instruct", at=INSTRUCT_AT).state == "instructed"


# -- TERRITORY: CONTEXTE and ANNEXE -----------------------------------------------------------


def test_rule_qpv_list_from_annex() -> None:
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
    engine, ref = bring_to("complete", app=application(qpv_codes=("QP062099",)))
    assert_refused(
        engine, ref, "instruct", INSTRUCT_AT,
        "not on the call's QPV list: QP062099",
        "the action targets none of the call's QPV",
    )  # fmt: skip


def test_rule_action_targets_at_least_one_qpv() -> None:
    engine = Engine(CAMPAIGN)
    ref = engine.create_dossier(applicant(), application(qpv_codes=())).reference
    engine.attach(ref, PieceReceipt(FORM, SUBMIT_AT.date()))
    assert_refused(engine, ref, "submit", SUBMIT_AT, "missing: at least one target QPV")


# -- ORIENTATIONS PRIORITAIRES ----------------------------------------------------------------


def test_rule_four_axes() -> None:
    axes = [(a.number, a.key, a.label) for a in CAMPAIGN.axes]
    assert axes == [
        (1, "insertion", "L'insertion professionnelle et sociale"),
        (2, "education", "L'éducation"),
        (3, "sante", "La santé"),
        (4, "numerique", "L'inclusion numérique"),
    ]
    assert all(len(a.objectives) == 3 for a in CAMPAIGN.axes)
    assert CAMPAIGN.axis("sante").objectives[1] == "Lutter contre le renoncement aux soins."  # type: ignore[union-attr]
    engine = Engine(CAMPAIGN)
    for axis in CAMPAIGN.axes:
        _, ref = bring_to("complete", engine=engine, app=application(axis=axis.key))
        assert engine.fire(ref, "instruct", at=INSTRUCT_AT).state == "instructed"
    _, ref = bring_to("complete", engine=engine, app=application(axis="culture"))
    assert_refused(
        engine, ref, "instruct", INSTRUCT_AT,
        "the axis 'culture' is not one of the call's axes (insertion, education, sante, numerique)",
    )  # fmt: skip


# -- MODALITES DE FINANCEMENT -------------------------------------------------------------------


def test_rule_ceiling_50_percent_without_bonus() -> None:
    rule = CAMPAIGN.funding.ceiling
    assert isinstance(rule, RateWithBonus)
    assert CAMPAIGN.funding.ceiling_rule == "rate_with_bonus"
    assert rule.base_rate_percent == Decimal(50)
    assert rule.rate(0) == Decimal(50)
    engine, ref = bring_to("audited", app=application(total_cost=Decimal("40000.00"), requested=Decimal("30000.00")))
    instruction = engine.get(ref).instruction
    assert instruction is not None
    assert instruction.criteria == frozenset()
    assert instruction.ceiling == Decimal("20000.00")  # 50 % of 40 000 €
    assert_refused(
        engine, ref, "approve", APPROVE_AT,
        "20 000,01 € is above the ceiling for the confirmed criteria (20 000,00 €)",
        amount="20000.01",
    )  # fmt: skip
    assert engine.fire(ref, "approve", at=APPROVE_AT, amount="20000.00").approved == Decimal("20000.00")


def test_rule_bonus_up_to_80_percent() -> None:
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
    engine, ref = bring_to("instructed", app=full, criteria=all_criteria)
    instruction = engine.get(ref).instruction
    assert instruction is not None
    assert (instruction.ceiling, instruction.proposed) == (Decimal("32000.00"), Decimal("32000.00"))  # 80 %
    engine, ref = bring_to("instructed", app=full, criteria=("innovante", "plusieurs_operateurs"))
    assert engine.get(ref).instruction.ceiling == Decimal("26000.00")  # type: ignore[union-attr]  # 65 %
    engine, ref = bring_to("complete", app=full)
    assert_refused(
        engine, ref, "instruct", INSTRUCT_AT,
        "unknown bonus criterion 'exemplaire'",
        criteria=["innovante", "exemplaire"],
    )  # fmt: skip


def test_rule_bonus_points_per_criterion_changeable_in_the_file() -> None:
    changed = with_line('points_per_criterion = "7.5"', 'points_per_criterion = "10"')
    rule = changed.funding.ceiling
    assert isinstance(rule, RateWithBonus)
    assert [rule.rate(n) for n in range(5)] == [Decimal(r) for r in ("50", "60", "70", "80", "80")]
    engine = Engine(changed)
    ref = engine.create_dossier(applicant(), application(requested=Decimal("40000.00"))).reference
    engine.attach(ref, PieceReceipt(FORM, SUBMIT_AT.date()))
    engine.fire(ref, "submit", at=SUBMIT_AT)
    for key in OTHER_PIECES:
        engine.attach(ref, PieceReceipt(key, date(2021, 4, 20)))
    engine.receive_original(ref, signed_form())
    engine.fire(ref, "mark_complete", at=COMPLETE_AT)
    engine.fire(ref, "instruct", at=INSTRUCT_AT, criteria=["innovante", "jeunes_ou_femmes"])
    assert engine.get(ref).instruction.ceiling == Decimal("28000.00")  # type: ignore[union-attr]  # 70 % of 40 000 €


def test_rule_request_above_ceiling_is_capped_not_refused() -> None:
    app = application(total_cost=Decimal("40000.00"), requested=Decimal("30000.00"))
    engine, ref = bring_to("submitted", app=app)  # 30 000 € asked: above the ceiling, yet submitted
    engine, ref = bring_to("instructed", app=app)
    instruction = engine.get(ref).instruction
    assert instruction is not None
    assert instruction.ceiling == Decimal("20000.00")
    assert instruction.proposed == Decimal("20000.00")  # capped at the ceiling
    engine, ref = bring_to("approved", app=app)
    assert engine.get(ref).approved == Decimal("20000.00")
    # The jury can never grant more than what was asked either.
    engine, ref = bring_to("audited", app=application(requested=Decimal("10000.00")))
    assert_refused(
        engine, ref, "approve", APPROVE_AT,
        "15 000,00 € is more than the amount requested (10 000,00 €)",
        amount="15000.00",
    )  # fmt: skip


def test_rule_cofunding_plus_call_amount_within_total_cost() -> None:
    engine = Engine(CAMPAIGN)
    over = application(
        total_cost=Decimal("40000.00"),
        requested=Decimal("30000.00"),
        cofunding=(CoFunding("Département du Pas-de-Calais", Decimal("12000.00")),),
    )
    ref = engine.create_dossier(applicant(), over).reference
    engine.attach(ref, PieceReceipt(FORM, SUBMIT_AT.date()))
    assert_refused(
        engine, ref, "submit", SUBMIT_AT,
        "the amount requested (30 000,00 €) plus the other co-funding (12 000,00 €) "
        "exceeds the action's total cost (40 000,00 €)",
    )  # fmt: skip
    assert engine.get(ref).state == "draft"
    # With the co-funding, the ceiling is also what the co-funders leave of the cost.
    fits = application(
        total_cost=Decimal("40000.00"),
        requested=Decimal("20000.00"),
        cofunding=(CoFunding("Département du Pas-de-Calais", Decimal("20000.00")),),
    )
    all_criteria = tuple(c.key for c in CAMPAIGN.funding.criteria)
    engine, ref = bring_to("instructed", app=fits, criteria=all_criteria)
    assert engine.get(ref).instruction.ceiling == Decimal("20000.00")  # type: ignore[union-attr]  # not 80 % = 32 000 €


# -- PROCEDURE D'INSTRUCTION DES DOSSIERS: the pieces --------------------------------------------


def test_rule_required_pieces_for_associations() -> None:
    assert {p.key: p.label for p in CAMPAIGN.pieces} == LABELS
    association_only = {p.key for p in CAMPAIGN.pieces if p.kinds == ("association",)}
    assert association_only == {"liste_ca", "liste_bureau", "statuts", "recepisse_declaration"}
    engine, ref = bring_to("submitted")
    engine.receive_original(ref, signed_form())
    assert_refused(engine, ref, "mark_complete", COMPLETE_AT, *(f"missing piece: {LABELS[k]}" for k in OTHER_PIECES))
    for key in OTHER_PIECES[:-1]:
        engine.attach(ref, PieceReceipt(key, date(2021, 4, 20)))
    error = assert_refused(
        engine, ref, "mark_complete", COMPLETE_AT, "missing piece: copie du récépissé de déclaration"
    )
    assert len(error.reasons) == 1
    engine.attach(ref, PieceReceipt("recepisse_declaration", date(2021, 4, 21)))
    assert engine.fire(ref, "mark_complete", at=COMPLETE_AT).state == "complete"
    # The association's lists, statutes and récépissé are not asked of another kind of applicant.
    other_kind = missing_pieces(CAMPAIGN.pieces, "collectif_habitants", [], [])
    assert other_kind == [
        f"missing piece: {LABELS['courrier_demande']}",
        f"missing piece: {LABELS['rib']}",
        f"missing piece: {LABELS[FORM]}",
        f"missing paper original: {LABELS[FORM]}",
    ]


def test_rule_request_letter_addressed_to_sylvain_robert() -> None:
    addressee = CAMPAIGN.funder.addressee
    assert addressee is not None
    assert addressee.name == "Sylvain ROBERT"
    assert addressee.title == "Président de la Communauté d'Agglomération de Lens-Liévin"
    assert addressee.name in CAMPAIGN.piece("courrier_demande").label  # type: ignore[union-attr]


def test_rule_digital_application_form_needed_to_submit() -> None:
    form = CAMPAIGN.piece(FORM)
    assert form is not None and form.required_at_submit
    engine = Engine(CAMPAIGN)
    ref = engine.create_dossier(applicant(), application()).reference
    assert_refused(engine, ref, "submit", SUBMIT_AT, f"missing piece: {LABELS[FORM]}")
    engine.attach(ref, PieceReceipt(FORM, SUBMIT_AT.date(), "dossier.pdf"))
    assert engine.fire(ref, "submit", at=SUBMIT_AT).state == "submitted"


def test_rule_paper_original_signed() -> None:
    form = CAMPAIGN.piece(FORM)
    assert form is not None and form.paper_original and form.signature
    engine, ref = bring_to("submitted")
    for key in OTHER_PIECES:
        engine.attach(ref, PieceReceipt(key, date(2021, 4, 20)))
    assert_refused(engine, ref, "mark_complete", COMPLETE_AT, f"missing paper original: {LABELS[FORM]}")
    engine.receive_original(ref, PaperOriginal(FORM, date(2021, 4, 26), False))
    assert_refused(engine, ref, "mark_complete", COMPLETE_AT, f"paper original not signed: {LABELS[FORM]}")
    # A signed original names its signer; the other pieces have no paper original.
    with pytest.raises(InvalidInput, match="signed_by"):
        PaperOriginal(FORM, date(2021, 4, 26), True)
    before = engine.get(ref)
    with pytest.raises(InvalidInput, match="no paper original"):
        engine.receive_original(ref, PaperOriginal("rib", date(2021, 4, 26), True, "Claire Dupont"))
    assert engine.get(ref) == before
    engine.receive_original(ref, signed_form(date(2021, 4, 28)))
    assert engine.fire(ref, "mark_complete", at=COMPLETE_AT).state == "complete"
    assert engine.get(ref).originals[0].signed_by == "Claire Dupont"


# -- The selection committee -------------------------------------------------------------------


def test_rule_committee_chaired_by_vice_president() -> None:
    assert CAMPAIGN.committee.name == "comité de sélection"
    assert CAMPAIGN.committee.chair_role == CHAIR_ROLE
    engine = Engine(CAMPAIGN)
    with pytest.raises(Refused) as info:
        engine.record_session(session(chair_role="Président de la Communauté d'Agglomération de Lens-Liévin"))
    assert any(
        "the committee must be chaired by the Vice-Président en charge de la Cohésion sociale" in r
        for r in info.value.reasons
    )
    assert engine.sessions == {}
    assert engine.record_session(session()).chair_role == CHAIR_ROLE
    assert list(engine.sessions) == [SESSION_ID]


def test_rule_committee_member_categories() -> None:
    assert [(c.key, c.label) for c in CAMPAIGN.committee.categories] == [
        ("personnalites", "personnalités reconnues pour leur action en faveur de la Politique de la Ville"),
        ("elus", "élus"),
        ("techniciens", "techniciens de la CALL"),
        ("habitants", "habitants"),
    ]
    engine = Engine(CAMPAIGN)
    with pytest.raises(Refused) as info:
        engine.record_session(session(categories=("personnalites", "elus", "techniciens")))
    assert "no member of the category 'habitants' is present" in info.value.reasons
    with pytest.raises(Refused) as info:
        engine.record_session(session(categories=("personnalites", "elus", "techniciens", "habitants", "journalistes")))
    assert any("unknown member category 'journalistes'" in r for r in info.value.reasons)
    assert engine.sessions == {}
    engine.record_session(session())
    categories = {m.category for m in engine.sessions[SESSION_ID].members}
    assert categories == {"personnalites", "elus", "techniciens", "habitants"}


def test_rule_only_complete_dossiers_heard() -> None:
    assert CAMPAIGN.committee.only_complete_dossiers is True
    engine, ref = bring_to("instructed")
    engine.record_session(session())
    # The signed original is replaced by an unsigned one after the instruction: the dossier is no longer complete.
    engine.receive_original(ref, PaperOriginal(FORM, date(2021, 5, 20), False))
    assert_refused(engine, ref, "hear", HEAR_AT, f"paper original not signed: {LABELS[FORM]}", session=SESSION_ID)
    engine.receive_original(ref, signed_form(date(2021, 5, 21)))
    assert engine.fire(ref, "hear", at=HEAR_AT, session=SESSION_ID).state == "audited"
    # A dossier sent back for pieces is no longer instructed: it cannot be heard at all.
    engine, ref = bring_to("instructed", engine=engine, who=applicant("Association B"))
    engine.fire(ref, "return_for_pieces", at=at(2021, 5, 25), issues=[{"key": "rib", "reason": "outdated"}])
    assert engine.get(ref).state == "submitted"
    with pytest.raises(IllegalTrigger):
        engine.fire(ref, "hear", at=HEAR_AT, session=SESSION_ID)


def test_rule_every_dossier_heard_before_approval() -> None:
    engine, ref = bring_to("instructed")
    before = engine.get(ref)
    with pytest.raises(IllegalTrigger):
        engine.fire(ref, "approve", at=APPROVE_AT)
    assert engine.get(ref) == before
    assert_refused(engine, ref, "hear", HEAR_AT, "no committee session 'comite-inconnu'", session="comite-inconnu")
    engine.record_session(session())
    assert engine.fire(ref, "hear", at=HEAR_AT, session=SESSION_ID).hearing == SESSION_ID
    assert engine.fire(ref, "approve", at=APPROVE_AT).state == "approved"


def test_rule_reject_needs_motivation() -> None:
    engine, ref = bring_to("audited")
    assert_refused(engine, ref, "reject", APPROVE_AT, "a rejection needs a written motivation")
    assert_refused(engine, ref, "reject", APPROVE_AT, "a rejection needs a written motivation", motivation="   ")
    motivation = "Action déjà financée par la programmation du Contrat de Ville."
    rejected = engine.fire(ref, "reject", at=APPROVE_AT, motivation=motivation)
    assert (rejected.state, rejected.decision_note) == ("rejected", motivation)
    assert engine.history(ref)[-1].payload == {"motivation": motivation}


# -- CALENDRIER PREVISIONNEL ---------------------------------------------------------------------


def test_rule_provisional_calendar_dates() -> None:
    cal = CAMPAIGN.calendar
    assert cal.launch == date(2021, 3, 8)
    assert cal.deadline == date(2021, 4, 30)
    assert (cal.instruction.start, cal.instruction.end) == (date(2021, 5, 1), date(2021, 5, 31))
    assert (cal.jury.start, cal.jury.end) == (date(2021, 6, 1), date(2021, 6, 30))
    assert (cal.deliberation.start, cal.deliberation.end) == (date(2021, 9, 1), date(2021, 9, 30))
    assert all(cal.window(n).is_whole_months() for n in ("instruction", "jury", "deliberation"))


def test_rule_launch_on_8_march_2021() -> None:
    engine = Engine(CAMPAIGN)
    ref = engine.create_dossier(applicant(), application()).reference
    engine.attach(ref, PieceReceipt(FORM, date(2021, 3, 7)))
    assert_refused(engine, ref, "submit", at(2021, 3, 7, 23, 59, 59), "the call opens on 2021-03-08 (Paris time)")
    assert engine.fire(ref, "submit", at=at(2021, 3, 8, 0, 0, 0)).state == "submitted"


def test_rule_submission_deadline_is_30_april_inclusive_paris_time() -> None:
    engine = Engine(CAMPAIGN)

    def drafted() -> str:
        ref = engine.create_dossier(applicant(), application()).reference
        engine.attach(ref, PieceReceipt(FORM, date(2021, 4, 30)))
        return ref

    late = "the submission deadline was 2021-04-30 at midnight (Paris time)"
    assert engine.fire(drafted(), "submit", at=at(2021, 4, 30, 23, 59, 59)).state == "submitted"
    assert_refused(engine, drafted(), "submit", at(2021, 5, 1, 0, 0, 0), late)
    # The same instants written in UTC: Paris is UTC+2 in April (summer time).
    assert engine.fire(drafted(), "submit", at=datetime(2021, 4, 30, 21, 59, 59, tzinfo=UTC)).state == "submitted"
    assert_refused(engine, drafted(), "submit", datetime(2021, 4, 30, 22, 0, 0, tzinfo=UTC), late)


def test_rule_instruction_in_may_2021() -> None:
    engine, ref = bring_to("submitted")
    for key in OTHER_PIECES:
        engine.attach(ref, PieceReceipt(key, date(2021, 4, 20)))
    engine.receive_original(ref, signed_form())
    engine.fire(ref, "mark_complete", at=at(2021, 4, 30, 18))
    window = "the instruction runs from 2021-05-01 to 2021-05-31 (Paris time)"
    assert_refused(engine, ref, "instruct", at(2021, 4, 30, 23, 59, 59), window)
    assert_refused(engine, ref, "instruct", at(2021, 6, 1, 0, 0, 0), window)
    assert engine.fire(ref, "instruct", at=at(2021, 5, 31, 23, 59, 59)).state == "instructed"
    # A dossier can be completed until the end of the instruction, not later.
    engine, ref = bring_to("submitted")
    for key in OTHER_PIECES:
        engine.attach(ref, PieceReceipt(key, date(2021, 4, 20)))
    engine.receive_original(ref, signed_form())
    assert_refused(
        engine, ref, "mark_complete", at(2021, 6, 1, 9),
        "a dossier can be completed until the end of the instruction, 2021-05-31",
    )  # fmt: skip


def test_rule_jury_in_june_2021() -> None:
    engine, ref = bring_to("instructed")
    for day in (date(2021, 5, 31), date(2021, 7, 1)):
        with pytest.raises(Refused) as info:
            engine.record_session(session(id=f"comite-{day}", day=day))
        outside = f"the session's day {day} is outside the jury window (2021-06-01 to 2021-06-30)"
        assert any(outside in r for r in info.value.reasons)
    assert engine.sessions == {}
    engine.record_session(session())
    window = "the jury runs from 2021-06-01 to 2021-06-30 (Paris time)"
    assert_refused(engine, ref, "hear", at(2021, 7, 1, 10), window, "sits on 2021-06-15", session=SESSION_ID)
    engine.fire(ref, "hear", at=HEAR_AT, session=SESSION_ID)
    assert_refused(engine, ref, "approve", at(2021, 7, 1, 10), window)
    assert engine.fire(ref, "approve", at=at(2021, 6, 30, 23, 59, 59)).state == "approved"


def test_rule_deliberation_in_september_2021() -> None:
    engine, ref = bring_to("approved")
    for day in (date(2021, 8, 31), date(2021, 10, 1)):
        with pytest.raises(Refused) as info:
            deliberate(engine, ref, day=day)
        assert any("outside the deliberation window (2021-09-01 to 2021-09-30)" in r for r in info.value.reasons)
    assert engine.deliberations == []
    deliberate(engine, ref, day=date(2021, 9, 1))
    assert engine.deliberation_day(ref) == date(2021, 9, 1)


def test_rule_calendar_amendment_needs_reason() -> None:
    engine, ref = bring_to("instructed")
    for reason in ("", "   "):
        with pytest.raises(InvalidInput, match="needs a reason"):
            engine.amend_calendar("jury", date(2021, 6, 1), date(2021, 7, 9), reason=reason, at=at(2021, 6, 10))
    assert engine.amendments == []
    assert engine.calendar == CAMPAIGN.calendar
    amendment = engine.amend_calendar(
        "jury", date(2021, 6, 1), date(2021, 7, 9),
        reason="Comité reporté : indisponibilité du Vice-Président", at=at(2021, 6, 10), actor="service PdV",
    )  # fmt: skip
    assert amendment.reason.startswith("Comité reporté")
    assert engine.calendar.jury.end == date(2021, 7, 9)
    assert CAMPAIGN.calendar.jury.end == date(2021, 6, 30)  # the call itself is unchanged
    engine.record_session(session(id="comite-2021-07-05", day=date(2021, 7, 5)))
    assert engine.fire(ref, "hear", at=at(2021, 7, 5, 14), session="comite-2021-07-05").state == "audited"


def test_rule_calendar_amendment_keeps_the_calendar_in_order() -> None:
    engine, _ = bring_to("submitted")
    with pytest.raises(Refused) as info:
        engine.amend_calendar("instruction", date(2021, 4, 1), date(2021, 4, 15), reason="x", at=at(2021, 4, 20))
    assert info.value.reasons == ("the instruction ends before the submission deadline",)
    assert engine.amendments == [] and engine.calendar == CAMPAIGN.calendar


# -- Payment: « Délibération pour versement des subventions » ----------------------------------------


def test_rule_pay_after_deliberation() -> None:
    engine, ref = bring_to("approved")
    assert_refused(engine, ref, "pay", at(2021, 9, 20), "no deliberation grants this dossier yet")
    deliberate(engine, ref)
    assert_refused(
        engine, ref, "pay", at(2021, 9, 26, 23, 59, 59), "payment is possible from the deliberation of 2021-09-27"
    )
    paid = engine.fire(ref, "pay", at=at(2021, 9, 27, 8), reference="MANDAT-1")
    assert (paid.state, paid.paid) == ("paid", Decimal("20000.00"))
    # The deliberation only grants approved dossiers.
    engine2, draft = bring_to("audited")
    with pytest.raises(Refused) as info:
        deliberate(engine2, draft)
    assert f"{draft} is audited, not approved" in info.value.reasons
    assert engine2.deliberations == []


def test_rule_rib_needed_for_payment() -> None:
    engine, ref = bring_to("approved", who=applicant(iban=None))
    deliberate(engine, ref)
    assert_refused(engine, ref, "pay", PAY_AT, "no IBAN is recorded for the applicant")
    # A wrong IBAN never gets in: it is refused with the applicant, before anything is recorded.
    with pytest.raises(InvalidInput, match="is not a valid IBAN"):
        Engine(CAMPAIGN).create_dossier(applicant(iban="FR76 0000"))


def test_rule_convention_above_23000() -> None:
    assert CAMPAIGN.funding.convention_threshold == Decimal("23000.00")
    engine = Engine(CAMPAIGN)
    # Exactly 23 000 €: no convention needed.
    at_threshold = application(total_cost=Decimal("46000.00"), requested=Decimal("23000.00"))
    _, a = bring_to("approved", engine=engine, who=applicant("Association A"), app=at_threshold)
    # 23 000,01 €: a signed convention before the first payment.
    above = application(total_cost=Decimal("46000.02"), requested=Decimal("23000.01"))
    _, b = bring_to("approved", engine=engine, who=applicant("Association B"), app=above)
    assert (engine.get(a).approved, engine.get(b).approved) == (Decimal("23000.00"), Decimal("23000.01"))
    deliberate(engine, a, b)
    assert engine.fire(a, "pay", at=PAY_AT).state == "paid"
    needs = "the grant (23 000,01 € this year) is above 23 000,00 €: a signed convention must be recorded"
    assert_refused(engine, b, "pay", PAY_AT, needs)
    engine.record_convention(Convention(b, "CONV-2021-017", date(2021, 10, 6)))
    assert_refused(
        engine, b, "pay", PAY_AT, "the convention CONV-2021-017 is signed on 2021-10-06, after the payment date"
    )
    assert engine.fire(b, "pay", at=at(2021, 10, 6, 15)).state == "paid"
    # The threshold counts what the same applicant receives in the year: 2 × 15 000 € = 30 000 €.
    engine = Engine(CAMPAIGN)
    same = applicant("Association C", siren="732829320")
    small = application(total_cost=Decimal("30000.00"), requested=Decimal("15000.00"))
    _, c1 = bring_to("approved", engine=engine, who=same, app=small)
    _, c2 = bring_to("approved", engine=engine, who=same, app=small)
    deliberate(engine, c1, c2)
    assert_refused(engine, c1, "pay", PAY_AT, "the grant (30 000,00 € this year) is above 23 000,00 €")


def test_rule_partial_payment_stays_approved() -> None:
    engine, ref = bring_to("approved")
    deliberate(engine, ref)
    first = engine.fire(ref, "pay", at=PAY_AT, amount="16000.00", reference="MANDAT-1")
    assert (first.state, first.paid) == ("approved", Decimal("16000.00"))
    assert engine.totals().paid == Decimal("16000.00")
    assert engine.totals().to_pay == Decimal("4000.00")
    assert_refused(
        engine, ref, "pay", at(2022, 7, 4),
        "paying 5 000,00 € would exceed the grant: 20 000,00 € granted, 16 000,00 € already paid",
        amount="5000.00",
    )  # fmt: skip
    balance = engine.fire(ref, "pay", at=at(2022, 7, 4), reference="MANDAT-2")
    assert (balance.state, balance.paid, len(balance.payments)) == ("paid", Decimal("20000.00"), 2)


def test_rule_withdraw_refused_after_first_payment() -> None:
    engine, ref = bring_to("approved")
    deliberate(engine, ref)
    engine.fire(ref, "pay", at=PAY_AT, amount="16000.00")
    assert_refused(
        engine, ref, "withdraw", at(2021, 11, 2),
        "a first payment was made on 2021-10-05: the dossier can no longer be withdrawn",
    )  # fmt: skip
    engine.fire(ref, "pay", at=at(2022, 7, 4))
    with pytest.raises(IllegalTrigger):
        engine.fire(ref, "withdraw", at=at(2022, 7, 5))
    # Before any payment an approved dossier may be withdrawn, and its grant returns to the envelope.
    engine, ref = bring_to("approved")
    assert engine.totals().approved == Decimal("20000.00")
    assert engine.fire(ref, "withdraw", at=at(2021, 7, 1), reason="Action annulée").state == "withdrawn"
    assert engine.totals().approved == Decimal("0.00")


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


def test_call_whole_life_of_a_dossier_on_the_call_dates() -> None:
    engine, ref = bring_to("approved", criteria=("jeunes_ou_femmes", "participation_habitants"))
    deliberate(engine, ref)
    engine.fire(ref, "pay", at=PAY_AT)
    assert [(e.trigger, e.dest) for e in engine.history(ref)] == [
        ("submit", "submitted"),
        ("mark_complete", "complete"),
        ("instruct", "instructed"),
        ("hear", "audited"),
        ("approve", "approved"),
        ("pay", "paid"),
    ]
