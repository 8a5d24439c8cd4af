"""The dossiers' own writes, as operations of a store (see :mod:`ami_workflow.backend`): drafts created one by
one or in a batch, the declared content, pieces and paper originals, pieces reused, drafts copied to a new call.

:class:`DossierOperations` is a base of :class:`~ami_workflow.backend.Operations`: each method checks its
input, builds its command and runs it through the one write path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

from .campaign import Limits
from .core.commands import (
    AttachPiece,
    Command,
    CopyDrafts,
    CreateDossiers,
    ReceiveOriginal,
    ReusePieces,
    UpdateApplication,
)
from .core.events import Event
from .core.view import View
from .dossier import Applicant, Application, Dossier
from .errors import InvalidInput
from .i18n import _
from .piece_file import read_piece
from .pieces import PaperOriginal
from .shown import shown

__all__ = ["DossierOperations", "safe_name", "text_argument"]


def text_argument(value: object, name: str) -> str:
    """``value`` if it is text that is not blank; else :class:`~ami_workflow.errors.InvalidInput` naming ``name``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("{name} must be a non-empty string, not {value!r}").format(name=name, value=shown(value)))
    return value


def safe_name(filename: str | None) -> str | None:
    """A display name only: the last path component, stripped of control characters; never used as a path."""
    if filename is None:
        return None
    if not isinstance(filename, str):
        raise InvalidInput(_("filename must be text, not {type}").format(type=type(filename).__name__))
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or None


