"""The pièces: the documents a dossier must hold, and what was received.

The call file lists each required piece with its French label, the applicant
kinds it applies to, and whether an original on paper, signed, is also
required (the application form). A dossier records what arrived::

    >>> from datetime import date
    >>> form = PieceRequirement("dossier_demande", "Dossier de demande de subvention",
    ...                         required_at_submit=True, paper_original=True, signature=True)
    >>> rib = PieceRequirement("rib", "Relevé d'Identité Bancaire")
    >>> missing_pieces([form, rib], "association", [PieceReceipt("rib", date(2021, 4, 2))], [])
    ['missing piece: Dossier de demande de subvention (key `dossier_demande`)',
     'missing paper original: Dossier de demande de subvention (key `dossier_demande`)']

Each reason names the piece by the call file's label and by the key that the
commands take (``ami-workflow dossier attach REF dossier_demande FILE``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date

import attrs

from .boundary import checked
from .checks import free_text, is_day, optional_text, required_text
from .errors import InvalidInput
from .i18n import _
from .shown import shown

__all__ = [
    "IssueReason",
    "PaperOriginal",
    "PieceIssue",
    "PieceReceipt",
    "PieceRequirement",
    "missing_pieces",
    "required_pieces",
]


@attrs.frozen
class PieceRequirement:
    """One piece the call requires.

    ``kinds`` empty means every applicant kind. ``required_at_submit`` pieces
    (the digital application form) are needed to submit; the others to be
    complete. ``paper_original`` adds an original on paper, which must be
    signed when ``signature`` is set. ``reusable`` pieces may be carried over
    to next year's dossier while unchanged.
    """

    key: str = attrs.field(converter=required_text)
    label: str = attrs.field(converter=required_text)
    kinds: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    required_at_submit: bool = False
    paper_original: bool = False
    signature: bool = False
    personal_data: bool = False
    reusable: bool = False

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


@attrs.frozen
class PieceReceipt:
    """A digital piece received: the file's facts, never its trusted name."""

    key: str = attrs.field(converter=required_text)
    received_on: date = attrs.field(validator=is_day)
    filename: str | None = None
    size: int | None = None
    sha256: str | None = None
    media_type: str | None = None


@attrs.frozen
class PaperOriginal:
    """The original on paper: when it arrived, whether it is signed, and by whom."""

    key: str = attrs.field(converter=required_text)
    received_on: date = attrs.field(validator=is_day)
    signed: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    signed_by: str | None = attrs.field(default=None, converter=optional_text)
    signer_role: str | None = attrs.field(default=None, converter=optional_text)

    def __attrs_post_init__(self) -> None:
        if self.signed and not (self.signed_by and self.signed_by.strip()):
            raise InvalidInput(_("a signed original must record who signed it (signed_by)"))


class IssueReason(enum.StrEnum):
    """Why a piece is sent back to the applicant by ``return_for_pieces``."""

    MISSING = "missing"
    INCORRECT = "incorrect"
    OUTDATED = "outdated"


def _reason(value: object) -> IssueReason:
    if isinstance(value, IssueReason):
        return value
    if isinstance(value, str) and value in IssueReason._value2member_map_:
        return IssueReason(value)
    raise InvalidInput(_("reason: expected one of {reasons}, got {value!r}").format(
        reasons=", ".join(r.value for r in IssueReason), value=shown(value)))


@attrs.frozen
class PieceIssue:
    """One piece sent back, with its typed reason and a note for the applicant."""

    key: str = attrs.field(converter=required_text)
    reason: IssueReason = attrs.field(converter=_reason)
    note: str = attrs.field(default="", converter=free_text)


def required_pieces(requirements: Iterable[PieceRequirement], kind: str) -> list[PieceRequirement]:
    """The requirements that apply to an applicant of ``kind``."""
    return [req for req in requirements if req.applies_to(kind)]


def pieces_missing(
    requirements: Sequence[PieceRequirement],
    kind: str,
    received: Iterable[PieceReceipt],
    originals: Iterable[PaperOriginal],
    *,
    at_submit: bool = False,
) -> list[str]:
    """Every missing piece, in plain words; empty when the dossier is complete.

    With ``at_submit`` only the pieces required to submit are checked, and no
    paper original.
    """
    have = {piece.key for piece in received}
    papers = {paper.key: paper for paper in originals}
    reasons: list[str] = []
    for req in required_pieces(requirements, kind):
        if at_submit and not req.required_at_submit:
            continue
        if req.key not in have:
            reasons.append(_("missing piece: {label} (key `{key}`)").format(label=req.label, key=req.key))
        if at_submit or not req.paper_original:
            continue
        paper = papers.get(req.key)
        if paper is None:
            reasons.append(_("missing paper original: {label} (key `{key}`)").format(label=req.label, key=req.key))
        elif req.signature and not paper.signed:
            reasons.append(_("paper original not signed: {label} (key `{key}`)").format(label=req.label, key=req.key))
    return reasons


#: :func:`pieces_missing` with its arguments checked against its annotations: what the library offers its users
#: (the guards, which pass a dossier's own records, call the unchecked one).
missing_pieces = checked(pieces_missing, name="missing_pieces")
