"""The guards: every condition a trigger must meet, each returning its reasons in plain words.

A guard is a pure function of a :class:`GuardInput` (the dossier, the
instant, the trigger's data and the campaign :class:`Context`). It never
reads a clock, a file or a database, and returns an empty list when its
condition holds. Guards are picked by name from :data:`GUARDS`; the
triggers' default guards are in :data:`DEFAULT_GUARDS`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal

import attrs

from .boundary import checked
from .budget import line_label
from .calendar import paris_date, window_words
from .campaign import Campaign
from .committee import session_problems
from .conflicts import conflicts_at, hearing_problems
from .dossier import Application, Dossier
from .grant_guards import (
    bank_account,
    convention,
    deliberation,
    financial_reports,
    not_paid_yet,
    payment_amount,
    payment_schedule,
    recovery_decision,
    recovery_grounds,
    recovery_title,
    settled,
)
from .guard_input import Context, Guard, GuardInput
from .guard_input import day_words as _day
from .i18n import N_, _, format_day, format_decimal, format_money
from .identity import requirement_problems
from .money import ZERO
from .pieces import pieces_missing
from .rules import ceiling, cofunding_fits, qpv_share_met
from .shown import shown
from .triggers import (
    ApproveArgs,
    HearArgs,
    InstructArgs,
    RejectArgs,
    ReturnArgs,
)
from .workflow import DEFAULT_GUARDS

__all__ = [
    "CONTEXT_FIELDS",
    "DEFAULT_GUARDS",
    "GUARDS",
    "GUARD_READS",
    "GUARD_TRIGGERS",
    "Context",
    "Guard",
    "GuardInput",
    "context_reads",
    "dossier_ceiling",
    "eligibility_problems",
    "forecast_budget_problems",
    "run_guards",
]


def submission_window(g: GuardInput) -> list[str]:
    """The submission is made within the call's submission window, judged on its Paris date.
    Call: « 8 mars 2021 · Lancement de l'AMI » and « 30 avril 2021 · Date limite de dépôt des
    candidatures »; 23:59:59 on the deadline (Paris time) is on time, 00:00 the next day is late.
    """
    window = g.context.calendar.submission
    day = paris_date(g.at)
    if day < window.start:
        return [_("the call opens on {start} (Paris time); it is {today}").format(
            start=format_day(window.start), today=format_day(day))]
    if day > window.end:
        return [_("the submission deadline was {deadline} at midnight (Paris time); it is {today}").format(
            deadline=format_day(window.end), today=_day(g.at))]
    return []


#: The application's required fields (their keys, as in the dossier's data) and what a person calls them.
_REQUIRED: Mapping[str, str] = {
    "title": N_("the action's title"),
    "axis": N_("the priority axis"),
    "period": N_("the action's period (start and end)"),
    "total_cost": N_("the action's total cost"),
    "requested": N_("the amount requested"),
    "cost_nature": N_("the nature of the costs (operating costs)"),
    "participants": N_("the expected number of participants"),
    "qpv_residents": N_("the number of QPV residents among the participants"),
    "young": N_("the number of young people among the participants"),
    "women": N_("the number of women among the participants"),
}
#: The counts of the public that cannot exceed the participants.
_COUNTED: Mapping[str, str] = {"qpv_residents": N_("QPV residents"), "young": N_("young people"), "women": N_("women")}


def submission_content(g: GuardInput) -> list[str]:
    """The application is filled in: title, axis, period, costs, amount, publics and a target QPV.
    Also: the sourcing when the call requires it (« préciser les modalités de mobilisation et de
    ciblage de ces derniers »), no more QPV residents, young people or women than participants,
    an amount requested above 0, and that amount plus the other co-funding within the total cost.
    The forecast budget (CERFA n° 12156, « Budget du projet »), when given or required by the call
    (``funding.budget_required``), is balanced, its total is the total cost (« Montant total ») and
    its line for the funder (``funding.budget_line``) is the amount requested.
    """
    app = g.dossier.application
    campaign = g.campaign
    reasons = []
    for name, words in _REQUIRED.items():
        if getattr(app, name) is None:
            reasons.append(_("missing: {what} (field `{key}`)").format(what=_(words), key=name))
    if not app.qpv_codes:
        reasons.append(_("missing: at least one target QPV (field `qpv_codes`)"))
    if campaign.public.sourcing_required and not app.sourcing:
        reasons.append(_("missing: the sourcing, how the public will be mobilised and targeted (field `sourcing`)"))
    if app.participants is not None:
        for name, words in _COUNTED.items():
            count = getattr(app, name)
            if count is not None and count > app.participants:
                reasons.append(_("there are more {who} ({count}) than participants ({participants})").format(
                    who=_(words), count=count, participants=app.participants))
    if app.requested is not None and app.requested <= 0:
        reasons.append(_("the amount requested must be above 0"))
    if (
        app.total_cost is not None
        and app.requested is not None
        and not cofunding_fits(app.total_cost, app.requested, app.other_funding)
    ):
        reasons.append(
            _("the amount requested ({requested}) plus the other co-funding ({others}) exceeds the action's "
              "total cost ({cost})").format(requested=format_money(app.requested),
                                            others=format_money(app.other_funding), cost=format_money(app.total_cost))
        )
    return reasons + forecast_budget_problems(app, campaign)


def forecast_budget_problems(app: Application, campaign: Campaign) -> list[str]:
    """Why the application's forecast budget does not hold, in plain words (none when it holds)."""
    budget = app.budget
    if budget is None:
        if campaign.funding.budget_required:
            return [_("missing: the forecast budget, by the lines of the CERFA n° 12156 form (field `budget`)")]
        return []
    reasons = budget.problems()
    if app.total_cost is not None and budget.total != app.total_cost:
        reasons.append(_("the forecast budget's total ({total}) is not the action's total cost ({cost})").format(
            total=format_money(budget.total), cost=format_money(app.total_cost)))
    key = campaign.funding.budget_line
    if key and app.requested is not None and budget.line(key) != app.requested:
        reasons.append(_("the forecast budget's line « {line} » ({amount}) is not the amount requested "
                         "({requested})").format(line=line_label(key), amount=format_money(budget.line(key)),
                                                  requested=format_money(app.requested)))
    return reasons


