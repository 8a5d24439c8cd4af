"""The append-only journal: every event chained to the one before by a SHA-256 hash.

These are pure functions: no database, no file, no clock. A store keeps the
:class:`ChainedEvent` records; this module builds them, checks them and
replays them. Each event's hash covers the previous event's hash and the
event's own content written as :func:`canonical_json`, so changing, removing,
inserting or moving any event breaks the chain at that point::

    >>> from decimal import Decimal
    >>> first = link(GENESIS, 1, {"dossier": "AMI-001", "trigger": "submit",
    ...                           "source": "draft", "dest": "submitted"})
    >>> second = link(first.hash, 2, {"dossier": "AMI-001", "trigger": "pay",
    ...                               "source": "submitted", "dest": "paid",
    ...                               "amount": Decimal("150000.00")})
    >>> first.body["seq"], first.previous == GENESIS, second.previous == first.hash
    (1, True, True)
    >>> verify_chain([first, second]) is None
    True

Editing an event, even a single digit of an amount, is found at its seq::

    >>> forged = attrs.evolve(second, body={**second.body, "amount": Decimal("160000.00")})
    >>> verify_chain([first, forged])
    ChainProblem(seq=2, reason='edited: its hash does not match its content')
    >>> verify_chain([second, first])
    ChainProblem(seq=1, reason='reordered: events 1 and 2 are swapped')
    >>> verify_chain([second])
    ChainProblem(seq=1, reason='missing or reordered: expected seq 1, found 2')

A chain alone cannot show that its *last* events were cut off: what is left
is still a valid chain. The store must therefore keep the number of events
and the last hash (the *head*) somewhere else (a counter, a signed receipt, a
copy) and pass them to :func:`verify_chain`::

    >>> verify_chain([first]) is None
    True
    >>> verify_chain([first], expected_count=2)
    ChainProblem(seq=2, reason='truncated: expected 2 events, found 1')
    >>> verify_chain([first], expected_head=second.hash)
    ChainProblem(seq=2, reason='truncated or rewritten: the last event (seq 1) does not have the expected head hash')

Replaying the bodies rebuilds every dossier's state::

    >>> replay([first.body, second.body])
    {'AMI-001': 'paid'}

Personal data and the RGPD
--------------------------

A chained event can never be changed, and the right to erasure (RGPD
article 17) must still be honoured. So an event never holds personal data
itself (a signer's name, an e-mail address...), only a digest of it made by
:func:`personal_data_digest` with a random salt, for example
``secrets.token_hex(16)``. The data and its salt live in a separate table,
outside the chain. Erasing a person deletes that row: the events, and so the
chain, stay exactly as they were and still verify, while the digest left in
them can no longer be tied back to the person. As long as the row exists the
digest is pseudonymised data, not anonymous data::

    >>> digest = personal_data_digest("5f1c0a9e", "Jeanne Martin")
    >>> len(digest), digest == personal_data_digest("5f1c0a9e", "Jeanne Martin")
    (64, True)
    >>> digest == personal_data_digest("0b7d2e44", "Jeanne Martin")
    False
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import attrs

from .canonical import canonical_json
from .errors import InvalidInput, InvalidType
from .i18n import _, ngettext
from .shown import shown

__all__ = [
    "GENESIS",
    "ChainProblem",
    "ChainedEvent",
    "canonical_json",
    "chain_hash",
    "link",
    "link_with_text",
    "personal_data_digest",
    "replay",
    "verify_chain",
]

#: The ``previous`` hash of the first event.
GENESIS = "0" * 64

_HEX = frozenset("0123456789abcdef")


def chain_hash(previous: str, body: Mapping[str, Any]) -> str:
    """Hex SHA-256 of ``previous + "\\n" + canonical_json(body)``, encoded in UTF-8.

    >>> chain_hash(GENESIS, {"seq": 1}) == hashlib.sha256(
    ...     (GENESIS + '\\n{"seq":1}').encode()).hexdigest()
    True
    """
    if not isinstance(previous, str):
        raise InvalidInput(_("previous: a hash must be a string, not a {type}").format(
            type=type(previous).__qualname__))
    if not isinstance(body, Mapping):
        raise InvalidInput(_("body: an event must be a mapping, not a {type}").format(type=type(body).__qualname__))
    return _sha256(previous + "\n" + canonical_json(body), "previous")


@attrs.frozen
class ChainedEvent:
    """One journaled event, as a store keeps it.

    ``body`` is the event itself and holds ``"seq"`` too (equal to ``seq``);
    ``previous`` is the hash of the event before (:data:`GENESIS` for seq 1)
    and ``hash`` is ``chain_hash(previous, body)``. Build it with :func:`link`.
    """

    seq: int
    body: Mapping[str, Any]
    previous: str
    hash: str


def link(previous: str, seq: int, body: Mapping[str, Any]) -> ChainedEvent:
    """The event ``seq`` that follows the event whose hash is ``previous``.

    ``body`` is copied (shallowly) and ``"seq"`` set in the copy; the caller's
    mapping is left as it was. Raises
    :class:`~ami_workflow.errors.InvalidInput` for a ``previous`` that is not
    64 lowercase hex digits, a ``seq`` below 1, or a body that
    :func:`canonical_json` refuses.
    """
    return link_with_text(previous, seq, body)[0]


def link_with_text(previous: str, seq: int, body: Mapping[str, Any]) -> tuple[ChainedEvent, str]:
    """Like :func:`link`, with the event's canonical JSON text too (computed once, for the store to keep)."""
    if not isinstance(previous, str) or len(previous) != 64 or not set(previous) <= _HEX:
        raise InvalidInput(_("previous: expected 64 lowercase hex digits, got {previous!r}").format(
            previous=shown(previous)))
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise InvalidInput(_("seq: expected an integer from 1, got {seq!r}").format(seq=shown(seq)))
    if not isinstance(body, Mapping):
        raise InvalidInput(_("body: an event must be a mapping, not a {type}").format(type=type(body).__qualname__))
    content = dict(body)
    content["seq"] = seq
    text = canonical_json(content)
    digest = _sha256(previous + "\n" + text, "previous")
    return ChainedEvent(seq=seq, body=content, previous=previous, hash=digest), text


