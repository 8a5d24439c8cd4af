"""The committee's work, as operations of a store (see :mod:`ami_workflow.backend`): scores and the ranking.

:class:`CommitteeOperations` is a base of :class:`~ami_workflow.backend.Operations`: it builds the command,
runs it through the one write path, and reads the score sheets back through the store's view, so that both
backends share it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .campaign import Campaign
from .core.commands import Command, RecordScores
from .core.events import Event
from .core.view import View
from .dossier import Dossier
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

    def dossiers(self, *, campaign_id: str | None = None, state: str | None = None, axis: str | None = None,
                 qpv: str | None = None) -> list[Dossier]:
        raise NotImplementedError

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
