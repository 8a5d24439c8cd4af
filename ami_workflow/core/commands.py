"""The commands: what a caller asks a store to do, one record per operation.

A command holds the caller's input, already checked for type and shape by
its converters and validators (bad input raises
:class:`~ami_workflow.errors.InvalidInput` before anything is read or
written). :func:`~ami_workflow.core.decide.decide` turns it into events, or
refuses it with every reason.

The caller never dates a command with the store's clock: ``at`` is the date of
an administrative act (a session's day, a signature), which must not be later
than the moment it is recorded; the applicant's acts have no ``at`` (they are
dated when received) but may carry a ``postmark``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from stdnum.fr import siret as _siret

from ..board import BoardMember
from ..calendar import Window, to_paris
from ..campaign import Campaign
from ..checks import free_text, is_day, optional_text, required_free_text, required_text
from ..committee import CommitteeSession
from ..conventions import Avenant
from ..decisions import Convention, Deliberation, FinancialReport
from ..dossier import Applicant, Application
from ..errors import InvalidInput, InvalidType
from ..i18n import _
from ..issued import IssuedDocument
from ..pieces import PaperOriginal
from ..scoring import marks_of
from ..shown import shown
from ..triggers import TriggerArgs

__all__ = [
    "AddCampaign",
    "AmendCalendar",
    "AmendConvention",
    "AmendFunder",
    "ApproveBatch",
    "AttachPiece",
    "Command",
    "CopyDrafts",
    "CreateDossiers",
    "DeclareEnforceable",
    "EraseMember",
    "ErasePersonalData",
    "Fire",
    "IssueDocument",
    "ReceiveOriginal",
    "RecordBoard",
    "RecordConvention",
    "RecordDeliberation",
    "RecordFinancialReport",
    "ReviewFinancialReport",
    "RecordScores",
    "RecordSession",
    "ReusePieces",
    "RuleConflict",
    "UpdateApplication",
]


def _instant(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidType(_("at must be a datetime, not {value!r}").format(value=shown(value)))
    return to_paris(value)


def _postmark(instance: object, attribute: attrs.Attribute[date | None], value: object) -> None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise InvalidType(_("postmark: expected a date, got {value!r}").format(value=shown(value)))


def _instance(cls: type) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            raise InvalidInput(_("{name} must be a {expected}, not {type}").format(
                name=attribute.name, expected=cls.__name__, type=type(value).__name__))

    return check


def _opinion(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(_("an opinion is text, not {value!r}").format(value=shown(value)))
    return free_text(value)


def _version(instance: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidInput(_("expected_version must be a non-negative int, not {value!r}").format(value=shown(value)))


@attrs.frozen
class AddCampaign:
    campaign: Campaign = attrs.field(validator=_instance(Campaign))
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class CreateDossiers:
    """New drafts: (applicant, application, reference or ``None``) each; all of them or none."""

    campaign_id: str
    entries: tuple[tuple[Applicant, Application, str | None], ...]
    actor: str = attrs.field(converter=required_text)
    copied_from: tuple[str | None, ...] = ()


@attrs.frozen
class UpdateApplication:
    reference: str = attrs.field(converter=required_text)
    application: Application = attrs.field(validator=_instance(Application))
    expected_version: int | None = attrs.field(validator=_version)
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class AttachPiece:
    reference: str = attrs.field(converter=required_text)
    key: str
    sha256: str
    size: int
    filename: str | None = attrs.field(converter=optional_text)
    media_type: str | None = attrs.field(converter=optional_text)
    actor: str = attrs.field(converter=required_text)
    postmark: date | None = attrs.field(default=None, validator=_postmark)
    expected_version: int | None = attrs.field(default=None, validator=_version)


@attrs.frozen
class ReceiveOriginal:
    reference: str = attrs.field(converter=required_text)
    original: PaperOriginal = attrs.field(validator=_instance(PaperOriginal))
    actor: str = attrs.field(converter=required_text)
    postmark: date | None = attrs.field(default=None, validator=_postmark)
    expected_version: int | None = attrs.field(default=None, validator=_version)


@attrs.frozen
class ReusePieces:
    reference: str = attrs.field(converter=required_text)
    from_reference: str = attrs.field(converter=required_text)
    keys: tuple[str, ...]
    actor: str = attrs.field(converter=required_text)
    expected_version: int | None = attrs.field(default=None, validator=_version)


@attrs.frozen
class Fire:
    reference: str = attrs.field(converter=required_text)
    trigger: str
    args: TriggerArgs
    actor: str = attrs.field(converter=required_text)
    at: datetime | None = attrs.field(default=None, converter=_instant)
    postmark: date | None = attrs.field(default=None, validator=_postmark)
    expected_version: int | None = attrs.field(default=None, validator=_version)


@attrs.frozen
class ApproveBatch:
    campaign_id: str
    proposals: Mapping[str, Decimal | None]
    actor: str = attrs.field(converter=required_text)
    at: datetime | None = attrs.field(default=None, converter=_instant)


def _amendment_reason(value: object) -> str:
    """The reason of a calendar amendment: the same words as :class:`~ami_workflow.calendar.CalendarAmendment`."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("a calendar amendment needs a reason in words"))
    return free_text(value)