def submission_pieces(g: GuardInput) -> list[str]:
    """The pieces required at submission are attached.
    The call file says which pieces are due at ``submit`` and for which kind of applicant; no paper
    original is asked for yet (see :func:`ami_workflow.pieces.missing_pieces`).
    """
    return pieces_missing(
        g.campaign.pieces, g.dossier.applicant.kind, g.dossier.pieces, g.dossier.originals, at_submit=True
    )


def completion_window(g: GuardInput) -> list[str]:
    """The dossier is marked complete by the last day of the instruction window.
    Library reading of the call's calendar (« Mai 2021 · Instruction des dossiers »): missing pieces
    may still come in while the dossiers are instructed, not later.
    """
    end = g.context.calendar.instruction.end
    if paris_date(g.at) > end:
        return [_("a dossier can be completed until the end of the instruction, {end}; it is {today}").format(
            end=format_day(end), today=_day(g.at))]
    return []


def pieces_complete(g: GuardInput) -> list[str]:
    """Every required piece is attached, and each required paper original is received and signed.
    Call: « Les dossiers de demande de subvention devront comprendre les pièces administratives
    suivantes », the dossier de demande with « un exemplaire original en version papier signé par le
    représentant légal de l'association ou le porteur de projet ».
    """
    return pieces_missing(g.campaign.pieces, g.dossier.applicant.kind, g.dossier.pieces, g.dossier.originals)


def applicant_identity(g: GuardInput) -> list[str]:
    """The applicant gives the identity data the call's file requires of its kind (a SIREN or an RNA number).
    Law: décret n° 2001-495, art. 1 counts the grants of one funder to one body; the body is known by its
    SIREN, else its RNA (``applicants.kinds.*.requires``). Checked at creation, and again here for a dossier
    copied or imported from a file that did not require it.
    """
    return requirement_problems(g.dossier.applicant, g.campaign)


def instruction_window(g: GuardInput) -> list[str]:
    """The dossier is instructed within the call's instruction window (Paris time).
    Call: « Mai 2021 · Instruction des dossiers ».
    """
    return _in_window(g, "instruction")


def jury_window(g: GuardInput) -> list[str]:
    """The dossier is heard or approved within the call's jury window (Paris time).
    Call: « Juin 2021 · Jury de sélection ».
    """
    return _in_window(g, "jury")


