"""The events: every fact the journal records, as one small record type.

An :class:`Event` is what :func:`~ami_workflow.core.decide.decide` returns
and what :func:`~ami_workflow.core.evolve.evolve` folds. Its ``data`` holds
every fact that changes state, as JSON-ready values, so that replaying the
journal rebuilds every projection. Personal values (a name, a free-text
motivation or note) never go into ``data``: they travel in ``personal``, by
path, and the journal keeps only a salted digest of each (see
:func:`~ami_workflow.journal.personal_data_digest`), so they can be erased
while the chain still verifies.

Two instants are kept: ``at``, when the act took effect (the session's day,
the signature, the receipt of a submission), and ``recorded_at``, when the
store recorded it, from the store's clock. ``at`` is never later than
``recorded_at``.

    >>> from datetime import datetime
    >>> from ami_workflow.calendar import PARIS
    >>> event = Event(Kind.TRIGGERED, "c", "c-0001", datetime(2021, 4, 12, 10, tzinfo=PARIS), "accueil",
    ...               {"trigger": "submit", "source": "draft", "dest": "submitted"})
    >>> event.trigger, event.dest
    ('submit', 'submitted')
    >>> body = event_body(event, datetime(2021, 4, 12, 10, 5, tzinfo=PARIS), {})
    >>> event_from_body(body).recorded_at.minute
    5
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ..calendar import to_paris
from ..errors import InvalidInput, InvalidType
from ..i18n import _
from ..shown import shown

__all__ = ["APPLICANT_ACTS", "Event", "Kind", "event_body", "event_from_body", "stamped"]


class Kind(enum.StrEnum):
    """What an event records."""

    CAMPAIGN_ADDED = "campaign_added"
    DOSSIER_CREATED = "dossier_created"
    APPLICATION_UPDATED = "application_updated"
    PIECE_ATTACHED = "piece_attached"
    ORIGINAL_RECEIVED = "original_received"
    PIECES_REUSED = "pieces_reused"
    TRIGGERED = "triggered"
    CALENDAR_AMENDED = "calendar_amended"
    FUNDER_AMENDED = "funder_amended"
    """The funder's SIRET and 360Giving prefix set on a live campaign (the call file left as registered)."""
    SESSION_RECORDED = "session_recorded"
    DELIBERATION_RECORDED = "deliberation_recorded"
    DELIBERATION_ENFORCEABLE = "deliberation_enforceable"
    """The day a deliberation became enforceable (transmitted to the prefecture and published)."""
    GRANT_REDUCED = "grant_reduced"
    """The council grants a dossier less than the jury proposed (one event per dossier, with its deliberation)."""
    CONVENTION_RECORDED = "convention_recorded"
    CONVENTION_AMENDED = "convention_amended"
    """An avenant to a dossier's convention: the fields it changes (its reason is personal)."""
    FINANCIAL_REPORT_RECORDED = "financial_report_recorded"
    FINANCIAL_REPORT_REVIEWED = "financial_report_reviewed"
    """The instructor accepts a compte rendu financier, or asks questions to answer by a day (personal text)."""
    SCORES_RECORDED = "scores_recorded"
    """One committee member's marks (and opinion, a personal value) on a dossier heard at a session."""
    BOARD_RECORDED = "board_recorded"
    """The applicant's board and bureau members for a dossier (their names are personal values)."""
    CONFLICT_RULED = "conflict_ruled"
    """The chair confirms or dismisses a member's possible conflict of interest with a dossier (the reason is
    personal)."""
    DOCUMENT_ISSUED = "document_issued"
    """A document issued on a dossier (its bytes kept by hash with the dossier's files; see ami_workflow.issued)."""
    PERSONAL_DATA_ERASED = "personal_data_erased"
    MEMBER_ERASED = "member_erased"
    CHECKPOINT = "checkpoint"
    DOSSIER_IMPORTED = "dossier_imported"
    """A dossier as a database of an earlier version held it, journaled once when that file is first opened."""
    LEGACY = "legacy"
    """An event written by an earlier version of the library: verified by its hash, not replayed."""


#: The applicant's own acts: dated when the service receives them (or by their postmark), never by the caller.
APPLICANT_ACTS = frozenset({"submit", Kind.PIECE_ATTACHED.value, Kind.ORIGINAL_RECEIVED.value})


def _kind(value: Any) -> Kind:
    if type(value) is Kind:
        return value
    if not isinstance(value, str):
        raise InvalidType(_("kind: expected a Kind or its text, got {type}").format(type=type(value).__name__))
    try:
        return Kind(value)
    except ValueError:
        raise InvalidInput(_("kind: {value!r} is not a kind of event").format(value=shown(value[:100]))) from None