@attrs.frozen
class ChainProblem:
    """The first bad event of a chain: its ``seq`` (position, from 1) and the ``reason`` in plain words."""

    seq: int
    reason: str


def verify_chain(
    events: Iterable[ChainedEvent],
    expected_count: int | None = None,
    expected_head: str | None = None,
) -> ChainProblem | None:
    """Check ``events``, in the order given; ``None`` when the chain is intact.

    Otherwise return the *first* bad event as a :class:`ChainProblem`, whose
    ``seq`` is the position (from 1) where the chain goes wrong:

    * ``edited``: the event's hash does not match its content (any field of
      the body, its seq, its previous hash or its hash itself was changed);
    * ``missing or reordered`` / ``duplicated or reordered``: the event at
      position *n* does not carry seq *n* (an event was deleted or moved);
    * ``reordered``: two neighbouring events are swapped;
    * ``inserted``: an event that the chain steps over, even one whose own
      hash was correctly computed;
    * ``broken link``: the previous hash does not match the event before.
      An event rewritten *with* a recomputed hash shows here, on the event
      after it, since nothing in the rewritten event itself is wrong.

    What a chain alone cannot show: its last events cut off (what is left is
    a valid, shorter chain), or a tail rewritten with every hash recomputed.
    Pass ``expected_count`` (how many events there must be) and/or
    ``expected_head`` (the hash of the last event, :data:`GENESIS` for an
    empty journal), kept apart from the events, to detect those too: the
    problem is then ``truncated`` or ``truncated or rewritten`` at the first
    missing seq, or ``unexpected`` at the first event beyond the expected end.

    Raises :class:`~ami_workflow.errors.InvalidInput` if an item is not a
    :class:`ChainedEvent` or an expectation has the wrong type.
    """
    _check_expectations(expected_count, expected_head)
    position = 0
    expected_previous = GENESIS
    last: ChainedEvent | None = None
    head_at = 0 if expected_head == GENESIS else None
    for event, after in _with_next(events):
        position += 1
        problem = _check(position, event, after, expected_previous, last, _consistent(event))
        if problem is not None:
            return problem
        if head_at is None and event.hash == expected_head:
            head_at = position
        last, expected_previous = event, event.hash
    return _ending(position, expected_previous, head_at, expected_count, expected_head)


