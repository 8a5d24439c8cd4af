"""What a guard reads: the dossier, the instant, the trigger's data and the campaign's :class:`Context`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from .calendar import Calendar, paris_date
from .campaign import Campaign
from .committee import CommitteeSession
from .conflicts import Ruling
from .decisions import Convention, Deliberation, FinancialReport
from .dossier import Dossier
from .i18n import format_day
from .money import ZERO
from .triggers import TriggerArgs

__all__ = ["Context", "Guard", "GuardInput", "day_words"]


@attrs.frozen
class Context:
    """What a guard may know about the campaign beyond the dossier itself."""

    campaign: Campaign
    calendar: Calendar
    sessions: Mapping[str, CommitteeSession] = attrs.field(factory=dict)
    rulings: Mapping[str, Ruling] = attrs.field(factory=dict)
    """The chair's rulings on conflicts of interest, by :func:`~ami_workflow.conflicts.ruling_key`."""
    deliberations: tuple[Deliberation, ...] = ()
    conventions: Mapping[str, Convention] = attrs.field(factory=dict)
    approved_total: Decimal = ZERO
    """The campaign's approved total, this dossier excluded."""
    approved_by_axis: Mapping[str, Decimal] = attrs.field(factory=dict)
    """Approved totals by axis, this dossier excluded."""
    applicant_granted: Decimal = ZERO
    """What the same applicant was granted in the campaign, this dossier excluded."""
    funder_granted: Decimal = ZERO
    """What the same funder granted the same beneficiary for the same budget year, this dossier excluded, across
    every campaign of the store (an applicant known only by its name is never merged with another)."""
    overdue_reports: tuple[str, ...] = ()
    """The applicant's earlier grants whose compte rendu financier is overdue, in plain words."""
    financial_report: FinancialReport | None = None
    """The dossier's own compte rendu financier, once received."""


@attrs.frozen
class GuardInput:
    dossier: Dossier
    at: datetime
    args: TriggerArgs
    context: Context

    @property
    def campaign(self) -> Campaign:
        return self.context.campaign


Guard = Callable[[GuardInput], list[str]]


def day_words(at: datetime) -> str:
    """The Paris day of ``at``, in words: « 30 avril 2021 »."""
    return format_day(paris_date(at))
