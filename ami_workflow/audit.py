"""Auditing a store: ``verify`` (the chain, the personal values, the files, every projection against the replay),
checkpoints signed outside the database, receipts, and the RGPD export; written once for every backend.

:class:`Auditing` is the base of :class:`~ami_workflow.backend.Operations`: it needs only the
journal's streams, which each backend provides.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .anchor import (
    Checkpoint,
    append_checkpoint,
    check_against_anchor,
    check_anchor_file,
    private_key_of,
    read_checkpoints,
    sign_checkpoint,
)
from .canonical import canonical_json
from .core.events import Event, Kind
from .core.evolve import World, fold
from .core.plain import plain
from .core.view import View
from .dossier import Dossier
from .errors import InvalidInput
from .i18n import N_, _
from .journal import ChainedEvent, ChainProblem, personal_data_digest
from .money import ZERO
from .shown import shown
from .stored_chain import verify_texts

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = ["Auditing", "applicant_export", "world_difference"]


class Auditing:
    """Verification, checkpoints and receipts over the journal a backend streams."""

    def _transaction(self) -> contextlib.AbstractContextManager[View]:
        raise NotImplementedError

    def _now(self) -> datetime:
        raise NotImplementedError

    def _outside_batch(self, action: str) -> None:
        raise NotImplementedError

    def _actor(self, actor: str) -> str:
        raise NotImplementedError

    def _last(self) -> tuple[int, str, datetime | None]:
        """The last event's seq, hash and ``recorded_at`` (0, GENESIS, None for an empty journal)."""
        raise NotImplementedError

    def _chain(self, events: Sequence[Event], now: datetime) -> list[Any]:
        raise NotImplementedError

    def _store(self, items: Sequence[Any], blobs: Any) -> None:
        raise NotImplementedError

    def iter_journal(self) -> Iterator[Event]:
        raise NotImplementedError

    def iter_events(self) -> Iterator[ChainedEvent]:
        raise NotImplementedError

    def _snapshot(self) -> contextlib.AbstractContextManager[None]:
        """Reads that see one state of the store from start to end (no write of another process in between)."""
        return contextlib.nullcontext()

    def _chain_rows(self) -> Iterator[tuple[int, str, str, str]]:
        """The journal as stored, oldest first: (seq, canonical text, previous hash, hash)."""
        raise NotImplementedError

    def _personal_rows(self) -> Iterator[tuple[int, str, str, str | None, str | None]]:
        """Every personal value still held: (seq, path, salt, value, the digest its event holds or ``None``)."""
        raise NotImplementedError

    def _file_rows(self) -> Iterator[tuple[str, bytes | None]]:
        raise NotImplementedError

    def _projection_problems(self) -> str | None:
        """The first difference between the backend's state and the replay of its journal, or ``None``."""
        raise NotImplementedError

    def events(self) -> list[ChainedEvent]:
        """Every chained event, oldest first (see :meth:`iter_events` to stream a long journal)."""
        return list(self.iter_events())

    def verify(self, *, expected_head: str | None = None, files: bool = True) -> ChainProblem | None:
        """Check the journal and everything derived from it; ``None`` when intact, else the first problem.

        In order: the hash chain, over the stored text of each event
        (:func:`~ami_workflow.stored_chain.verify_texts`; and ``expected_head``, a
        head kept elsewhere, to detect a cut tail); each personal value against
        the digest its event holds; each stored file against its SHA-256
        (``files=False`` skips this, the only step whose cost grows with the
        pieces' bytes: their sizes and presence are still checked); then every
        projection against the replay of the journal, naming the first
        difference. The checks read one state of the store, even while other
        processes write to it.
        """
        with self._snapshot():
            return self._verify(expected_head, files)

    def _verify(self, expected_head: str | None, files: bool) -> ChainProblem | None:
        problem = verify_texts(self._chain_rows(), expected_head=expected_head)
        if problem is not None:
            return problem
        for seq, path, salt, value, held in self._personal_rows():
            if held is None or not salt or personal_data_digest(salt, value) != held:
                reason = _("personal data changed: {path} no longer matches the digest in its event")
                return ChainProblem(seq, reason.format(path=path))
        if files:
            for sha, blob in self._file_rows():
                if blob is not None and hashlib.sha256(blob).hexdigest() != sha:
                    return ChainProblem(0, _("piece content changed: the file {sha} no longer has that SHA-256").format(
                        sha=sha))
        difference = self._projection_problems()
        return None if difference is None else ChainProblem(0, difference)

    def checkpoint(self, private_key: Ed25519PrivateKey, anchor_file: str | Path, *, actor: str = "") -> Checkpoint:
        """Sign the journal's head with the service's key, journal it, and append it to ``anchor_file``.

        The private key stays outside the database; an auditor holding the
        public key and the anchor file can then detect a rewritten or cut
        history up to this checkpoint (:meth:`verify` with ``public_key``).
        """
        who = self._actor(actor)
        private_key_of(private_key)
        self._outside_batch("a checkpoint")  # its anchor line is written once the journal has committed
        check_anchor_file(anchor_file)
        with self._transaction():
            now = self._now()
            seq, head, _recorded = self._last()
            if seq == 0:
                raise InvalidInput(_("the journal is empty: there is nothing to checkpoint"))
            signed = sign_checkpoint(private_key, seq, head, now.isoformat())
            event = Event(Kind.CHECKPOINT, None, None, now, who, plain(signed))
            stamped = self._chain([event], now)
            self._store(stamped, {})
        append_checkpoint(anchor_file, signed)
        return signed

    def verify_anchor(self, public_key: Ed25519PublicKey, anchor_file: str | Path) -> ChainProblem | None:
        """Check the journal against the checkpoints of ``anchor_file``, signed by ``public_key``'s key.

        Detects a history rewritten (and re-hashed) or cut before the last
        checkpoint, and a forged checkpoint; then runs :meth:`verify`.
        """
        problem = check_against_anchor(self.iter_events(), read_checkpoints(anchor_file), public_key)
        return problem if problem is not None else self.verify()

    def verify_receipt(self, reference: str, event_hash: str) -> bool:
        """Whether the event whose hash a receipt quotes is in this dossier's chain (and the chain intact)."""
        found = any(e.hash == event_hash for e in self.dossier_events(reference))
        return found and verify_texts(self._chain_rows()) is None

    def dossier_events(self, reference: str) -> list[ChainedEvent]:
        raise NotImplementedError

    def replayed_states(self) -> dict[str, str]:
        """Each dossier's state rebuilt from the journal alone."""
        world = fold(e for e in self.iter_journal() if e.kind is not Kind.LEGACY)
        return {ref: d.state for ref, d in world.dossiers.items()}