def _check_expectations(expected_count: int | None, expected_head: str | None) -> None:
    if expected_count is not None and (
        isinstance(expected_count, bool) or not isinstance(expected_count, int) or expected_count < 0
    ):
        raise InvalidInput(_("expected_count: expected a non-negative integer, got {count!r}").format(
            count=shown(expected_count)))
    if expected_head is not None and not isinstance(expected_head, str):
        raise InvalidType(_("expected_head: expected a hash (str), got {head!r}").format(head=shown(expected_head)))


def _ending(
    position: int, head: str, head_at: int | None, expected_count: int | None, expected_head: str | None
) -> ChainProblem | None:
    """What the expected count and head say of a chain that was intact up to ``position`` (whose hash is ``head``)."""
    if expected_count is not None and position < expected_count:
        return ChainProblem(position + 1, ngettext(
            "truncated: expected {expected} event, found {found}",
            "truncated: expected {expected} events, found {found}", expected_count,
        ).format(expected=expected_count, found=position))
    if expected_count is not None and position > expected_count:
        return ChainProblem(expected_count + 1, ngettext(
            "unexpected: expected only {expected} event, found {found}",
            "unexpected: expected only {expected} events, found {found}", expected_count,
        ).format(expected=expected_count, found=position))
    if expected_head is not None and head != expected_head:
        if head_at is not None:
            return ChainProblem(head_at + 1, _("unexpected: events after the expected head (seq {seq})").format(
                seq=head_at))
        return ChainProblem(
            position + 1,
            _("truncated or rewritten: the last event (seq {seq}) does not have the expected head hash").format(
                seq=position)
            if position
            else _("truncated or rewritten: the journal is empty but a head hash was expected"),
        )
    return None


def _with_next(events: Iterable[ChainedEvent]) -> Iterator[tuple[ChainedEvent, ChainedEvent | None]]:
    """Each event with the one after it (``None`` after the last), checking their type."""
    current: ChainedEvent | None = None
    for event in events:
        if not isinstance(event, ChainedEvent):
            raise InvalidType(_("events: expected ChainedEvent records, got a {type}").format(
                type=type(event).__qualname__))
        if current is not None:
            yield current, event
        current = event
    if current is not None:
        yield current, None


def _consistent(event: ChainedEvent) -> str | None:
    """Why ``event`` does not match its own hash, or ``None``."""
    if not isinstance(event.body, Mapping):
        return _("edited: its body is not a mapping but a {type}").format(type=type(event.body).__qualname__)
    claimed = event.body.get("seq")
    if type(claimed) is not int or type(event.seq) is not int or claimed != event.seq:
        return _("edited: its body says seq {claimed!r} but it is stored as seq {seq!r}").format(
            claimed=shown(claimed), seq=shown(event.seq))
    try:
        actual = chain_hash(event.previous, event.body)
    except InvalidInput as error:
        return _("edited: its content cannot be hashed ({error})").format(error=error)
    if actual != event.hash:
        return _("edited: its hash does not match its content")
    return None


class _Link(Protocol):
    """What the chain's checks read of an event: a :class:`ChainedEvent` or a stored row."""

    @property
    def seq(self) -> Any: ...
    @property
    def previous(self) -> Any: ...
    @property
    def hash(self) -> Any: ...


def _fits(event: _Link | None, position: int, previous: str) -> bool:
    return event is not None and event.seq == position and event.previous == previous


