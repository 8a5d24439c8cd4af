"""What the readers show, computed from dossiers: the report's aggregates, the export's flat rows, the grants.

These pure functions are the reference. The in-memory backend answers
``report_figures``, ``iter_dossier_rows`` and ``iter_grants`` with them; the
SQLite store computes the same records with SQL on its projection tables
(:mod:`ami_workflow.store.queries`), and the tests check that both agree.

    >>> from datetime import datetime
    >>> from ami_workflow import Applicant, Application
    >>> from ami_workflow.dossier import Dossier
    >>> draft = Dossier("c-0001", "c", Applicant("Asso", "association"), Application(axis="numerique"))
    >>> figures = report_figures([draft])
    >>> figures.dossiers, dict(figures.by_state), figures.received, dict(figures.by_axis)
    (1, {'draft': 1}, 0, {})
    >>> dossier_row(draft)[:5]
    ('c-0001', 'c', 'draft', 'Asso', 'association')
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import attrs

from ..calendar import paris_date
from ..decisions import Convention, Deliberation
from ..dossier import Dossier
from ..money import ZERO, to_cents
from ..states import State

__all__ = [
    "AxisFigures",
    "DossierRow",
    "GrantRow",
    "QpvFigures",
    "ReportFigures",
    "dossier_row",
    "grant_rows",
    "granted",
    "received",
    "report_figures",
]


@attrs.frozen
class AxisFigures:
    """The received dossiers on one axis: how many, what they request, their approved and paid amounts."""

    count: int
    requested: Decimal
    approved: Decimal
    """Approved amounts, withdrawn dossiers left out."""
    paid: Decimal
    """Paid amounts, withdrawn dossiers left out."""


@attrs.frozen
class QpvFigures:
    """The received dossiers targeting one QPV, and their full approved amounts (withdrawn ones left out)."""

    count: int
    approved: Decimal


@attrs.frozen
class ReportFigures:
    """The aggregates of a campaign's report, keyed by what the dossiers hold (only keys that occur)."""

    dossiers: int
    by_state: Mapping[str, int]
    received: int
    """Dossiers submitted, whatever they became since (drafts are not)."""
    by_axis: Mapping[str, AxisFigures]
    """Received dossiers by their axis (dossiers without an axis are in no line)."""
    by_qpv: Mapping[str, QpvFigures]
    """Received dossiers by each QPV they target (a dossier counts in each of its QPV)."""
    instructed: int
    """Dossiers holding an instruction."""
    criteria: Mapping[str, int]
    """How many instructed dossiers had each bonus criterion confirmed."""
    received_criteria: Mapping[str, int]
    """The same, among received dossiers only."""
    youth: int
    """Received dossiers whose young participants are at least half of the participants."""
    women: int
    """Received dossiers whose women participants are at least half of the participants."""
    approved: Decimal
    """The approved amounts of the granted dossiers (withdrawn ones left out)."""
    approved_cost: Decimal
    """The total cost of the granted dossiers' actions."""


def received(dossier: Dossier) -> bool:
    """Submitted once, and not a draft now: an application received."""
    return dossier.submitted_at is not None and dossier.state != State.DRAFT


def granted(dossier: Dossier) -> bool:
    """Counted in the approved total: an approved amount, and not withdrawn (the store's rule)."""
    return dossier.approved is not None and dossier.state != State.WITHDRAWN


def _at_least_half(count: int | None, participants: int | None) -> bool:
    return count is not None and bool(participants) and count * 2 >= (participants or 0)


