"""A realistic sample campaign, generated from a fixed seed, walked through the 2021 calendar.

``ami-workflow demo`` runs :func:`run_demo`: about 30 associations apply to the
2021 call over many QPV and all 4 axes. Among them: a complete dossier, a late
one, one missing its statutes, one under the 60 % public, one from a kind the
call does not accept, one asking more than its ceiling, one withdrawn, one
above 23 000 € with its convention, one paid in two instalments, and enough
requests to press on the 150 000 € envelope so that the committee's batch
approval must allocate it by the call's policy. Each association's board lists
are recorded from its pieces; an elected member of the committee sits on the
first one's board, so the chair confirms the conflict and the member is
recused; the committee scores and ranks; the council's deliberation reduces
one grant and refuses one proposal, and becomes enforceable the next day. In 2022,
two comptes rendus financiers are accepted: one grant is closed (soldé), the other,
60 % spent, is settled pro rata and the rest recovered through a titre de recette.
Every application carries a balanced forecast budget on the CERFA n° 12156
lines, its line 74 EPCI the amount asked of the CALL.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from stdnum import iban as _iban
from stdnum import luhn

from .board import BoardMember
from .budget import Budget
from .calendar import PARIS, FixedClock
from .campaign import Campaign
from .committee import CommitteeSession, Member
from .decisions import Convention, Deliberation
from .dossier import Applicant, Application, CoFunding, Period
from .errors import InvalidInput, Refused
from .i18n import _, format_day, format_decimal, format_money, ngettext
from .pieces import PaperOriginal
from .protocol import Backend
from .schedule import PaymentStage

__all__ = ["SampleDossier", "run_demo", "sample_dossiers"]

_NAMES = [
    "Les Ateliers du 12-14", "Solidarité Cité 4", "Bully Sport Insertion", "Parents Relais Liévin",
    "Numérique Pour Tous Lens", "La Passerelle Avion", "Femmes Actives du Bassin", "Jeunes en Mouvement Harnes",
    "Mobilité Solidaire Gohelle", "Le Tiers-Lieu des Provinces", "Santé Quartiers Sallaumines",
    "Culture et Emploi Wingles",
    "Les Petits Débrouillards Artois", "Accueil Écoute Méricourt", "Lire et Écrire Grenay", "Boxe Éducative Lens",
    "Cuisine Partagée Cité 2", "Réussite Éducative Avion", "Addictions Prévention Liévin", "Vélo Pour l'Emploi",
    "Théâtre des Cités", "Le Pass Numérique Mazingarbe", "Maraudes Solidaires Loos", "Écrans Malins",
    "Danse et Insertion Sains", "Club Informatique Billy", "Mères Courage Hulluch", "Atelier Santé Mentale Angres",
    "Jardins Partagés Fouquières", "Amicale des Locataires Cité 10",
]
_COLLECTIVE = "Collectif des habitants du 3/15"
_TITLES = {
    "insertion": [
        "Chantier d'insertion par le sport", "Permis et mobilité vers l'emploi", "Coaching emploi des femmes",
    ],
    "education": ["Aide aux devoirs et parentalité", "Ateliers parents-enfants", "Réussite éducative au collège"],
    "sante": ["Prévention des addictions", "Accès aux soins pour tous", "Écoute et santé mentale"],
    "numerique": ["Ateliers numériques parents", "Accompagnement aux démarches en ligne", "Tiers-lieu numérique"],
}
_SIGNERS = ["Claire Dupont", "Karim Benali", "Sophie Martin", "Jean Leroy", "Nadia Haddad", "Paul Lefebvre"]
_TREASURERS = ["Yasmine Roussel", "Marc Delattre", "Léa Caron", "Hugo Lemaire", "Inès Vasseur", "Théo Duhamel",
               "Chloé Dewailly"]
#: The committee of the demo's session: one member per category, and a second elected member (so that the
#: committee still has one once the first is recused).
_MEMBERS = (("Mme Personnalité", "personnalites"), ("M. l'Élu", "elus"), ("Mme la Technicienne", "techniciens"),
            ("M. l'Habitant", "habitants"), ("Mme la Conseillère", "elus"))

#: The special cases the demo must show, by position in the list.
SCENARIOS = {
    0: "complete",
    1: "late",
    2: "missing_statutes",
    3: "under_60",
    4: "wrong_kind",
    5: "above_ceiling",
    6: "withdrawn",
    7: "convention",
    8: "two_instalments",
}


@attrs.frozen
class SampleDossier:
    applicant: Applicant
    application: Application
    scenario: str
    criteria: tuple[str, ...]


def _siren(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    return body + luhn.calc_check_digit(body)


def _iban_fr(rng: random.Random) -> str:
    bank, branch = rng.randrange(10000, 99999), rng.randrange(10000, 99999)
    account = rng.randrange(10**10, 10**11)
    key = 97 - (89 * bank + 15 * branch + 3 * account) % 97
    bban = f"{bank:05d}{branch:05d}{account:011d}{key:02d}"
    number = "FR" + _iban.calc_check_digits("FR00" + bban) + bban
    assert _iban.is_valid(number)
    return number


def sample_dossiers(campaign: Campaign, seed: int = 2021, count: int = 30) -> list[SampleDossier]:
    """``count`` realistic dossiers for ``campaign``, the same for the same seed."""
    rng = random.Random(seed)
    codes = sorted(campaign.territory.codes())
    axes = [a.key for a in campaign.axes]
    criteria_keys = [c.key for c in campaign.funding.criteria]
    out = []
    for i in range(count):
        scenario = SCENARIOS.get(i, "normal")
        axis = axes[i % len(axes)]
        cost = Decimal(rng.randrange(8, 20) * 1000)
        share = Decimal(rng.choice([40, 45, 50, 55]))
        criteria = tuple(sorted(rng.sample(criteria_keys, rng.randrange(0, 3))))
        participants = rng.randrange(30, 200)
        residents = participants * rng.randrange(62, 95) // 100
        if scenario == "under_60":
            residents = participants * 45 // 100
        if scenario == "above_ceiling":
            share, criteria = Decimal(70), ()
        if scenario == "convention":
            cost, share, criteria = Decimal(90000), Decimal(50), ("innovante", "plusieurs_operateurs")
        kind = "collectif_habitants" if scenario == "wrong_kind" else "association"
        name = _COLLECTIVE if scenario == "wrong_kind" else _NAMES[i % len(_NAMES)]
        applicant = Applicant(
            name=f"Association {name}" if kind == "association" else name,
            kind=kind,
            siren=_siren(rng) if kind == "association" else None,
            rna=f"W62{rng.randrange(10**6, 10**7):07d}" if kind == "association" else None,
            iban=_iban_fr(rng),
            legal_representative=rng.choice(_SIGNERS),
        )
        start = date(2021, rng.choice([7, 9, 10]), 1)
        requested = (cost * share / 100).quantize(Decimal("1"))
        state_share = (cost * Decimal("0.2")).quantize(Decimal("1")) if i % 3 == 0 else Decimal(0)
        application = Application(
            title=rng.choice(_TITLES[axis]),
            axis=axis,
            qpv_codes=tuple(sorted(rng.sample(codes, rng.choice([1, 1, 2])))),
            period=Period(start, date(start.year + 1, start.month - 1 if start.month > 1 else 12, 28)),
            total_cost=cost,
            requested=requested,
            participants=participants,
            qpv_residents=residents,
            young=participants * rng.randrange(20, 70) // 100,
            women=participants * rng.randrange(30, 70) // 100,
            sourcing="Repérage par les centres sociaux, les bailleurs et les collèges du quartier; porte-à-porte.",
            cofunding=(CoFunding("État (crédits Politique de la Ville)", state_share),) if state_share else (),
            budget=_forecast(cost, requested, state_share),
        )
        out.append(SampleDossier(applicant, application, scenario, criteria))
    return out


def _forecast(cost: Decimal, requested: Decimal, state: Decimal) -> Budget:
    """A balanced CERFA n° 12156 budget of ``cost``: purchases, outside services, staff, volunteering in kind;
    the CALL's ``requested`` on line 74 EPCI, the State's share, the association's own funds and the commune
    for the rest."""
    purchases, services = (cost * Decimal("0.15")).quantize(Decimal("1")), (cost * Decimal("0.1")).quantize(
        Decimal("1"))
    own = min(cost - requested - state, (cost * Decimal("0.05")).quantize(Decimal("1")))
    volunteering = Decimal(1500)
    return Budget(
        charges={"60": purchases, "61": services, "64": cost - purchases - services, "86": volunteering},
        products={"74.epci": requested, "74.etat": state, "74.commune": cost - requested - state - own, "75": own,
                  "87": volunteering},
    )


def _at(month: int, day: int, hour: int = 10, year: int = 2021) -> datetime:
    return datetime(year, month, day, hour, tzinfo=PARIS)


def _score(flow: Backend, campaign: Campaign, session: CommitteeSession, heard: list[str], rng: random.Random,
           echo: Callable[[str], None]) -> None:
    """Each member present marks each heard dossier on the call's grid (a draw, steadier for the better
    dossiers: more QPV residents, more confirmed bonus criteria), then the committee's ranking is told."""
    grid = campaign.committee.grid
    if grid is None or not heard:
        return
    for ref in heard:
        dossier = flow.get(ref)
        app = dossier.application
        confirmed = len(dossier.instruction.criteria) if dossier.instruction else 0
        share = (app.qpv_residents or 0) / (app.participants or 1)
        base = 1 + confirmed // 2 + (1 if share >= 0.8 else 0)
        recused = {c.member for c in flow.conflicts(session=session.id)
                   if c.dossier == ref and c.status == "confirmed"}
        for index, member in enumerate(session.members):
            if index in recused:
                continue
            marks = {c.key: min(grid.scale_max, max(0, base + rng.randint(0, 2))) for c in grid.criteria}
            flow.record_scores(ref, session.id, member.name, marks, actor="jury",
                               opinion="Avis favorable." if sum(marks.values()) > 3 * len(marks) else "Avis réservé.")
    ranking = flow.ranking()
    echo(ngettext("  the committee scored {count} dossier on its grid; the ranking:",
                  "  the committee scored {count} dossiers on its grid; the ranking:", len(ranking)).format(
        count=len(ranking)))
    for ranked in ranking[:3]:
        echo(_("    {rank}. {ref}: {result} out of {top}").format(
            rank=ranked.rank, ref=ranked.reference, result=format_decimal(ranked.result, 2), top=grid.scale_max))
    if len(ranking) > 3:
        echo(_("    … and {count} more (ami-workflow ranking)").format(count=len(ranking) - 3))