#: What a person calls the windows that a trigger must fall in.
_WINDOWS: Mapping[str, str] = {"instruction": N_("the instruction"), "jury": N_("the jury")}


def _in_window(g: GuardInput, name: str) -> list[str]:
    window = g.context.calendar.window(name)
    if not window.contains_instant(g.at):
        return [_("{window} runs from {start} to {end} (Paris time); it is {today}").format(
            window=_(_WINDOWS[name]), start=format_day(window.start), end=format_day(window.end), today=_day(g.at))]
    return []


def _number(value: Decimal) -> str:
    """A number as a person reads it, with only the decimals it has: « 62,5 », "60"."""
    exponent = value.normalize().as_tuple().exponent
    return format_decimal(value, -exponent if isinstance(exponent, int) and exponent < 0 else 0)


def _eligibility_problems(campaign: Campaign, dossier: Dossier) -> list[str]:
    """Why the dossier is not eligible to the call, in plain words; empty when it is."""
    app = dossier.application
    reasons = []
    kind = dossier.applicant.kind
    if kind not in campaign.applicants.accepted:
        label = campaign.applicants.kinds[kind].label if kind in campaign.applicants.kinds else kind
        accepted = ", ".join(
            campaign.applicants.kinds[k].label if k in campaign.applicants.kinds else k
            for k in campaign.applicants.accepted
        )
        reasons.append(_("the call does not accept this kind of applicant ({label}, key `{key}`); it accepts: "
                         "{accepted}").format(label=label, key=kind, accepted=accepted))
    if app.axis is None or campaign.axis(app.axis) is None:
        keys = ", ".join(a.key for a in campaign.axes)
        reasons.append(_("the axis {axis!r} is not one of the call's axes ({keys})").format(
            axis=shown(app.axis), keys=keys))
    codes = campaign.territory.codes()
    unknown = [c for c in app.qpv_codes if c not in codes]
    if unknown:
        reasons.append(_("not on the call's QPV list: {codes}").format(codes=", ".join(unknown)))
    if not any(c in codes for c in app.qpv_codes):
        reasons.append(_("the action targets none of the call's QPV"))
    minimum = campaign.public.min_qpv_share_percent
    if app.participants is None or app.qpv_residents is None:
        reasons.append(_("the participants and the QPV residents among them are not declared"))
    elif not qpv_share_met(app.participants, app.qpv_residents, minimum):
        reasons.append(_("fewer than {minimum} % of the participants live in a QPV ({residents} of {participants})")
                       .format(minimum=_number(minimum), residents=app.qpv_residents,
                               participants=app.participants))
    natures = campaign.envelope.cost_natures
    if app.cost_nature not in natures:
        reasons.append(_("the call funds only these costs: {natures}; this action declares {nature!r}").format(
            natures=", ".join(natures), nature=shown(app.cost_nature)))
    return reasons


#: :func:`_eligibility_problems` with its arguments checked (the guard, which passes the dossier it was given, calls
#: the unchecked one).
eligibility_problems = checked(_eligibility_problems, name="eligibility_problems")


def eligibility(g: GuardInput) -> list[str]:
    """The dossier is eligible: applicant kind, axis, QPV, share of QPV residents and cost nature.
    Call: « L'AMI s'adresse aux associations agissant en faveur des habitants des quartiers
    prioritaires », « au moins 60% » of the public living in a QPV, operating costs only
    (« en fonctionnement »); and the bonus criteria the instructor confirms must be the call's
    (see :func:`eligibility_problems`).
    """
    reasons = _eligibility_problems(g.campaign, g.dossier)
    if isinstance(g.args, InstructArgs):
        known = g.campaign.funding.criterion_keys()
        for key in sorted(g.args.criteria - known):
            reasons.append(_("unknown bonus criterion {key!r}; the call's criteria are {keys}").format(
                key=shown(key), keys=", ".join(sorted(known))))
    return reasons


def dossier_ceiling(campaign: Campaign, dossier: Dossier, criteria: frozenset[str]) -> Decimal:
    """The most the funder may grant this dossier with ``criteria`` confirmed."""
    app = dossier.application
    if app.total_cost is None:
        return ZERO
    counted = len(criteria & campaign.funding.criterion_keys())
    return ceiling(campaign.funding.ceiling, app.total_cost, counted, app.other_funding)