@attrs.frozen
class AmendCalendar:
    campaign_id: str
    window: str
    new_window: Window = attrs.field(validator=_instance(Window))
    reason: str = attrs.field(converter=_amendment_reason)
    actor: str = attrs.field(converter=required_text)


def _funder_reason(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("an amendment of the funder's identifiers needs a reason in words"))
    return free_text(value)


def _siret_value(value: object) -> str | None:
    """A SIRET, compact (spaces and dots dropped), checked by python-stdnum; ``None`` leaves it unchanged."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(_("siret must be text, not {type}").format(type=type(value).__name__))
    compact = str(_siret.compact(value))
    if not _siret.is_valid(compact):
        raise InvalidInput(_("{value!r} is not a valid SIRET: 14 digits with a valid check digit are expected").format(
            value=shown(value)))
    return compact


#: What a 360Giving prefix may hold: letters, digits and hyphens, as the prefixes 360Giving issues (« 360G-… »).
_PREFIX = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")


def _prefix_value(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _PREFIX.fullmatch(value.strip()):
        raise InvalidInput(_("{value!r} is not a 360Giving identifier prefix: letters, digits and hyphens, "
                             "e.g. 360G-example").format(value=shown(value)))
    return value.strip()


@attrs.frozen
class AmendFunder:
    """Set the funder's SIRET and 360Giving prefix on a live campaign (``None``: unchanged)."""

    campaign_id: str
    siret: str | None = attrs.field(converter=_siret_value)
    registered_id_prefix: str | None = attrs.field(converter=_prefix_value)
    reason: str = attrs.field(converter=_funder_reason)
    actor: str = attrs.field(converter=required_text)

    def __attrs_post_init__(self) -> None:
        if self.siret is None and self.registered_id_prefix is None:
            raise InvalidInput(_("give the funder's SIRET, its 360Giving prefix, or both"))


@attrs.frozen
class RecordSession:
    campaign_id: str
    session: CommitteeSession = attrs.field(validator=_instance(CommitteeSession))
    actor: str = attrs.field(converter=required_text)