def _add(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def report_figures(dossiers: Iterable[Dossier]) -> ReportFigures:
    """The report's aggregates over ``dossiers`` (one campaign's), in one pass."""
    count = received_count = instructed = youth = women = 0
    by_state: dict[str, int] = {}
    axes: dict[str, tuple[int, Decimal, Decimal, Decimal]] = {}
    qpv: dict[str, tuple[int, Decimal]] = {}
    criteria: dict[str, int] = {}
    received_criteria: dict[str, int] = {}
    approved = approved_cost = ZERO
    for dossier in dossiers:
        count += 1
        _add(by_state, dossier.state)
        app, kept = dossier.application, granted(dossier)
        grant = (dossier.approved or ZERO) if kept else ZERO
        if kept:
            approved += grant
            approved_cost += app.total_cost or ZERO
        is_received = received(dossier)
        if dossier.instruction is not None:
            instructed += 1
            for key in dossier.instruction.criteria:
                _add(criteria, key)
                if is_received:
                    _add(received_criteria, key)
        if not is_received:
            continue
        received_count += 1
        youth += _at_least_half(app.young, app.participants)
        women += _at_least_half(app.women, app.participants)
        if app.axis is not None:
            n, requested, on_axis, paid = axes.get(app.axis, (0, ZERO, ZERO, ZERO))
            paid_here = dossier.paid if dossier.state != State.WITHDRAWN else ZERO
            axes[app.axis] = (n + 1, requested + (app.requested or ZERO), on_axis + grant, paid + paid_here)
        for code in app.qpv_codes:
            n, on_qpv = qpv.get(code, (0, ZERO))
            qpv[code] = (n + 1, on_qpv + grant)
    return ReportFigures(
        dossiers=count,
        by_state=by_state,
        received=received_count,
        by_axis={key: AxisFigures(*values) for key, values in axes.items()},
        by_qpv={key: QpvFigures(*values) for key, values in qpv.items()},
        instructed=instructed,
        criteria=criteria,
        received_criteria=received_criteria,
        youth=youth,
        women=women,
        approved=approved,
        approved_cost=approved_cost,
    )


#: One flat row of a dossier, as plain values: reference, campaign, state, applicant name, kind, SIREN, SIRET,
#: RNA, title, axis, the target QPV codes joined by a space, period start and end (ISO days), total cost,
#: requested, ceiling, proposed, approved and paid (integer cents) and the submission instant (ISO).
DossierRow = tuple[
    str, str, str, str, str, str | None, str | None, str | None, str | None, str | None, str,
    str | None, str | None, int | None, int | None, int | None, int | None, int | None, int, str | None,
]


def _cents(amount: Decimal | None) -> int | None:
    return None if amount is None else to_cents(amount)


def dossier_row(dossier: Dossier) -> DossierRow:
    """The flat row of one dossier (see :data:`DossierRow`)."""
    app, who, instruction = dossier.application, dossier.applicant, dossier.instruction
    return (
        dossier.reference,
        dossier.campaign_id,
        str(dossier.state),
        who.name,
        who.kind,
        who.siren,
        who.siret,
        who.rna,
        app.title,
        app.axis,
        " ".join(app.qpv_codes),
        app.period.start.isoformat() if app.period else None,
        app.period.end.isoformat() if app.period else None,
        _cents(app.total_cost),
        _cents(app.requested),
        _cents(instruction.ceiling) if instruction else None,
        _cents(instruction.proposed) if instruction else None,
        _cents(dossier.approved),
        to_cents(dossier.paid),
        dossier.submitted_at.isoformat() if dossier.submitted_at else None,
    )


class GrantRow(NamedTuple):
    """A granted subsidy: a dossier approved, paid, closed or in or after a recovery, listed in a deliberation of
    its campaign."""

    reference: str
    name: str
    """The beneficiary's name, as the dossier holds it."""
    siret: str | None
    rna: str | None
    title: str | None
    approved: Decimal
    payment_days: tuple[date, ...]
    """The Paris days of the payments, in order."""
    deliberation: str
    """The first deliberation listing the dossier, by day (the first recorded on a tie)."""
    deliberation_day: date
    convention_signed: date | None
    """The signing day of the dossier's convention, if one is recorded."""
    applicant_granted: Decimal
    """The applicant's grants in the campaign (withdrawn dossiers left out), which decide if a convention is due."""
    paid: Decimal
    """What has been paid so far."""
    period_end: date | None
    """The last day of the action's period, when the application gives one."""


#: The states of a granted subsidy: decided, paid, closed, or under and after a recovery (a grant recovered in full
#: comes to 0 and is no longer listed).
_GRANTED = (State.APPROVED, State.PAID, State.CLOSED, State.RECOVERY, State.RECOVERED)


def grant_rows(
    dossiers: Sequence[Dossier], deliberations: Sequence[Deliberation], conventions: Mapping[str, Convention]
) -> Iterator[GrantRow]:
    """The granted subsidies of one campaign's ``dossiers``, in reference order."""
    first: dict[str, Deliberation] = {}
    for deliberation in sorted(deliberations, key=lambda d: d.day):  # stable: recorded order on a tie
        for reference in deliberation.dossiers:
            first.setdefault(reference, deliberation)
    by_applicant: dict[str, Decimal] = {}
    for dossier in dossiers:
        if granted(dossier):
            key = dossier.applicant.identity
            by_applicant[key] = by_applicant.get(key, ZERO) + (dossier.approved or ZERO)
    for dossier in sorted(dossiers, key=lambda d: d.reference):
        listed = first.get(dossier.reference)
        if dossier.state not in _GRANTED or not dossier.approved or listed is None:
            continue
        convention = conventions.get(dossier.reference)
        who = dossier.applicant
        yield GrantRow(
            dossier.reference,
            who.name,
            who.siret,
            who.rna,
            dossier.application.title,
            dossier.approved,
            tuple(sorted(paris_date(p.at) for p in dossier.payments)),
            listed.reference,
            listed.day,
            convention.signed_on if convention is not None else None,
            by_applicant.get(who.identity, ZERO),
            dossier.paid,
            dossier.application.period.end if dossier.application.period is not None else None,
        )