def committee_session(g: GuardInput) -> list[str]:
    """The named committee session is recorded, sits that day in the jury window, with its chair and members.
    Call: « un comité de sélection présidé par le Vice-Président en charge de la Cohésion sociale »,
    « composé de personnalités reconnues …, d'élus, de techniciens de la CALL et d'habitants »:
    at least one member of each category is present.
    No possible conflict of interest of a member with the dossier is open (CGCT L2131-11, Code pénal 432-12), and
    once the members confirmed interested are recused, every category still sits and the quorum is met.
    """
    assert isinstance(g.args, HearArgs)
    session = g.context.sessions.get(g.args.session)
    if session is None:
        return [_("no committee session {session!r} is recorded for the campaign").format(
            session=shown(g.args.session))]
    reasons = []
    committee = g.campaign.committee
    if paris_date(g.at) != session.day:
        reasons.append(_("the session {session} sits on {day}, not on {today}").format(
            session=session.id, day=format_day(session.day), today=_day(g.at)))
    jury = g.context.calendar.jury
    if not jury.contains(session.day):
        reasons.append(_("the session's day {day} is outside the jury window ({window})").format(
            day=format_day(session.day), window=window_words(jury)))
    categories = [(c.key, c.label) for c in committee.categories]
    reasons += session_problems(session, committee.chair_role, categories)
    conflicts = conflicts_at(session, g.dossier.reference, g.dossier.board, g.context.rulings)
    reasons += hearing_problems(session, conflicts, categories, committee.quorum)
    return reasons


def heard_complete(g: GuardInput) -> list[str]:
    """The dossier heard has been instructed and, if the call hears only complete ones, is complete.
    Call: « Les dossiers complets seront étudiés sous la forme d'audition ».
    """
    reasons = []
    if g.campaign.committee.only_complete_dossiers:
        reasons += pieces_complete(g)
    if g.dossier.instruction is None:
        reasons.append(_("the dossier has not been instructed"))
    return reasons


def _approved_amount(g: GuardInput) -> Decimal | None:
    assert isinstance(g.args, ApproveArgs)
    if g.args.amount is not None:
        return g.args.amount
    return g.dossier.instruction.proposed if g.dossier.instruction else None


def approval_amount(g: GuardInput) -> list[str]:
    """The amount approved is above 0, within the amount requested and within the dossier's ceiling.
    The ceiling follows the bonus criteria confirmed at instruction. Call: a co-financing rate
    « plafonné à 50% », « pouvant aller jusqu'à 80% » with the bonus; without an amount, the
    instructor's proposal is approved.
    """
    amount = _approved_amount(g)
    instruction = g.dossier.instruction
    app = g.dossier.application
    if instruction is None:
        return [_("the dossier has not been instructed")]
    if amount is None or amount <= 0:
        return [_("the approved amount must be above 0")]
    reasons = []
    if app.requested is not None and amount > app.requested:
        reasons.append(_("{amount} is more than the amount requested ({requested})").format(
            amount=format_money(amount), requested=format_money(app.requested)))
    limit = dossier_ceiling(g.campaign, g.dossier, instruction.criteria)
    if amount > limit:
        reasons.append(_("{amount} is above the ceiling for the confirmed criteria ({ceiling})").format(
            amount=format_money(amount), ceiling=format_money(limit)))
    return reasons


def envelope(g: GuardInput) -> list[str]:
    """Approving the amount keeps the campaign within its envelope, and the axis within its share.
    Call: « 150 000 euros de crédits spécifiques … sont fléchés sur l'AMI »; the shares by axis
    apply when the call file sets ``envelope.by_axis``.
    """
    amount = _approved_amount(g)
    if amount is None:
        return []
    reasons = []
    env = g.campaign.envelope
    after = g.context.approved_total + amount
    if after > env.amount:
        left = env.amount - g.context.approved_total
        reasons.append(_("approving {amount} would exceed the envelope of {envelope} (only {left} left)").format(
            amount=format_money(amount), envelope=format_money(env.amount), left=format_money(left)))
    axis = g.dossier.application.axis
    if axis is not None and axis in env.by_axis:
        axis_after = g.context.approved_by_axis.get(axis, ZERO) + amount
        if axis_after > env.by_axis[axis]:
            reasons.append(_("approving it would exceed the share of the axis {axis!r} ({share})").format(
                axis=shown(axis), share=format_money(env.by_axis[axis])))
    return reasons