def _check(
    position: int,
    event: _Link,
    after: _Link | None,
    expected_previous: str,
    last: _Link | None,
    inconsistent: str | None,
) -> ChainProblem | None:
    if inconsistent is not None:
        return ChainProblem(position, inconsistent)
    if _fits(event, position, expected_previous):
        return None
    if after is not None and _fits(after, position, expected_previous):
        if event.seq == position + 1 and event.previous == after.hash:
            return ChainProblem(position, _("reordered: events {seq} and {next} are swapped").format(
                seq=position, next=position + 1))
        return ChainProblem(position, _("inserted: not part of the chain; the next event links to {target}").format(
            target=_name(position - 1)))
    if last is not None and event.hash != last.hash and _fits(event, position - 1, last.previous):
        return ChainProblem(position - 1, _(
            "inserted: not part of the chain; the next event, also seq {seq}, links to {target}"
        ).format(seq=position - 1, target=_name(position - 2)))
    if event.seq != position:
        wording = (_("missing or reordered: expected seq {expected}, found {found}") if event.seq > position
                   else _("duplicated or reordered: expected seq {expected}, found {found}"))
        return ChainProblem(position, wording.format(expected=position, found=event.seq))
    return ChainProblem(position, _("broken link: previous hash does not match {target}").format(
        target=_name(position - 1)))


def _name(position: int) -> str:
    return _("event {seq}").format(seq=position) if position else _("the genesis hash")


def replay(bodies: Iterable[Mapping[str, Any]], initial: str = "draft") -> dict[str, str]:
    """Rebuild each dossier's state from the event bodies, in order.

    Each body names its ``"dossier"`` (reference), ``"source"`` and
    ``"dest"`` states; a dossier not seen before starts at ``initial``.
    Returns ``{dossier reference: state}``. A body whose ``source`` is not
    the dossier's replayed state, or that lacks one of those fields, raises
    :class:`~ami_workflow.errors.InvalidInput` naming the seq and the dossier::

        >>> replay([{"seq": 1, "dossier": "A", "source": "draft", "dest": "submitted"},
        ...         {"seq": 2, "dossier": "A", "source": "draft", "dest": "withdrawn"}])
        Traceback (most recent call last):
        ...
        ami_workflow.errors.InvalidInput: seq 2: dossier 'A' is 'submitted' in the replay,
          but the event moves it from 'draft'
    """
    if not isinstance(initial, str):
        raise InvalidInput(_("initial: expected a state name, got {initial!r}").format(initial=shown(initial)))
    states: dict[str, str] = {}
    for position, body in enumerate(bodies, start=1):
        if not isinstance(body, Mapping):
            raise InvalidInput(_("seq {seq}: an event must be a mapping, not a {type}").format(
                seq=position, type=type(body).__qualname__))
        seq = body.get("seq", position)
        fields = [body.get(key) for key in ("dossier", "source", "dest")]
        names = ("dossier", "source", "dest")
        wrong = [key for key, value in zip(names, fields, strict=True) if not isinstance(value, str)]
        if wrong:
            raise InvalidInput(_("seq {seq}: dossier {dossier!r}: missing or not text: {fields}").format(
                seq=seq, dossier=shown(body.get("dossier")), fields=", ".join(wrong)))
        dossier, source, dest = (str(value) for value in fields)
        current = states.get(dossier, initial)
        if source != current:
            raise InvalidInput(_(
                "seq {seq}: dossier {dossier!r} is {current!r} in the replay, but the event moves it from {source!r}"
            ).format(seq=seq, dossier=dossier, current=current, source=source))
        states[dossier] = dest
    return states


def personal_data_digest(salt: str, value: Any) -> str:
    """Hex SHA-256 of ``salt + "\\n" + canonical_json(value)``: what an event keeps of personal data.

    Use a random salt per person (``secrets.token_hex(16)``), stored with the
    data in a table outside the chain; see the module's note on the RGPD.
    Raises :class:`~ami_workflow.errors.InvalidInput` for an empty or
    non-text salt (an unsalted digest of a name is easily reversed by
    guessing) or a value that :func:`canonical_json` refuses.
    """
    if not isinstance(salt, str) or not salt:
        raise InvalidInput(_("salt: expected a non-empty string"))
    return _sha256(salt + "\n" + canonical_json(value), "salt")


def _sha256(text: str, where: str) -> str:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidInput(_("{where}: text that cannot be written as UTF-8 ({reason})").format(
            where=where, reason=error.reason)) from None
    return hashlib.sha256(data).hexdigest()