class DossierOperations:
    """Creating drafts, declaring their content, attaching pieces and originals, reusing pieces, copying drafts."""

    def _run(self, command: Command, blobs: Mapping[str, bytes] | None = None) -> list[Event]:
        raise NotImplementedError

    def _actor(self, actor: str) -> str:
        raise NotImplementedError

    def _cid(self, campaign_id: str | None) -> str:
        raise NotImplementedError

    def _view(self) -> View:
        raise NotImplementedError

    def _written(self, reference: str, events: Sequence[Event]) -> Dossier:
        raise NotImplementedError

    def get(self, reference: str) -> Dossier:
        raise NotImplementedError

    def create_dossier(
        self,
        applicant: Applicant,
        application: Application | None = None,
        *,
        reference: str | None = None,
        campaign_id: str | None = None,
        actor: str = "",
    ) -> Dossier:
        """A new draft. The applicant is matched across campaigns by SIREN, else RNA number."""
        return self.create_dossiers([(applicant, application, reference)], campaign_id=campaign_id, actor=actor)[0]

    def create_dossiers(
        self,
        entries: Sequence[tuple[Applicant, Application | None, str | None]],
        *,
        campaign_id: str | None = None,
        actor: str = "",
        progress: Callable[[int], None] | None = None,
    ) -> list[Dossier]:
        """Create many drafts in one transaction: all of them, or none.

        ``entries`` are (applicant, application, reference or ``None``). Every
        entry is checked first; an error names the entry's position (from 1).
        ``progress(n)`` is called once the ``n`` entries are written.
        """
        who = self._actor(actor)
        checked: list[tuple[Applicant, Application, str | None]] = []
        seen: set[str] = set()
        for position, entry in enumerate(entries, start=1):
            try:
                applicant, application, reference = entry
                if not isinstance(applicant, Applicant):
                    raise InvalidInput(_("applicant must be an Applicant record, not {type}").format(
                        type=type(applicant).__name__))
                if application is not None and not isinstance(application, Application):
                    raise InvalidInput(_("application must be an Application record, not {type}").format(
                        type=type(application).__name__))
                if reference is not None:
                    text_argument(reference, "reference")
                    if reference in seen:
                        raise InvalidInput(_("the reference {reference!r} appears twice").format(
                            reference=shown(reference)))
                    seen.add(reference)
                checked.append((applicant, application or Application(), reference))
            except (InvalidInput, TypeError, ValueError) as exc:
                raise InvalidInput(_("entry {position}: {problem}").format(position=position, problem=exc)
                                   if len(seen) != 1 or position > 1 else str(exc)) from None
        events = self._run(CreateDossiers(self._cid(campaign_id), tuple(checked), who))
        if progress is not None:
            progress(len(events))
        return [self.get(str(e.dossier)) for e in events]

    def update_application(
        self, reference: str, application: Application, *, expected_version: int, actor: str = ""
    ) -> Dossier:
        """Replace a draft's declared content; ``expected_version`` is the version read (no blind overwrite)."""
        if expected_version is None:
            raise InvalidInput(_("expected_version is required: give the version of the dossier you edited"))
        events = self._run(UpdateApplication(reference, application, expected_version, self._actor(actor)))
        return self._written(reference, events)

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
    ) -> Dossier:
        """Attach a digital piece, dated when the service receives it (or by its ``postmark``).

        Its bytes are kept by SHA-256 (content-addressed). ``content`` is the
        bytes, or a path to read them from; the store never writes a file and
        never uses the given file name as a path.
        """
        if isinstance(content, Path):
            if not content.is_file():
                raise InvalidInput(_("{path} is not a readable file").format(path=content))
            blob, digest = read_piece(content, self._piece_limit(reference))
            filename = filename or content.name
        elif isinstance(content, (bytes, bytearray)):
            blob = bytes(content)
            digest = hashlib.sha256(blob).hexdigest()
        else:
            raise InvalidInput(_("content must be bytes or a Path, not {type}").format(type=type(content).__name__))
        if media_type is not None and not isinstance(media_type, str):
            raise InvalidInput(_("media_type must be text, not {type}").format(type=type(media_type).__name__))
        if not isinstance(key, str):
            raise InvalidInput(_("unknown piece {key!r}").format(key=shown(key)))
        command = AttachPiece(
            reference,
            key,
            digest,
            len(blob),
            safe_name(filename),
            media_type,
            self._actor(actor),
            postmark,
            expected_version,
        )
        events = self._run(command, {digest: blob})
        return self._written(reference, events)

    def _piece_limit(self, reference: object) -> int:
        """The largest piece the dossier's call accepts (the library's default for a dossier not found: the
        attachment is refused later, without the file read past that)."""
        dossier = self._view().find(reference) if isinstance(reference, str) else None
        if dossier is not None and self._view().has_campaign(dossier.campaign_id):
            return self._view().campaign(dossier.campaign_id).limits.piece_max_bytes
        return Limits().piece_max_bytes

    def receive_original(
        self,
        reference: str,
        original: PaperOriginal,
        *,
        postmark: date | None = None,
        expected_version: int | None = None,
        actor: str = "",
    ) -> Dossier:
        """Record a paper original, dated by the service's arrival stamp (or its ``postmark``), and who entered it."""
        events = self._run(ReceiveOriginal(reference, original, self._actor(actor), postmark, expected_version))
        return self._written(reference, events)

    def reuse_pieces(
        self,
        reference: str,
        from_reference: str,
        keys: Sequence[str],
        *,
        expected_version: int | None = None,
        actor: str = "",
    ) -> Dossier:
        """Reuse unchanged pieces of last year's dossier of the same applicant; calling it is the confirmation.

        Only the pieces the new call's file marks ``reusable`` can be reused;
        every reason is given at once.
        """
        if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
            raise InvalidInput(_("keys must be a list of piece keys"))
        events = self._run(ReusePieces(reference, from_reference, tuple(keys), self._actor(actor), expected_version))
        return self._written(reference, events)

    def copy_drafts(self, from_campaign_id: str, to_campaign_id: str, *, actor: str = "") -> dict[str, str]:
        """Copy the unsubmitted drafts of one campaign into another; returns {old reference: new reference}.

        Only the applicant and the declared content move, as new drafts. A
        draft already copied into that campaign is not copied again.
        """
        command = CopyDrafts(self._cid(from_campaign_id), self._cid(to_campaign_id), self._actor(actor))
        return {str(e.data["copied_from"]): str(e.dossier) for e in self._run(command)}