def motivation(g: GuardInput) -> list[str]:
    """A rejection comes with a written motivation.
    Not in the call: a library rule, so that the motivation is kept in the dossier and the journal.
    """
    assert isinstance(g.args, RejectArgs)
    return [] if g.args.motivation else [_("a rejection needs a written motivation")]


def piece_issues(g: GuardInput) -> list[str]:
    """The dossier is sent back with at least one of the call's pieces named, and why.
    Each issue says whether the piece is missing, incorrect or outdated; incorrect and outdated
    pieces are dropped and must be sent again.
    """
    assert isinstance(g.args, ReturnArgs)
    if not g.args.issues:
        return [_("say which pieces are returned, and why (missing, incorrect or outdated)")]
    known = {p.key for p in g.campaign.pieces}
    return [_("unknown piece {key!r}").format(
        key=shown(issue.key)) for issue in g.args.issues if issue.key not in known]


#: Every guard a call may name, by name.
GUARDS: Mapping[str, Guard] = {
    "submission_window": submission_window,
    "submission_content": submission_content,
    "submission_pieces": submission_pieces,
    "completion_window": completion_window,
    "pieces_complete": pieces_complete,
    "applicant_identity": applicant_identity,
    "piece_issues": piece_issues,
    "instruction_window": instruction_window,
    "eligibility": eligibility,
    "jury_window": jury_window,
    "committee_session": committee_session,
    "heard_complete": heard_complete,
    "approval_amount": approval_amount,
    "envelope": envelope,
    "motivation": motivation,
    "not_paid_yet": not_paid_yet,
    "deliberation": deliberation,
    "bank_account": bank_account,
    "convention": convention,
    "payment_amount": payment_amount,
    "payment_schedule": payment_schedule,
    "financial_reports": financial_reports,
    "settled": settled,
    "recovery_grounds": recovery_grounds,
    "recovery_decision": recovery_decision,
    "recovery_title": recovery_title,
}

#: Guards that read a trigger's own data, and the triggers they can serve; the others fit any trigger.
GUARD_TRIGGERS: Mapping[str, frozenset[str]] = {
    "piece_issues": frozenset({"return_for_pieces"}),
    "committee_session": frozenset({"hear"}),
    "approval_amount": frozenset({"approve"}),
    "envelope": frozenset({"approve"}),
    "motivation": frozenset({"reject"}),
    "payment_amount": frozenset({"pay"}),
    "payment_schedule": frozenset({"pay"}),
    "recovery_grounds": frozenset({"start_recovery"}),
    "recovery_decision": frozenset({"order_recovery"}),
    "recovery_title": frozenset({"recover"}),
}


#: The :class:`Context` fields each guard reads beyond the campaign and its calendar (which every guard may read).
#: A view builds only what a trigger's guards read: the SQL store then runs only their queries.
GUARD_READS: Mapping[str, frozenset[str]] = {
    "committee_session": frozenset({"sessions", "rulings"}),
    "envelope": frozenset({"approved_total", "approved_by_axis"}),
    "deliberation": frozenset({"deliberations"}),
    "convention": frozenset({"funder_granted", "conventions"}),
    "financial_reports": frozenset({"overdue_reports"}),
    "payment_amount": frozenset({"financial_report"}),
    "payment_schedule": frozenset({"financial_report"}),
    "settled": frozenset({"financial_report"}),
    "recovery_grounds": frozenset({"financial_report"}),
}
CONTEXT_FIELDS = frozenset(f.name for f in attrs.fields(Context)) - {"campaign", "calendar"}


@functools.lru_cache(maxsize=256)
def context_reads(names: tuple[str, ...] | None) -> frozenset[str]:
    """The context fields the guards ``names`` read (every field for ``None``: all guards).

    >>> sorted(context_reads(("submission_window", "envelope")))
    ['approved_by_axis', 'approved_total']
    """
    if names is None:
        return CONTEXT_FIELDS
    return frozenset().union(*(GUARD_READS.get(name, frozenset()) for name in names))


def run_guards(names: tuple[str, ...], g: GuardInput) -> list[str]:
    """Run every named guard and return all their reasons (not just the first)."""
    reasons: list[str] = []
    for name in names:
        reasons += GUARDS[name](g)
    return reasons