#: The council's motivation for the proposal it refuses (CRPA L211-2).
_MOTIVATION = "Le conseil réserve l'enveloppe aux actions les mieux classées par le comité de sélection."


def _record_board(flow: Backend, campaign: Campaign, ref: str, signer: str, i: int) -> None:
    """The association's board and bureau, from its pieces; the first one has an elected member of the
    committee on its board (written as the association's list has it: capitals, no accent)."""
    committee = campaign.committee
    dossier = flow.get(ref)
    if not committee.board_piece or dossier.piece(committee.board_piece) is None or (
            committee.bureau_piece and dossier.piece(committee.bureau_piece) is None):
        return
    treasurer = _TREASURERS[i % len(_TREASURERS)]
    board = [BoardMember(signer, "président(e)"), BoardMember(treasurer, "trésorier(ère)"),
             BoardMember(signer, "président(e)", "bureau"), BoardMember(treasurer, "trésorier(ère)", "bureau")]
    if i == 0:
        board.append(BoardMember("M. L'ELU", "administrateur"))
    flow.record_board(ref, board, actor="accueil")


def _deliberate(flow: Backend, refs: list[str], scenario: dict[str, str], echo: Callable[[str], None]) -> list[str]:
    """The council's deliberation on the jury's proposals: it reduces the best-ranked ordinary grant by a tenth,
    refuses the last-ranked ordinary one, and lists the recused elected members as not taking part. Returns the
    dossiers it grants."""
    proposed = [r for r in refs if flow.get(r).state == "approved"]
    ranks = {r.reference: r.rank for r in flow.ranking()}
    ordinary = sorted((r for r in proposed if scenario[r] == "normal"), key=lambda r: ranks.get(r, 10**6))
    amounts: dict[str, Decimal] = {}
    proposals: dict[str, Decimal] = {}
    refused: tuple[str, ...] = ()
    if len(ordinary) >= 2:
        best, last = ordinary[0], ordinary[-1]
        proposals[best] = flow.get(best).approved or Decimal(0)
        amounts[best] = (proposals[best] * Decimal("0.9")).quantize(Decimal("1"))
        refused = (last,)
    elected = flow.campaign.committee.elected_category
    sessions = {s.id: s for s in flow.sessions()}
    absent = tuple(dict.fromkeys(
        c.name for c in flow.conflicts() if c.status == "confirmed" and c.dossier in proposed
        and sessions[c.session].members[c.member].category == elected))
    granted = [r for r in proposed if r not in refused]
    flow.record_deliberation(
        Deliberation("DEL-2021-09-27-042", date(2021, 9, 27), granted, amounts, refused, absent),
        motivations={r: _MOTIVATION for r in refused}, actor="demo")
    for ref, amount in amounts.items():
        echo(_("  the council grants {ref} {amount} instead of the {proposal} proposed").format(
            ref=ref, amount=format_money(amount), proposal=format_money(proposals[ref])))
    for ref in refused:
        echo(_("  the council refuses {ref}: its amount goes back to the envelope").format(ref=ref))
    if absent:
        echo(_("  not taking part in the deliberation (interested): {names}").format(names=", ".join(absent)))
    return granted


