"""The committee's work, as operations of a store (see :mod:`ami_workflow.backend`): the applicants' board lists,
conflicts of interest and the chair's rulings, scores and the ranking.

:class:`CommitteeOperations` is a base of :class:`~ami_workflow.backend.Operations`: it builds the command,
runs it through the one write path, and reads the score sheets back through the store's view, so that both
backends share it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .board import BoardMember
from .campaign import Campaign
from .conflicts import Conflict, conflicts_at
from .core.commands import Command, RecordBoard, RecordScores, RuleConflict
from .core.events import Event
from .core.view import View
from .dossier import Dossier
from .errors import NotFound
from .i18n import _
from .scoring import Ranked, ScoreSheet, ranking

__all__ = ["CommitteeOperations"]


class CommitteeOperations:
    """Record a member's marks on a heard dossier; read the score sheets and the ranking."""

    def _run(self, command: Command, blobs: Mapping[str, bytes] | None = None) -> list[Event]:
        raise NotImplementedError

    def _actor(self, actor: str) -> str:
        raise NotImplementedError

    def _cid(self, campaign_id: str | None) -> str:
        raise NotImplementedError

    def _view(self) -> View:
        raise NotImplementedError

    def get_campaign(self, campaign_id: str) -> Campaign:
        raise NotImplementedError

    def get(self, reference: str) -> Dossier:
        raise NotImplementedError

    def _written(self, reference: str, events: Sequence[Event]) -> Dossier:
        raise NotImplementedError

    def dossiers(self, *, campaign_id: str | None = None, state: str | None = None, axis: str | None = None,
                 qpv: str | None = None) -> list[Dossier]:
        raise NotImplementedError

    def record_board(self, reference: str, members: Sequence[BoardMember], *, actor: str = "") -> Dossier:
        """Record the applicant's board and bureau members for the dossier, replacing an earlier list.

        Each list comes from its piece (the call's ``[committee] board_piece`` and ``bureau_piece``), which the
        dossier must hold; refused after the hearing. The names are personal data, erased with the applicant's.
        """
        events = self._run(RecordBoard(reference, members, self._actor(actor)))
        return self._written(reference, events)

    def rule_conflict(
        self, reference: str, session: str, member: str, *, confirmed: bool, reason: str, actor: str = ""
    ) -> Conflict:
        """The chair confirms (the member is recused from the dossier) or dismisses a possible conflict, with the
        reason (a personal value, kept outside the chain); refused when no such conflict is open."""
        self._run(RuleConflict(reference, session, member, confirmed, reason, self._actor(actor)))
        dossier = self.get(reference)
        view = self._view()
        sitting = view.sessions(dossier.campaign_id)[session]
        return next(c for c in conflicts_at(sitting, reference, dossier.board, view.rulings(dossier.campaign_id))
                    if c.name == member)

    def conflicts(self, *, session: str | None = None, campaign_id: str | None = None) -> list[Conflict]:
        """The possible conflicts of interest of the campaign's sessions (or of one), open, confirmed or dismissed:
        the members matching a name on a dossier's board lists, or who declared a link with it."""
        cid = self._cid(campaign_id)
        view = self._view()
        sessions = view.sessions(cid)
        if session is not None and session not in sessions:
            raise NotFound(_("no committee session {session!r} is recorded for the campaign").format(session=session))
        chosen = [sessions[session]] if session is not None else list(sessions.values())
        rulings = view.rulings(cid)
        found = []
        for dossier in self.dossiers(campaign_id=cid):
            for sitting in chosen:
                found += conflicts_at(sitting, dossier.reference, dossier.board, rulings)
        return found

    def record_scores(
        self,
        reference: str,
        session: str,
        member: str,
        marks: Mapping[str, int],
        *,
        opinion: str = "",
        actor: str = "",
    ) -> ScoreSheet:
        """Record ``member``'s marks (by criterion of the call's grid) on a dossier heard at ``session``.

        Refused, with every reason, outside a recorded session, from a member who was not present at it, for a
        dossier not heard there, twice by one member, or with marks missing, unknown or off the scale. The
        opinion (avis) is a personal value: kept outside the chain, like the other free texts.
        """
        (event,) = self._run(RecordScores(reference, session, member, marks, opinion, self._actor(actor)))
        data = event.data["score"]
        return ScoreSheet(data["dossier"], data["session"], data["member"], data["marks"], opinion.strip())

    def scores(self, campaign_id: str | None = None) -> list[ScoreSheet]:
        """The campaign's score sheets, in the order recorded."""
        return list(self._view().scores(self._cid(campaign_id)).values())

    def ranking(self, campaign_id: str | None = None) -> list[Ranked]:
        """The scored dossiers of the campaign, best first (see :func:`ami_workflow.scoring.ranking`)."""
        cid = self._cid(campaign_id)
        return ranking(self.get_campaign(cid), self.dossiers(campaign_id=cid), self.scores(cid))