def _data(value: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidType(_("expected a mapping, got {type}").format(type=type(value).__name__))
    return dict(value)


def _optional_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidType(_("{name}: expected text or None, got {type}").format(
            name=attribute.name, type=type(value).__name__))


def _str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidType(_("{name}: expected text, got {type}").format(name=attribute.name, type=type(value).__name__))


def _optional_instant(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, datetime):
        raise InvalidType(_("{name}: expected a datetime or None, got {type}").format(
            name=attribute.name, type=type(value).__name__))


def _optional_seq(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidType(_("{name}: expected an integer or None, got {type}").format(
            name=attribute.name, type=type(value).__name__))


@attrs.frozen
class Event:
    """One fact of the journal.

    ``data`` is chained as it is; ``personal`` (path → value, ``None`` once
    erased) is kept outside the chain and only its digests are chained.
    ``recorded_at`` and ``seq`` are set by the store when it appends the event.
    """

    kind: Kind = attrs.field(converter=_kind)
    campaign: str | None = attrs.field(validator=_optional_str)
    dossier: str | None = attrs.field(validator=_optional_str)
    at: datetime = attrs.field(converter=to_paris)
    actor: str = attrs.field(validator=_str)
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_data)
    personal: Mapping[str, str | None] = attrs.field(factory=dict, converter=_data)
    recorded_at: datetime | None = attrs.field(default=None, validator=_optional_instant)
    seq: int | None = attrs.field(default=None, validator=_optional_seq)

    @property
    def trigger(self) -> str:
        """The trigger of a ``triggered`` event, else the event's kind."""
        return str(self.data.get("trigger") or self.kind.value)

    @property
    def source(self) -> str | None:
        value = self.data.get("source")
        return None if value is None else str(value)

    @property
    def dest(self) -> str | None:
        value = self.data.get("dest")
        return None if value is None else str(value)

    @property
    def payload(self) -> Mapping[str, Any]:
        """The facts beyond the trigger and the states (what older versions called the payload)."""
        return {k: v for k, v in self.data.items() if k not in ("trigger", "source", "dest")}


_EVENT_FIELDS = tuple(field.name for field in attrs.fields(Event))


def stamped(event: Event, recorded_at: datetime, seq: int) -> Event:
    """``event`` as the store appends it, with its recording time and number: ``attrs.evolve(event,
    recorded_at=..., seq=...)`` without running the other fields' converters again (they hold what they made).

        >>> from ami_workflow.calendar import PARIS
        >>> when = datetime(2021, 4, 1, 10, tzinfo=PARIS)
        >>> event = Event(Kind.DOSSIER_CREATED, "c", "c-0001", when, "accueil", {"application": {}})
        >>> stamped(event, when, 7) == attrs.evolve(event, recorded_at=when, seq=7)
        True
    """
    if not isinstance(recorded_at, datetime):
        raise InvalidType(_("{name}: expected a datetime or None, got {type}").format(
            name="recorded_at", type=type(recorded_at).__name__))
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise InvalidType(_("{name}: expected an integer or None, got {type}").format(
            name="seq", type=type(seq).__name__))
    new: Event = object.__new__(Event)
    for name in _EVENT_FIELDS:
        object.__setattr__(new, name, getattr(event, name))
    object.__setattr__(new, "recorded_at", recorded_at)
    object.__setattr__(new, "seq", seq)
    return new


def event_body(event: Event, recorded_at: datetime, digests: Mapping[str, str]) -> dict[str, Any]:
    """The chained body of ``event``: every fact, and a digest in place of each personal value."""
    return {
        "kind": event.kind.value,
        "campaign": event.campaign,
        "dossier": event.dossier,
        "at": event.at.isoformat(),
        "recorded_at": to_paris(recorded_at).isoformat(),
        "actor": event.actor,
        "data": dict(event.data),
        "personal": dict(digests),
    }


_BY_VALUE = {kind.value: kind for kind in Kind}


def event_from_body(
    body: Mapping[str, Any], personal: Mapping[str, str | None] | None = None, seq: int | None = None
) -> Event:
    """The event a chained body records, with its personal values if the store still holds them."""
    kind = str(body.get("kind"))
    member = _BY_VALUE.get(kind)
    if member is None:
        return Event(
            Kind.LEGACY,
            body.get("campaign"),
            body.get("dossier"),
            datetime.fromisoformat(body["at"]),
            str(body.get("actor") or ""),
            {"trigger": body.get("trigger") or kind, "source": body.get("source"), "dest": body.get("dest"),
             "body": dict(body)},
            {},
            None,
            seq,
        )
    return Event(
        member,
        body["campaign"],
        body["dossier"],
        datetime.fromisoformat(body["at"]),
        body["actor"],
        body["data"],
        dict(personal or {}),
        datetime.fromisoformat(body["recorded_at"]),
        seq if seq is not None else body.get("seq"),
    )