def _motivations(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidInput(_("the motivations map refused dossiers to texts, not {value!r}").format(value=shown(value)))
    return {required_text(ref): required_free_text(text) for ref, text in value.items()}


@attrs.frozen
class RecordDeliberation:
    """The council's deliberation, with the motivation of each refusal (kept outside the chain)."""

    campaign_id: str
    deliberation: Deliberation = attrs.field(validator=_instance(Deliberation))
    actor: str = attrs.field(converter=required_text)
    motivations: Mapping[str, str] = attrs.field(factory=dict, converter=_motivations, hash=False)


@attrs.frozen
class DeclareEnforceable:
    """The day a recorded deliberation became enforceable (transmission to the prefecture, publication)."""

    campaign_id: str
    reference: str = attrs.field(converter=required_text)
    day: date = attrs.field(validator=is_day)
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class RecordConvention:
    convention: Convention = attrs.field(validator=_instance(Convention))
    actor: str = attrs.field(converter=required_text)


def _optional_report(instance: object, attribute: attrs.Attribute[FinancialReport | None],
                     value: FinancialReport | None) -> None:
    if value is not None and not isinstance(value, FinancialReport):
        raise InvalidType(_("report: expected a FinancialReport, got {type}").format(type=type(value).__name__))


@attrs.frozen
class AmendConvention:
    """An avenant to the convention of the dossier ``reference``."""

    reference: str = attrs.field(converter=required_text)
    avenant: Avenant = attrs.field(validator=_instance(Avenant))
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class RecordFinancialReport:
    """The compte rendu financier of a granted dossier, received on a day; ``report`` holds its content (realised
    budget, people reached, evaluation), or only the day when ``None``."""

    reference: str = attrs.field(converter=required_text)
    received_on: date = attrs.field(validator=is_day)
    actor: str = attrs.field(converter=required_text)
    report: FinancialReport | None = attrs.field(default=None, validator=_optional_report)


@attrs.frozen
class ReviewFinancialReport:
    """The instructor's review of a compte rendu financier: accepted, or questions to answer by a day."""

    reference: str = attrs.field(converter=required_text)
    accepted: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    actor: str = attrs.field(converter=required_text)
    questions: str = attrs.field(default="", converter=free_text)
    answer_by: date | None = attrs.field(default=None, validator=attrs.validators.optional(is_day))


@attrs.frozen
class RecordScores:
    """A committee member's marks on a dossier heard at a session, and their opinion (avis)."""

    reference: str = attrs.field(converter=required_text)
    session: str = attrs.field(converter=required_text)
    member: str = attrs.field(converter=required_text)
    marks: Mapping[str, int] = attrs.field(converter=marks_of)
    opinion: str = attrs.field(converter=_opinion)
    actor: str = attrs.field(converter=required_text)


def _board(value: object) -> tuple[BoardMember, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InvalidInput(_("a board list is a sequence of BoardMember records, not {value!r}").format(
            value=shown(value)))
    for member in value:
        if not isinstance(member, BoardMember):
            raise InvalidInput(_("a board list holds BoardMember records, not {value!r}").format(value=shown(member)))
    return tuple(value)


def _confirmed(instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if type(value) is not bool:
        raise InvalidInput(_("confirmed is True or False, not {value!r}").format(value=shown(value)))


@attrs.frozen
class RecordBoard:
    """The applicant's board and bureau members for one dossier, from its pieces (replacing an earlier list)."""

    reference: str = attrs.field(converter=required_text)
    members: tuple[BoardMember, ...] = attrs.field(converter=_board)
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class RuleConflict:
    """The chair's ruling on a member's possible conflict of interest with a dossier, at a session."""

    reference: str = attrs.field(converter=required_text)
    session: str = attrs.field(converter=required_text)
    member: str = attrs.field(converter=required_text)
    confirmed: bool = attrs.field(validator=_confirmed)
    reason: str = attrs.field(converter=required_free_text)
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class IssueDocument:
    """Record a document issued on a dossier: its kind, the event it attests and its files' hashes."""

    document: IssuedDocument = attrs.field(validator=_instance(IssuedDocument))
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class CopyDrafts:
    from_campaign_id: str
    to_campaign_id: str
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class ErasePersonalData:
    identity: str = attrs.field(converter=required_text)
    reason: str = attrs.field(converter=required_free_text)
    actor: str = attrs.field(converter=required_text)


@attrs.frozen
class EraseMember:
    name: str = attrs.field(converter=required_text)
    reason: str = attrs.field(converter=required_free_text)
    actor: str = attrs.field(converter=required_text)


Command = (
    AddCampaign
    | CreateDossiers
    | UpdateApplication
    | AttachPiece
    | ReceiveOriginal
    | ReusePieces
    | Fire
    | ApproveBatch
    | AmendCalendar
    | AmendFunder
    | RecordSession
    | RecordDeliberation
    | RecordConvention
    | RecordFinancialReport
    | ReviewFinancialReport
    | CopyDrafts
    | ErasePersonalData
    | EraseMember
    | IssueDocument
    | RecordScores
    | RecordBoard
    | RuleConflict
    | DeclareEnforceable
    | AmendConvention
)