def world_difference(live: World, replayed: World) -> str | None:
    """The first difference between a backend's state and the replay of its journal, in words."""
    for ref in sorted(set(live.dossiers) | set(replayed.dossiers)):
        have, want = live.dossiers.get(ref), replayed.dossiers.get(ref)
        if want is None:
            return _("dossier {reference} has no event in the journal").format(reference=ref)
        if have is None:
            return _("dossier {reference} is in the journal but missing from the store").format(reference=ref)
        if have != want:
            return _("dossier {reference} differs from its journal: {difference}").format(
                reference=ref, difference=_first_field(have, want))
    if set(live.campaigns) != set(replayed.campaigns):
        return _("campaigns differ from the journal: {live} against {replayed}").format(
            live=sorted(live.campaigns), replayed=sorted(replayed.campaigns))
    for cid, place in live.campaigns.items():
        other = replayed.campaigns[cid]
        for name, message in _CAMPAIGN_PARTS.items():
            if getattr(place, name) != getattr(other, name):
                return _(message).format(campaign=cid)
    for key in sorted(set(live.totals) | set(replayed.totals)):
        zero = (ZERO, ZERO)
        if live.totals.get(key, zero) != replayed.totals.get(key, zero):
            return _("the running total {total} differs from the journal").format(total="/".join(key))
    return None


#: What differs when a part of a campaign's record differs from its replay (the attribute of the campaign's place).
_CAMPAIGN_PARTS = {
    "campaign": N_("the campaign of {campaign} differ from the journal"),
    "amendments": N_("the amendments of {campaign} differ from the journal"),
    "sessions": N_("the sessions of {campaign} differ from the journal"),
    "deliberations": N_("the deliberations of {campaign} differ from the journal"),
    "conventions": N_("the conventions of {campaign} differ from the journal"),
    "financial_reports": N_("the financial reports of {campaign} differ from the journal"),
}


def _first_field(have: Any, want: Any) -> str:
    for field in attrs.fields(type(have)):
        a, b = getattr(have, field.name), getattr(want, field.name)
        if a != b:
            return _("{field} is {have!r}, the journal says {want!r}").format(
                field=field.name, have=shown(a), want=shown(b))
    return _("it differs")


def applicant_export(identity: str, dossiers: Sequence[Dossier], events: Iterable[Event]) -> dict[str, Any]:
    """Everything held about one applicant, as plain JSON-ready data (the RGPD right of access)."""
    export = {
        "identity": identity,
        "applicant": plain(dossiers[-1].applicant),
        "dossiers": [plain(d) for d in dossiers],
        "events": [
            {
                "seq": e.seq,
                "kind": e.kind.value,
                "dossier": e.dossier,
                "at": e.at.isoformat(),
                "recorded_at": e.recorded_at.isoformat() if e.recorded_at else None,
                "actor": e.actor,
                "data": dict(e.data),
                "personal": dict(e.personal),
            }
            for e in events
        ],
    }
    result: dict[str, Any] = json.loads(canonical_json(export))
    return result
