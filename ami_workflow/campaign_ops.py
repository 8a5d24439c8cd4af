"""The campaign's decisions and the RGPD erasures, as operations of a store (see :mod:`ami_workflow.backend`).

:class:`CampaignOperations` is a base of :class:`~ami_workflow.backend.Operations`: each method checks its
input, builds its command and runs it through the one write path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from .budget import Budget
from .calendar import CalendarAmendment, Window
from .campaign import Campaign, Funder
from .committee import CommitteeSession
from .conventions import Avenant
from .core.commands import (
    AmendCalendar,
    AmendConvention,
    AmendFunder,
    Command,
    DeclareEnforceable,
    EraseMember,
    ErasePersonalData,
    RecordConvention,
    RecordDeliberation,
    RecordFinancialReport,
    RecordSession,
    ReviewFinancialReport,
)
from .core.events import Event
from .core.plain import structure
from .decisions import Convention, Deliberation, FinancialReport
from .dossier import Dossier

__all__ = ["CampaignOperations"]


class CampaignOperations:
    """Calendar and funder amendments, sessions, deliberations, conventions, comptes rendus, and erasures."""

    campaign: Campaign

    def get_campaign(self, campaign_id: str) -> Campaign:
        raise NotImplementedError

    def _run(self, command: Command, blobs: dict[str, bytes] | None = None) -> list[Event]:
        raise NotImplementedError

    def _actor(self, actor: str) -> str:
        raise NotImplementedError

    def _cid(self, campaign_id: str | None) -> str:
        raise NotImplementedError

    def _personal_count(self, identity: str) -> int:
        raise NotImplementedError

    # -- campaign decisions -------------------------------------------------------

    def amend_calendar(
        self,
        window: str,
        start: date,
        end: date,
        *,
        reason: str,
        actor: str = "",
        campaign_id: str | None = None,
    ) -> CalendarAmendment:
        """Change one window of the provisional calendar, from now on, with a reason.

        Refused when the calendar would be incoherent, or when an act already
        recorded (a submission, a session …) would fall outside its window.
        """
        command = AmendCalendar(self._cid(campaign_id), window, Window(start, end), reason, self._actor(actor))
        amendment: CalendarAmendment = structure(self._run(command)[0].data["amendment"], CalendarAmendment)
        return amendment

    def amend_funder(
        self,
        *,
        siret: str | None = None,
        registered_id_prefix: str | None = None,
        reason: str,
        actor: str = "",
        campaign_id: str | None = None,
    ) -> Funder:
        """Set the funder's SIRET and 360Giving prefix on a live campaign, with a reason; returns the funder in force.

        A journaled amendment (``funder_amended``), for the identifiers a call file left empty or got wrong: the
        exports (SCDL's ``idAttribuant``, 360Giving's grant ids) use them from then on. ``None`` leaves one as it
        is. The SIRET is checked by python-stdnum (14 digits, its check digit) and must start with the funder's
        SIREN; the prefix is the one 360Giving registered for the funder (``360G-…``). Setting the ids already in
        force records nothing.
        """
        cid = self._cid(campaign_id)
        self._run(AmendFunder(cid, siret, registered_id_prefix, reason, self._actor(actor)))
        campaign = self.get_campaign(cid)
        if campaign.id == self.campaign.id:
            self.campaign = campaign
        return campaign.funder

    def record_session(
        self, session: CommitteeSession, *, actor: str = "", campaign_id: str | None = None
    ) -> CommitteeSession:
        """Record a committee session once held; refused when it cannot hear dossiers under the call's rule."""
        self._run(RecordSession(self._cid(campaign_id), session, self._actor(actor)))
        return session

    def record_deliberation(
        self,
        deliberation: Deliberation,
        *,
        motivations: Mapping[str, str] | None = None,
        actor: str = "",
        campaign_id: str | None = None,
    ) -> Deliberation:
        """Record the council's deliberation, once taken: the decision on the jury's proposals.

        It grants its ``dossiers`` (at the proposal, or at a lower amount in ``amounts``) and refuses its
        ``refused``, each with its motivation in ``motivations`` (CRPA L211-2; kept outside the chain): a refused
        dossier goes from ``approved`` to ``rejected`` and its amount back to the envelope. Refused when an
        elected member of the committee interested in a dossier is not among ``not_taking_part`` (CGCT L2131-11).
        Payment waits for the day it became enforceable (``enforceable_on``, or :meth:`declare_enforceable`).
        """
        self._run(RecordDeliberation(self._cid(campaign_id), deliberation, self._actor(actor), motivations or {}))
        return deliberation

    def declare_enforceable(
        self, reference: str, day: date, *, actor: str = "", campaign_id: str | None = None
    ) -> Deliberation:
        """Record the day the deliberation ``reference`` became enforceable (transmitted to the prefecture and
        published, CGCT L2131-1); payments of its grants may start that day."""
        cid = self._cid(campaign_id)
        self._run(DeclareEnforceable(cid, reference, day, self._actor(actor)))
        return next(d for d in self.deliberations(cid) if d.reference == reference)

    def deliberations(self, campaign_id: str | None = None) -> list[Deliberation]:
        raise NotImplementedError

    def record_convention(self, convention: Convention, *, actor: str = "") -> Convention:
        """Record the signed convention of an approved dossier."""
        self._run(RecordConvention(convention, self._actor(actor)))
        return convention

    def amend_convention(self, reference: str, avenant: Avenant, *, actor: str = "") -> Convention:
        """Record an avenant to the convention of the dossier ``reference``; returns the convention with it (its
        content in force is :meth:`~ami_workflow.conventions.Convention.current`)."""
        self._run(AmendConvention(reference, avenant, self._actor(actor)))
        return self.conventions(self.get(reference).campaign_id)[reference]

    def conventions(self, campaign_id: str | None = None) -> dict[str, Convention]:
        raise NotImplementedError

    def get(self, reference: str) -> Dossier:
        raise NotImplementedError

    def record_financial_report(
        self, reference: str, received_on: date, *, actor: str = "", realised: Budget | Mapping[str, Any] | None = None,
        carried_out: bool = True, action_end: date | None = None, participants: int | None = None,
        qpv_residents: int | None = None, young: int | None = None, women: int | None = None,
        evaluation: str = "",
    ) -> FinancialReport:
        """Record the compte rendu financier of a granted dossier when it arrives (loi 2000-321, art. 10), with its
        content close to the CERFA n° 15059 form: the realised budget on the forecast's lines, the people reached
        and the evaluation. A corrected compte rendu answering the instructor's questions replaces the earlier one."""
        report = FinancialReport(reference, received_on, realised, carried_out, action_end, participants,
                                 qpv_residents, young, women, evaluation)
        self._run(RecordFinancialReport(reference, received_on, self._actor(actor), report))
        return self.financial_report(reference)

    def review_financial_report(self, reference: str, *, accepted: bool, questions: str = "",
                                answer_by: date | None = None, actor: str = "") -> FinancialReport:
        """The instructor accepts the compte rendu financier, or asks ``questions`` to be answered by ``answer_by``."""
        self._run(ReviewFinancialReport(reference, accepted, self._actor(actor), questions, answer_by))
        return self.financial_report(reference)

    def financial_report(self, reference: str) -> FinancialReport:
        """The dossier's compte rendu financier as it stands (:class:`NotFound` if none is recorded)."""
        raise NotImplementedError

    # -- personal data (RGPD) -------------------------------------------------------

    def erase_personal_data(self, identity: str, *, reason: str, actor: str = "") -> int:
        """Erase the applicant's personal data; the journal stays verifiable. Returns how many items were erased.

        Names and free texts are kept outside the chain (the journal holds only
        salted digests), and the pieces that hold personal data lose their bytes
        (every version ever attached). The count is of values and files.
        """
        before = self._personal_count(identity)
        events = self._run(ErasePersonalData(identity, reason, self._actor(actor)))
        return before + len(events[0].data["files"]) + sum(len(e.data.get("targets", ())) for e in events[1:])

    def erase_committee_member(self, name: str, *, reason: str, actor: str = "") -> int:
        """Erase a person's name from every committee session; returns how many places changed."""
        events = self._run(EraseMember(name, reason, self._actor(actor)))
        return sum(len(e.data["targets"]) for e in events)
