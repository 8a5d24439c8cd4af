"""The campaign's records that events hold: committee sessions, deliberations, conventions and their avenants,
score sheets, rulings on conflicts of interest, comptes rendus financiers, and the funder's amendment.

Each function reads one event (or a stored record) into its record, or applies
one to a record it is given (an avenant, a review, an erasure), with the personal
values the event keeps apart (:func:`personal_at`) put back (or :data:`~ami_workflow.personal.ERASED`
once erased). :func:`~ami_workflow.core.evolve.evolve` folds them into the
world; the SQLite store's projections and views read them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from ..campaign import Campaign
from ..committee import CommitteeSession
from ..conflicts import Ruling
from ..conventions import Avenant, convention_personal
from ..decisions import Convention, Deliberation, FinancialReport
from ..personal import ERASED
from ..scoring import ScoreSheet
from .events import Event
from .plain import structure

__all__ = [
    "amended", "convention_of", "deliberation_of", "deliberation_record", "enforceable", "erased_councillor",
    "funder_amended", "personal_at", "report_of", "reviewed", "ruling_of", "score_of", "session_of",
]


def personal_at(event: Event, path: str) -> str | None:
    """The personal value at ``path``: ``None`` when the event had none, :data:`ERASED` once erased."""
    if path not in event.personal:
        return None
    value = event.personal[path]
    return ERASED if value is None else value


def session_of(event: Event) -> CommitteeSession:
    """The committee session a ``session_recorded`` event records, with its names (or :data:`ERASED`)."""
    data = dict(event.data["session"])
    data["chair"] = personal_at(event, "chair") or ERASED
    data["members"] = [{**member, "name": personal_at(event, f"members.{i}.name") or ERASED}
                       for i, member in enumerate(data["members"])]
    return structure(data, CommitteeSession)  # type: ignore[no-any-return]


def funder_amended(campaign: Campaign, data: Mapping[str, Any]) -> Campaign:
    """The campaign after a ``funder_amended`` event: its funder with the SIRET and 360Giving prefix it sets."""
    funder = attrs.evolve(campaign.funder, siret=data["siret"], registered_id_prefix=data["registered_id_prefix"])
    return attrs.evolve(campaign, funder=funder)


def deliberation_of(event: Event) -> Deliberation:
    """The deliberation a ``deliberation_recorded`` event records, with the names of the councillors who did not
    take part. One recorded before the council could reduce or refuse grants the proposals, enforceable from its
    day (as payments then were)."""
    data = dict(event.data["deliberation"])
    absent = int(data.pop("absent", 0))
    data.setdefault("enforceable_on", data["day"])
    data["not_taking_part"] = [personal_at(event, f"not_taking_part.{i}") or ERASED for i in range(absent)]
    deliberation: Deliberation = structure(data, Deliberation)
    return deliberation


def deliberation_record(data: Mapping[str, Any]) -> Deliberation:
    """A deliberation from its stored record (a projection's row); one stored before the council could reduce or
    refuse reads as enforceable from its day, as :func:`deliberation_of` reads its event."""
    record = dict(data)
    record.setdefault("enforceable_on", record["day"])
    deliberation: Deliberation = structure(record, Deliberation)
    return deliberation


def enforceable(deliberation: Deliberation, data: Mapping[str, Any]) -> Deliberation:
    """``deliberation`` enforceable from the day of ``data`` (a ``deliberation_enforceable`` event's), if it is the
    one named there."""
    if deliberation.reference != data["reference"]:
        return deliberation
    return attrs.evolve(deliberation, enforceable_on=date.fromisoformat(data["day"]))


def convention_of(event: Event) -> Convention:
    """The convention a ``convention_recorded`` event records, with its signatories' names (or :data:`ERASED`)."""
    convention: Convention = structure(convention_personal(event.data["convention"], event.personal), Convention)
    return convention


def amended(convention: Convention, event: Event) -> Convention:
    """``convention`` with the avenant of a ``convention_amended`` event added, its reason (or :data:`ERASED`)
    read at its path (``avenants.N.reason``, N its place among the convention's avenants)."""
    reason = personal_at(event, f"avenants.{len(convention.avenants)}.reason") or ""
    avenant: Avenant = structure({**event.data["avenant"], "reason": reason}, Avenant)
    return convention.with_avenant(avenant)


def score_of(event: Event) -> ScoreSheet:
    """The score sheet a ``scores_recorded`` event records, with its opinion (``""`` if none or erased)."""
    sheet: ScoreSheet = structure({**event.data["score"], "opinion": personal_at(event, "opinion") or ""}, ScoreSheet)
    return sheet


def ruling_of(event: Event) -> Ruling:
    """The ruling a ``conflict_ruled`` event records, with its reason."""
    ruling: Ruling = structure({**event.data["ruling"], "reason": personal_at(event, "reason") or ""}, Ruling)
    return ruling


def report_of(event: Event) -> FinancialReport:
    """The compte rendu financier a ``financial_report_recorded`` event records, with its evaluation."""
    report: FinancialReport = structure({**event.data["report"], "evaluation": personal_at(event, "evaluation") or ""},
                                        FinancialReport)
    return report


def reviewed(report: FinancialReport, event: Event) -> FinancialReport:
    """``report`` after the review a ``financial_report_reviewed`` event records."""
    review = event.data["review"]
    answer_by = review.get("answer_by")
    return attrs.evolve(report, status=review["status"], reviewed_on=date.fromisoformat(review["reviewed_on"]),
                        answer_by=date.fromisoformat(answer_by) if answer_by else None,
                        questions=personal_at(event, "questions") or "")


def erased_councillor(deliberation: Deliberation, target: Mapping[str, Any]) -> Deliberation:
    """``deliberation`` with the councillor of a member-erasure ``target`` erased, if it is the one targeted."""
    if deliberation.reference != target["deliberation"]:
        return deliberation
    names = list(deliberation.not_taking_part)
    names[int(target["path"].split(".")[1])] = ERASED
    return attrs.evolve(deliberation, not_taking_part=tuple(names))