def run_demo(
    flow: Backend,
    echo: Callable[[str], None] = print,
    *,
    seed: int = 2021,
    count: int = 30,
    tick: Callable[[], None] = lambda: None,
) -> list[str]:
    """Create the sample dossiers in ``flow`` and walk them through the 2021 calendar; returns their references.

    The store's clock must be a :class:`~ami_workflow.calendar.FixedClock`:
    the walk moves it forward, day by day, as a simulation of 2021 (the store
    dates every event by its clock). ``echo`` receives one line per event
    worth telling; ``tick`` is called once per dossier and phase (for a
    progress bar).
    """
    clock = flow.clock
    if not isinstance(clock, FixedClock):
        raise InvalidInput(_("the demo walks 2021 on a simulated clock: open the store with clock=FixedClock(...)"))
    campaign = flow.campaign
    samples = sample_dossiers(campaign, seed, count)
    refs: list[str] = []
    scenario: dict[str, str] = {}

    def attempt(ref: str, trigger: str, at: datetime, **data: Any) -> bool:
        clock.set(max(at, clock.now()))
        try:
            flow.fire(ref, trigger, actor="demo", **data)
            return True
        except Refused as refused:
            echo(_("  {ref}: `{trigger}` refused on {day}:").format(
                ref=ref, trigger=trigger, day=format_day(at.date())))
            for reason in refused.reasons:
                echo(f"    - {reason}")
            return False

    def spread(first: datetime, days: int, i: int) -> datetime:
        """The i-th of ``count`` days spread over ``days`` days from ``first``, in order."""
        return first + timedelta(days=i * days // max(count, 1))

    echo(_("== March-April 2021: {count} dossiers are drafted, completed and submitted").format(count=count))
    for i, sample in enumerate(samples):
        clock.set(spread(_at(3, 9), 20, i))
        refs.append(flow.create_dossier(sample.applicant, sample.application, actor="demo").reference)
        scenario[refs[-1]] = sample.scenario
    late: list[str] = []
    for i, (ref, sample) in enumerate(zip(refs, samples, strict=True)):
        clock.set(spread(_at(4, 1, 9), 28, i))
        signer = sample.applicant.legal_representative or "représentant légal"
        for piece in campaign.pieces:
            if piece.key == "statuts" and sample.scenario == "missing_statutes":
                continue
            if piece.applies_to(sample.applicant.kind):
                flow.attach(ref, piece.key, f"{piece.label}\n{sample.applicant.name}".encode(),
                            filename=f"{piece.key}.pdf", media_type="application/pdf", actor="accueil")
        flow.receive_original(ref, PaperOriginal("dossier_demande", clock.now().date(), True, signer,
                                                 "représentant légal"), actor="accueil")
        _record_board(flow, campaign, ref, signer, i)
        if sample.scenario == "late":
            late.append(ref)
        elif attempt(ref, "submit", clock.now() + timedelta(hours=1)):
            echo(_("  {ref} submitted on {day} by {name} (scenario `{scenario}`)").format(
                ref=ref, day=format_day(clock.now().date()), name=sample.applicant.name, scenario=sample.scenario))
        tick()
    for ref in late:
        if attempt(ref, "submit", _at(5, 3)):
            echo(_("  {ref} submitted on {day} (scenario `{scenario}`)").format(
                ref=ref, day=format_day(clock.now().date()), scenario=scenario[ref]))

    echo(_("== May 2021: instruction"))
    for ref in refs:
        if flow.get(ref).state == "submitted":
            attempt(ref, "mark_complete", _at(5, 4))
    for i, (ref, sample) in enumerate(zip(refs, samples, strict=True)):
        if flow.get(ref).state == "complete":
            attempt(ref, "instruct", spread(_at(5, 12), 15, i), criteria=list(sample.criteria))
        dossier = flow.get(ref)
        if dossier.instruction is not None and dossier.application.requested != dossier.instruction.proposed:
            echo(_("  {ref} asks {requested}; proposal capped at its ceiling {ceiling}").format(
                ref=ref, requested=format_money(dossier.application.requested or Decimal(0)),
                ceiling=format_money(dossier.instruction.ceiling)))
        tick()

    echo(_("== June 2021: the selection committee hears the complete dossiers; the jury approves"))
    known = {c.key for c in campaign.committee.categories}
    members = tuple(Member(name, key) for name, key in _MEMBERS if key in known)
    session = CommitteeSession("comite-2021-06-15", date(2021, 6, 15), "Vice-Président",
                               campaign.committee.chair_role, members)
    clock.set(_at(6, 15, 9))
    flow.record_session(session, actor="demo")
    for conflict in flow.conflicts(session=session.id):
        flow.rule_conflict(conflict.dossier, session.id, conflict.name, confirmed=True, actor="demo",
                           reason="Membre du conseil d'administration de l'association : il se déporte.")
        echo(_("  conflict of interest: {grounds}; the chair confirms it, {name} is recused for {ref}").format(
            grounds="; ".join(conflict.grounds), name=conflict.name, ref=conflict.dossier))
    for ref in refs:
        state = flow.get(ref).state
        if state == "instructed":
            attempt(ref, "hear", _at(6, 15, 9), session=session.id)
        elif state in ("submitted", "complete"):
            motivation = {
                "missing_statutes": "Dossier incomplet à la fin de l'instruction : statuts manquants.",
                "under_60": "Moins de 60 % des participants résident en QPV.",
                "wrong_kind": "L'AMI s'adresse aux associations.",
            }.get(scenario[ref], "Dossier non éligible.")
            attempt(ref, "reject", _at(6, 15, 9), motivation=motivation)
            echo(_("  {ref} rejected: {motivation}").format(ref=ref, motivation=motivation))
        tick()
    withdrawn = [r for r in refs if scenario[r] == "withdrawn"]
    for ref in withdrawn:
        attempt(ref, "withdraw", _at(6, 15, 11), reason="L'association renonce : partenaire principal retiré.")
        echo(_("  {ref} withdrawn by the applicant").format(ref=ref))
    heard = [r for r in refs if flow.get(r).state == "audited"]
    _score(flow, campaign, session, heard, random.Random(seed + 1), echo)
    echo(_("  the session's minutes (procès-verbal): ami-workflow minutes {session} -o pv.pdf").format(
        session=session.id))
    clock.set(_at(6, 15, 17))
    result = flow.approve_batch(heard, actor="jury")
    retained = ngettext("  jury: {count} project retained, {amount}", "  jury: {count} projects retained, {amount}",
                        len(result.approved)).format(count=len(result.approved),
                                                     amount=format_money(sum(result.approved.values(), Decimal(0))))
    echo(retained + (_(" (requests above the envelope: allocated by the call's policy, `{policy}`)").format(
        policy=result.policy) if result.scaled else ""))
    for ref in result.unfunded:
        echo(_("  {ref} not funded: its share of the envelope rounds to {zero}").format(
            ref=ref, zero=format_money(Decimal(0))))

    echo(_("== September 2021: the council's deliberation; conventions above {threshold}").format(
        threshold=format_money(campaign.funding.convention_threshold)))
    clock.set(_at(9, 27, 18))
    approved = _deliberate(flow, refs, scenario, echo)
    threshold = campaign.funding.convention_threshold
    clock.set(_at(9, 29, 18))
    flow.declare_enforceable("DEL-2021-09-27-042", date(2021, 9, 28), actor="demo")
    echo(_("  the deliberation is transmitted to the prefecture and published on {day}: it is enforceable").format(
        day=format_day(date(2021, 9, 28))))
    for ref in approved:
        if (flow.get(ref).approved or Decimal(0)) > threshold:
            flow.record_convention(Convention(ref, f"CONV-2021-{ref[-3:]}", date(2021, 9, 29)), actor="demo")
            grant = format_money(flow.get(ref).approved or Decimal(0))
            echo(_("  {ref} convention {convention} signed (grant {grant})").format(
                ref=ref, convention=f"CONV-2021-{ref[-3:]}", grant=grant))

    echo(_("== Payments"))
    second: list[tuple[str, Decimal]] = []
    for ref in approved:
        granted = flow.get(ref).approved or Decimal(0)
        if scenario[ref] == "two_instalments":
            first = (granted * Decimal("0.6")).quantize(Decimal("0.01"))
            attempt(ref, "pay", _at(10, 4), amount=first, reference=f"MANDAT-{ref[-3:]}-1")
            second.append((ref, first))
        else:
            attempt(ref, "pay", _at(10, 4), reference=f"MANDAT-{ref[-3:]}")
        tick()
    for ref, first in second:
        attempt(ref, "pay", _at(3, 15, year=2022), reference=f"MANDAT-{ref[-3:]}-2")
        echo(_("  {ref} paid in two instalments: {first} then {second}").format(
            ref=ref, first=format_money(first), second=format_money(flow.get(ref).paid - first)))
    reduced = {r for d in flow.deliberations() for r in d.amounts}
    _after_the_grant(flow, [r for r in approved if scenario[r] == "normal" and r not in reduced
                            and flow.get(r).paid > 0], attempt, echo)
    return refs


#: The usual payment schedule, which ``ami-workflow demo`` gives the 2021 call (whose text says nothing of it): an
#: advance of 80 % once the grant is enforceable, the balance once the compte rendu financier is accepted.
USUAL_SCHEDULE = (PaymentStage("avance", Decimal("80"), "grant"),
                  PaymentStage("solde", Decimal("20"), "report_accepted"))


def with_usual_schedule(campaign: Campaign) -> Campaign:
    """``campaign`` paying its grants by :data:`USUAL_SCHEDULE` (unless its file sets a schedule of its own)."""
    if campaign.funding.payment_schedule:
        return campaign
    return attrs.evolve(campaign, funding=attrs.evolve(campaign.funding, payment_schedule=USUAL_SCHEDULE))


def _after_the_grant(flow: Backend, paid: list[str], attempt: Callable[..., bool],
                     echo: Callable[[str], None]) -> None:
    """2022: the first paid dossier's compte rendu is accepted and the grant closed; the last one spent 60 % of its
    forecast, so the grant is settled pro rata and what was paid above goes through a recovery."""
    if len(paid) < 2:
        return
    clock = flow.clock
    assert isinstance(clock, FixedClock)
    echo(_("== 2022: comptes rendus financiers, a grant closed and a recovery"))
    done, short = paid[0], paid[-1]
    for ref, share in ((done, Decimal(1)), (short, Decimal("0.6"))):
        clock.set(max(_at(3, 21, year=2022), clock.now()))
        cost = ((flow.get(ref).application.total_cost or Decimal(0)) * share).quantize(Decimal("0.01"))
        application = flow.get(ref).application
        flow.record_financial_report(
            ref, date(2022, 3, 21), actor="demo", realised=Budget(charges={"64": cost}, products={"74.epci": cost}),
            participants=application.participants, qpv_residents=application.qpv_residents,
            young=application.young, women=application.women,
            evaluation="Action menée comme prévu." if share == 1 else "Action réduite de moitié au second semestre.")
        clock.set(_at(3, 25, year=2022))
        flow.review_financial_report(ref, accepted=True, actor="demo")
        echo(_("  {ref}: compte rendu financier received and accepted (realised charges {cost})").format(
            ref=ref, cost=format_money(cost)))
    before = flow.get(done).paid
    if before < (flow.get(done).approved or Decimal(0)) and attempt(done, "pay", _at(3, 25, year=2022),
                                                                     reference=f"MANDAT-{done[-3:]}-SOLDE"):
        echo(_("  {ref}: the balance of {balance} paid on the accepted compte rendu (advance {advance})").format(
            ref=done, balance=format_money(flow.get(done).paid - before), advance=format_money(before)))
    if attempt(done, "close", _at(3, 25, 11, year=2022)):
        echo(_("  {ref} closed (soldé): the compte rendu is accepted and the grant paid").format(ref=done))
    if attempt(short, "start_recovery", _at(3, 25, 11, year=2022), grounds="under_spent",
               observations_by=date(2022, 4, 11), note="60 % des charges prévues réalisées."):
        recovery = flow.get(short).recovery
        assert recovery is not None
        echo(_("  {ref}: recovery of {amount} opened, observations until {day}").format(
            ref=short, amount=format_money(recovery.amount), day=format_day(date(2022, 4, 11))))
        attempt(short, "order_recovery", _at(4, 12, year=2022), title="TR-2022-0001",
                motivation="Action réalisée à 60 % : subvention ramenée au prorata des dépenses (CRPA L242-2).")
        if attempt(short, "recover", _at(5, 2, year=2022), receipt="ENC-2022-0001"):
            echo(_("  {ref}: titre de recette TR-2022-0001 paid back on {day}").format(
                ref=short, day=format_day(date(2022, 5, 2))))
