"""The one interface of every backend: what readers, the CLI and users may call.

Both :class:`~ami_workflow.memory.MemoryWorkflow` and
:class:`~ami_workflow.store.Workflow` implement :class:`Backend`; mypy checks
them against it (see ``tests/test_backends.py``). Reports, agenda, exports and
documents take a :class:`Backend`, so they work on both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .anchor import Checkpoint
from .backend import BatchResult
from .board import BoardMember
from .budget import Budget
from .calendar import Calendar, CalendarAmendment, Clock
from .campaign import Campaign, Funder
from .committee import CommitteeSession
from .conflicts import Conflict
from .conventions import Avenant
from .core.events import Event
from .core.figures import DossierRow, GrantRow, ReportFigures
from .decisions import Convention, Deliberation, FinancialReport, FinancialReportStatus
from .dossier import Applicant, Application, Dossier
from .issued import IssuedDocument
from .journal import ChainedEvent, ChainProblem
from .pieces import PaperOriginal
from .rules import Totals
from .scoring import Ranked, ScoreSheet

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["Backend"]


class Backend(Protocol):
    """Every public operation of a store, with the same signature on every backend."""

    campaign: Campaign
    clock: Clock
    actor: str

    # writing
    def batch(self) -> contextlib.AbstractContextManager[None]: ...
    def add_campaign(self, campaign: Campaign, *, actor: str = "") -> None: ...
    def create_dossier(
        self,
        applicant: Applicant,
        application: Application | None = None,
        *,
        reference: str | None = None,
        campaign_id: str | None = None,
        actor: str = "",
    ) -> Dossier: ...
    def create_dossiers(
        self,
        entries: Sequence[tuple[Applicant, Application | None, str | None]],
        *,
        campaign_id: str | None = None,
        actor: str = "",
        progress: Callable[[int], None] | None = None,
    ) -> list[Dossier]: ...
    def update_application(
        self, reference: str, application: Application, *, expected_version: int, actor: str = ""
    ) -> Dossier: ...
    def attach(
        self,
        reference: str,
        key: str,
        content: bytes | Path,
        *,
        filename: str | None = None,
        media_type: str | None = None,
        postmark: date | None = None,
        expected_version: int | None = None,
        actor: str = "",
    ) -> Dossier: ...
    def receive_original(
        self,
        reference: str,
        original: PaperOriginal,
        *,
        postmark: date | None = None,
        expected_version: int | None = None,
        actor: str = "",
    ) -> Dossier: ...
    def reuse_pieces(
        self,
        reference: str,
        from_reference: str,
        keys: Sequence[str],
        *,
        expected_version: int | None = None,
        actor: str = "",
    ) -> Dossier: ...
    def copy_drafts(self, from_campaign_id: str, to_campaign_id: str, *, actor: str = "") -> dict[str, str]: ...
    def fire(
        self,
        reference: str,
        trigger: str,
        /,
        *,
        at: datetime | None = None,
        postmark: date | None = None,
        actor: str = "",
        expected_version: int | None = None,
        keep_refusal: bool = False,
        **data: Any,
    ) -> Dossier: ...
    def approve_batch(
        self,
        proposals: Sequence[str] | Mapping[str, Decimal | None],
        *,
        at: datetime | None = None,
        actor: str = "",
        campaign_id: str | None = None,
    ) -> BatchResult: ...
    def amend_calendar(
        self, window: str, start: date, end: date, *, reason: str, actor: str = "", campaign_id: str | None = None
    ) -> CalendarAmendment: ...
    def amend_funder(
        self,
        *,
        siret: str | None = None,
        registered_id_prefix: str | None = None,
        reason: str,
        actor: str = "",
        campaign_id: str | None = None,
    ) -> Funder: ...
    def record_session(
        self, session: CommitteeSession, *, actor: str = "", campaign_id: str | None = None
    ) -> CommitteeSession: ...
    def record_deliberation(
        self, deliberation: Deliberation, *, motivations: Mapping[str, str] | None = None, actor: str = "",
        campaign_id: str | None = None,
    ) -> Deliberation: ...
    def declare_enforceable(
        self, reference: str, day: date, *, actor: str = "", campaign_id: str | None = None
    ) -> Deliberation: ...
    def record_convention(self, convention: Convention, *, actor: str = "") -> Convention: ...
    def amend_convention(self, reference: str, avenant: Avenant, *, actor: str = "") -> Convention: ...
    def record_financial_report(
        self, reference: str, received_on: date, *, actor: str = "", realised: Budget | Mapping[str, Any] | None = None,
        carried_out: bool = True, action_end: date | None = None, participants: int | None = None,
        qpv_residents: int | None = None, young: int | None = None, women: int | None = None,
        evaluation: str = "",
    ) -> FinancialReport: ...
    def review_financial_report(self, reference: str, *, accepted: bool, questions: str = "",
                                answer_by: date | None = None, actor: str = "") -> FinancialReport: ...
    def erase_personal_data(self, identity: str, *, reason: str, actor: str = "") -> int: ...
    def erase_committee_member(self, name: str, *, reason: str, actor: str = "") -> int: ...
    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]: ...

    # reading
    def campaign_ids(self) -> list[str]: ...
    def get_campaign(self, campaign_id: str) -> Campaign: ...
    def get(self, reference: str) -> Dossier: ...
    def dossiers(
        self,
        *,
        campaign_id: str | None = None,
        state: str | None = None,
        axis: str | None = None,
        qpv: str | None = None,
    ) -> list[Dossier]: ...
    def sessions(self, campaign_id: str | None = None) -> list[CommitteeSession]: ...
    def deliberations(self, campaign_id: str | None = None) -> list[Deliberation]: ...
    def conventions(self, campaign_id: str | None = None) -> dict[str, Convention]: ...
    def amendments(self, campaign_id: str | None = None) -> list[CalendarAmendment]: ...
    def calendar(self, campaign_id: str | None = None) -> Calendar: ...
    def totals(self, campaign_id: str | None = None) -> Totals: ...
    def financial_reports(self, campaign_id: str | None = None) -> list[FinancialReportStatus]: ...
    def financial_report(self, reference: str) -> FinancialReport: ...
    def ceiling(self, reference: str) -> Decimal: ...
    def awaiting_deliberation(self, campaign_id: str | None = None) -> list[str]: ...
    def check(self, reference: str, trigger: str, /, *, at: datetime | None = None, **data: Any) -> list[str]: ...
    def possible_triggers(self, reference: str, *, at: datetime | None = None) -> dict[str, list[str]]: ...
    def file(self, sha256: str) -> bytes: ...
    def record_scores(
        self, reference: str, session: str, member: str, marks: Mapping[str, int], *, opinion: str = "",
        actor: str = "",
    ) -> ScoreSheet: ...
    def scores(self, campaign_id: str | None = None) -> list[ScoreSheet]: ...
    def record_board(self, reference: str, members: Sequence[BoardMember], *, actor: str = "") -> Dossier: ...
    def rule_conflict(
        self, reference: str, session: str, member: str, *, confirmed: bool, reason: str, actor: str = ""
    ) -> Conflict: ...
    def conflicts(self, *, session: str | None = None, campaign_id: str | None = None) -> list[Conflict]: ...
    def ranking(self, campaign_id: str | None = None) -> list[Ranked]: ...
    def issue_document(
        self, reference: str, kind: str, attests: int, files: Mapping[str, bytes], *, language: str, actor: str = ""
    ) -> IssuedDocument: ...
    def documents(self, reference: str) -> list[IssuedDocument]: ...
    def issued_document(self, reference: str, kind: str, attests: int | None = None) -> IssuedDocument: ...
    def document_bytes(self, reference: str, kind: str, fmt: str = "pdf", attests: int | None = None) -> bytes: ...
    def report_figures(self, campaign_id: str | None = None) -> ReportFigures: ...
    def iter_dossier_rows(self, campaign_id: str | None = None) -> Iterator[DossierRow]: ...
    def iter_grants(self, campaign_id: str | None = None) -> Iterator[GrantRow]: ...
    def export_applicant(self, identity: str) -> dict[str, Any]: ...

    # the journal
    def history(self, reference: str) -> list[Event]: ...
    def dossier_events(self, reference: str) -> list[ChainedEvent]: ...
    def iter_events(self) -> Iterator[ChainedEvent]: ...
    def iter_journal(self) -> Iterator[Event]: ...
    def events(self) -> list[ChainedEvent]: ...
    def head(self) -> str: ...
    def last_recorded_at(self) -> datetime | None: ...
    def verify(self, *, expected_head: str | None = None, files: bool = True) -> ChainProblem | None: ...
    def replayed_states(self) -> dict[str, str]: ...
    def checkpoint(self, private_key: Ed25519PrivateKey, anchor_file: str | Path, *, actor: str = "") -> Checkpoint: ...
    def verify_anchor(self, public_key: Ed25519PublicKey, anchor_file: str | Path) -> ChainProblem | None: ...
    def verify_receipt(self, reference: str, event_hash: str) -> bool: ...
