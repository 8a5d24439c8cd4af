"""What ``decide`` may read: the :class:`View` protocol, and its in-memory implementation over a World.

Each backend answers these questions its own way (a dict look-up in memory,
an indexed query in SQLite); ``decide`` never knows which. Every method is a
read: nothing here changes the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from ..calendar import Calendar, CalendarAmendment, financial_report_due, paris_date
from ..campaign import Campaign, same_grantor
from ..committee import CommitteeSession
from ..conflicts import Ruling
from ..decisions import Convention, Deliberation, FinancialReport
from ..dossier import Dossier
from ..errors import NotFound, VersionConflict
from ..guards import Context
from ..i18n import _, format_day
from ..money import ZERO
from ..scoring import ScoreSheet
from ..shown import shown
from .evolve import World

__all__ = ["Act", "View", "WorldView", "find_dossier", "in_force", "overdue_text"]

#: One triggered act as recorded: (dossier, trigger, effective time).
Act = tuple[str, str, datetime]


class View(Protocol):
    """The reads ``decide`` needs. Both backends implement it."""

    def campaign(self, campaign_id: str) -> Campaign: ...
    def has_campaign(self, campaign_id: str) -> bool: ...
    def find(self, reference: str) -> Dossier | None: ...
    def context(self, dossier: Dossier, at: datetime, reads: frozenset[str]) -> Context:
        """What the guards know beyond the dossier; only the fields in ``reads`` need be filled."""
    def calendar(self, campaign_id: str, at: datetime | None = None) -> Calendar: ...
    def convention(self, reference: str) -> Convention | None: ...
    def files_of(self, reference: str) -> set[tuple[str, str]]: ...
    def sessions(self, campaign_id: str) -> Mapping[str, CommitteeSession]: ...
    def scores(self, campaign_id: str) -> Mapping[str, ScoreSheet]: ...
    def rulings(self, campaign_id: str) -> Mapping[str, Ruling]: ...
    def all_sessions(self) -> list[tuple[str, CommitteeSession]]: ...
    def deliberation_references(self, campaign_id: str) -> set[str]: ...
    def deliberations(self, campaign_id: str) -> list[Deliberation]: ...
    def all_deliberations(self) -> list[tuple[str, Deliberation]]: ...
    def financial_report(self, reference: str) -> FinancialReport | None: ...
    def approved_total(self, campaign_id: str) -> Decimal: ...
    def last_at(self, reference: str) -> datetime | None: ...
    def next_number(self, campaign_id: str) -> int: ...
    def copied(self, campaign_id: str) -> set[str]: ...
    def drafts(self, campaign_id: str) -> list[Dossier]: ...
    def applicant_dossiers(self, identity: str) -> list[Dossier]: ...
    def file_shared(self, sha256: str, identity: str) -> bool: ...
    def acts(self, campaign_id: str) -> list[Act]: ...
    def session_days(self, campaign_id: str) -> list[tuple[str, date]]: ...
    def deliberation_days(self, campaign_id: str) -> list[tuple[str, date]]: ...


def find_dossier(view: View, reference: str, expected_version: int | None = None) -> Dossier:
    """The dossier ``reference``: :class:`NotFound` if none, :class:`VersionConflict` if not at ``expected_version``."""
    dossier = view.find(reference)
    if dossier is None:
        raise NotFound(_("no dossier {reference!r}").format(reference=shown(reference)))
    if expected_version is not None and dossier.version != expected_version:
        raise VersionConflict(reference, expected_version, dossier.version)
    return dossier


def overdue_text(reference: str, year: int, due: date) -> str:
    """How a past-due compte rendu financier is named to the guards."""
    return _("{reference} ({year} grant) was due on {due}").format(reference=reference, year=year, due=format_day(due))


class WorldView:
    """:class:`View` over a :class:`World` (the in-memory backend, and ``verify``'s replay)."""

    def __init__(self, world: World) -> None:
        self.world = world

    def campaign(self, campaign_id: str) -> Campaign:
        try:
            return self.world.campaigns[campaign_id].campaign
        except KeyError:
            raise NotFound(_("no campaign {campaign!r}").format(campaign=shown(campaign_id))) from None

    def has_campaign(self, campaign_id: str) -> bool:
        return campaign_id in self.world.campaigns

    def find(self, reference: str) -> Dossier | None:
        return self.world.dossiers.get(reference)

    def calendar(self, campaign_id: str, at: datetime | None = None) -> Calendar:
        place = self.world.campaigns[campaign_id]
        return place.campaign.calendar.amended(in_force(place.amendments, at))

    def convention(self, reference: str) -> Convention | None:
        dossier = self.world.dossiers.get(reference)
        return None if dossier is None else self.world.campaigns[dossier.campaign_id].conventions.get(reference)

    def files_of(self, reference: str) -> set[tuple[str, str]]:
        return set(self.world.files_of.get(reference, ()))

    def context(self, dossier: Dossier, at: datetime, reads: frozenset[str]) -> Context:
        world = self.world
        cid = dossier.campaign_id
        place = world.campaigns[cid]
        keys = {
            "campaign": (cid, "campaign", ""),
            "axis": (cid, "axis", dossier.application.axis or ""),
            "applicant": (cid, "applicant", dossier.applicant.identity),
        }
        own = dossier.approved if dossier.approved is not None and dossier.state != "withdrawn" else ZERO

        def total(scope: str) -> Decimal:
            return world.totals.get(keys[scope], (ZERO, ZERO))[0] - own

        return Context(
            campaign=place.campaign,
            calendar=self.calendar(cid, at),
            sessions=place.sessions,
            rulings=place.rulings,
            deliberations=tuple(d for d in place.deliberations if dossier.reference in d.dossiers),
            conventions=place.conventions,
            approved_total=total("campaign"),
            approved_by_axis={dossier.application.axis or "": total("axis")},
            applicant_granted=total("applicant"),
            funder_granted=self._funder_granted(dossier) if "funder_granted" in reads else ZERO,
            overdue_reports=self._overdue(dossier, at) if "overdue_reports" in reads else (),
            financial_report=place.financial_reports.get(dossier.reference),
        )

    def _funder_granted(self, dossier: Dossier) -> Decimal:
        if dossier.applicant.identity.startswith("name:"):
            return ZERO  # known by its name only: never merged with a homonym
        campaign = self.world.campaigns[dossier.campaign_id].campaign
        total = ZERO
        for ref in self.world.by_applicant.get(dossier.applicant.identity, ()):
            other = self.world.dossiers[ref]
            if ref == dossier.reference or other.approved is None or other.state == "withdrawn":
                continue
            if same_grantor(campaign, self.world.campaigns[other.campaign_id].campaign):
                total += other.approved
        return total

    def _overdue(self, dossier: Dossier, at: datetime) -> tuple[str, ...]:
        today = paris_date(at)
        out = []
        for ref in sorted(self.world.by_applicant.get(dossier.applicant.identity, ())):
            other = self.world.dossiers[ref]
            if ref == dossier.reference or other.approved is None or other.state == "withdrawn":
                continue
            place = self.world.campaigns[other.campaign_id]
            if ref in place.financial_reports:
                continue
            campaign = place.campaign
            due = financial_report_due(campaign.envelope.year, campaign.funding.financial_report_months)
            if due < today:
                out.append(overdue_text(ref, campaign.envelope.year, due))
        return tuple(out)

    def sessions(self, campaign_id: str) -> Mapping[str, CommitteeSession]:
        return self.world.campaigns[campaign_id].sessions

    def scores(self, campaign_id: str) -> Mapping[str, ScoreSheet]:
        return self.world.campaigns[campaign_id].scores

    def rulings(self, campaign_id: str) -> Mapping[str, Ruling]:
        return self.world.campaigns[campaign_id].rulings

    def all_sessions(self) -> list[tuple[str, CommitteeSession]]:
        return [(cid, s) for cid, place in self.world.campaigns.items() for s in place.sessions.values()]

    def deliberation_references(self, campaign_id: str) -> set[str]:
        return {d.reference for d in self.world.campaigns[campaign_id].deliberations}

    def deliberations(self, campaign_id: str) -> list[Deliberation]:
        return list(self.world.campaigns[campaign_id].deliberations)

    def all_deliberations(self) -> list[tuple[str, Deliberation]]:
        return [(cid, d) for cid, place in self.world.campaigns.items() for d in place.deliberations]

    def financial_report(self, reference: str) -> FinancialReport | None:
        dossier = self.world.dossiers.get(reference)
        return None if dossier is None else self.world.campaigns[dossier.campaign_id].financial_reports.get(reference)

    def approved_total(self, campaign_id: str) -> Decimal:
        return self.world.totals.get((campaign_id, "campaign", ""), (ZERO, ZERO))[0]

    def last_at(self, reference: str) -> datetime | None:
        return self.world.last_at.get(reference)

    def next_number(self, campaign_id: str) -> int:
        return self.world.campaigns[campaign_id].numbers + 1

    def copied(self, campaign_id: str) -> set[str]:
        return set(self.world.campaigns[campaign_id].copied)

    def drafts(self, campaign_id: str) -> list[Dossier]:
        return sorted(
            (d for d in self.world.dossiers.values() if d.campaign_id == campaign_id and d.state == "draft"),
            key=lambda d: d.reference,
        )

    def applicant_dossiers(self, identity: str) -> list[Dossier]:
        return [self.world.dossiers[ref] for ref in sorted(self.world.by_applicant.get(identity, ()))]

    def file_shared(self, sha256: str, identity: str) -> bool:
        return any(
            d.applicant.identity != identity and any(p.sha256 == sha256 for p in d.pieces)
            for d in self.world.dossiers.values()
        )

    def acts(self, campaign_id: str) -> list[Act]:
        return list(self.world.acts.get(campaign_id, ()))

    def session_days(self, campaign_id: str) -> list[tuple[str, date]]:
        return [(s.id, s.day) for s in self.world.campaigns[campaign_id].sessions.values()]

    def deliberation_days(self, campaign_id: str) -> list[tuple[str, date]]:
        return [(d.reference, d.day) for d in self.world.campaigns[campaign_id].deliberations]


def in_force(amendments: Iterable[CalendarAmendment], at: datetime | None) -> list[CalendarAmendment]:
    """The amendments in force at ``at`` (all of them without it): an amendment takes effect when recorded."""
    return [a for a in amendments if at is None or a.at <= at]
