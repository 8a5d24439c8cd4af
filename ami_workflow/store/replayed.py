"""The journal read back and replayed a dossier at a time, each dossier compared with its rows as it comes.

Part of ``verify`` (:mod:`.checks` runs it): the campaign-wide events first, in the journal's order, then the
events of each dossier in turn (the ``events_dossier`` index gives them in that order), folded by a
:class:`~ami_workflow.core.replay.Replay`. Every event's indexed columns are checked against its hashed body
as it is read, and each body is parsed once. Each replayed dossier is compared with its row, its personal
values, its QPV links and its applicant, read from cursors walking the same order, then forgotten: memory
stays flat however many dossiers the store holds.
"""

from __future__ import annotations

import itertools
import json
import operator
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .. import jsontext
from ..audit import _first_field
from ..codec import converter
from ..core.events import Event, Kind, event_from_body
from ..core.plain import plain, plain_json, structure
from ..core.replay import Replay, dossiers_of
from ..dossier import Dossier
from ..errors import AmiWorkflowError
from ..i18n import _
from ..issued import document_files
from ..personal import join_personal, split_personal
from .projections import COLUMNS, dossier_columns

__all__ = ["Unsound", "replay_campaign_wide", "replay_dossiers"]

_KINDS = {k.value for k in Kind}
_EVENTS = (
    "SELECT e.seq, e.campaign_id, e.dossier, e.kind, e.trigger, e.source, e.dest, e.at, e.recorded_at, e.actor, "
    "e.body, p.path, p.value FROM events e LEFT JOIN personal_values p ON p.seq = e.seq "
)
_NAMES = [c.strip() for c in COLUMNS.split(",")]
_ROWS = (
    f"SELECT d.reference, d.data, {', '.join(f'd.{n}' for n in _NAMES)}, "
    "a.identity, a.name, a.kind, a.siren, a.siret, a.rna, a.iban, "
    # The dossier created last for its applicant: the one whose applicant the row must hold.
    "CASE WHEN (SELECT COUNT(*) FROM dossiers s WHERE s.applicant_id = d.applicant_id) = 1 THEN d.reference ELSE "
    "(SELECT s.reference FROM dossiers s WHERE s.applicant_id = d.applicant_id ORDER BY "
    "(SELECT e.seq FROM events e WHERE e.dossier = s.reference AND e.kind IN ('dossier_created', 'dossier_imported') "
    "ORDER BY e.seq LIMIT 1) DESC LIMIT 1) END "
    "FROM dossiers d LEFT JOIN applicants a ON a.id = d.applicant_id ORDER BY d.reference"
)
# What replaying a forged event may raise (a full rewrite of the chain can put anything in a body).
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError, AssertionError, AmiWorkflowError)


class Unsound(Exception):
    """A problem found while reading the journal: its message says which."""


def _event(row: tuple[Any, ...], personal: dict[str, str | None]) -> Event:
    seq, campaign, dossier, kind, trigger, source, dest, at, recorded_at, actor, text = row[:11]
    try:
        body = jsontext.loads(text)
    except (TypeError, ValueError):
        raise Unsound(_("event {seq}: its body is not JSON").format(seq=seq)) from None
    if not isinstance(body, dict):
        raise Unsound(_("event {seq}: its body is not a JSON object").format(seq=seq))
    try:
        if body.get("kind") in _KINDS:
            data = body["data"]
            expected = (body["campaign"], body["dossier"], body["kind"], data.get("trigger"), data.get("source"),
                        data.get("dest"), body["at"], body["recorded_at"], body["actor"])
        else:  # an event written before schema m005
            expected = (body.get("campaign"), body.get("dossier"), body.get("kind"), body.get("trigger"),
                        body.get("source"), body.get("dest"), body.get("at"), None, body.get("actor"))
    except (AttributeError, KeyError):
        expected = None
    if (campaign, dossier, kind, trigger, source, dest, at, recorded_at, actor) != expected:
        raise Unsound(_("event {seq}: its columns differ from its hashed content").format(seq=seq))
    try:
        return event_from_body(body, personal, seq)
    except _UNREADABLE as error:
        raise Unsound(_("event {seq}: its body cannot be read as an event ({error})").format(
            seq=seq, error=error)) from None


def read_events(rows: Iterable[tuple[Any, ...]]) -> Iterator[Event]:
    """The events of ``rows`` (:data:`_EVENTS`: one row per personal value), each checked against its columns."""
    current: tuple[Any, ...] | None = None
    personal: dict[str, str | None] = {}
    for row in rows:
        if current is not None and current[0] == row[0]:
            personal[row[11]] = row[12]
            continue
        if current is not None:
            yield _event(current, personal)
        current, personal = row, ({} if row[11] is None else {row[11]: row[12]})
    if current is not None:
        yield _event(current, personal)


def replay_campaign_wide(conn: sqlite3.Connection, replay: Replay) -> str | None:
    """Fold the events of no dossier (campaigns, records, erasures...), in order; the first problem, or ``None``."""
    try:
        for event in read_events(conn.execute(_EVENTS + "WHERE e.dossier IS NULL ORDER BY e.seq")):
            if event.kind is not Kind.LEGACY:
                try:
                    replay.add(event)
                except _UNREADABLE as error:
                    return _("event {seq}: it cannot be replayed ({type}: {error})").format(
                        seq=event.seq, type=type(error).__name__, error=error)
    except Unsound as problem:
        return str(problem)
    return None


class _Stream:
    """Rows ordered by their first column, taken a key at a time; a key skipped over is a stray."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self._groups = itertools.groupby(rows, key=operator.itemgetter(0))
        self._head = next(self._groups, None)
        self.stray: str | None = None

    def take(self, key: str) -> list[tuple[Any, ...]]:
        while self._head is not None and self._head[0] < key:
            self.stray = self.stray or self._head[0]
            self._head = next(self._groups, None)
        if self._head is None or self._head[0] != key:
            return []
        rows = list(self._head[1])
        self._head = next(self._groups, None)
        return rows

    def rest(self) -> str | None:
        """The first stray, reading what is left."""
        if self.stray is None and self._head is not None:
            self.stray = self._head[0]
        return self.stray


def replay_dossiers(conn: sqlite3.Connection, replay: Replay, pieces: list[tuple[str, str, str]]) -> str | None:
    """Replay each dossier and compare it with its rows; the first problem, or ``None``.

    Pieces whose bytes are missing (and not erased by then) are added to ``pieces``, to be judged once every
    erasure is known.
    """
    events = conn.execute(_EVENTS + "WHERE e.dossier IS NOT NULL ORDER BY e.dossier, e.seq")
    groups = itertools.groupby(read_events(events), key=operator.attrgetter("dossier"))
    rows = conn.execute(_ROWS)
    personal = _Stream(conn.execute("SELECT dossier, path, value FROM personal_data ORDER BY dossier, path"))
    qpv = _Stream(conn.execute("SELECT reference, qpv_code FROM dossier_qpv ORDER BY reference, qpv_code"))
    files = _Files(conn, pieces)
    try:
        group, row = next(groups, None), next(rows, None)
        while group is not None or row is not None:
            if row is None or (group is not None and group[0] < row[0]):
                assert group is not None
                reference, own = group[0], list(group[1])
                group = next(groups, None)
                if _replayed(replay, reference, own) is not None:
                    return _("dossier {reference} is in the journal but missing from the store").format(
                        reference=reference)
                continue
            if group is None or row[0] < group[0]:
                return _("dossier {reference} has no event in the journal").format(reference=row[0])
            reference, own = group[0], list(group[1])
            group, current, row = next(groups, None), row, next(rows, None)
            want = _replayed(replay, reference, own)
            if want is None:
                return _("dossier {reference} has no event in the journal").format(reference=reference)
            values = {path: value for _ref, path, value in personal.take(reference)}
            codes = [code for _ref, code in qpv.take(reference)]
            problem = _compare(reference, want, current, values, codes)
            if problem is not None:
                return problem
            files.want(reference, want, replay.world.erased_files)
            files.want_documents(reference, own, replay.world.erased_files)
    except Unsound as problem:
        return str(problem)
    files.check()
    stray = personal.rest()
    if stray is not None:
        return _("personal data is kept for {reference}, which is no dossier").format(reference=stray)
    stray = qpv.rest()
    return None if stray is None else _("QPV links are kept for {reference}, which is no dossier").format(
        reference=stray)


class _Files:
    """The pieces of the dossiers replayed, checked against the files held, a few hundred at a time."""

    def __init__(self, conn: sqlite3.Connection, missing: list[tuple[str, str, str]]) -> None:
        self._conn, self._missing = conn, missing
        self._wanted: dict[str, list[tuple[str, str]]] = {}

    def want(self, reference: str, dossier: Dossier, erased: set[str]) -> None:
        for piece in dossier.pieces:
            if piece.sha256 and piece.sha256 not in erased:
                self._wanted.setdefault(piece.sha256, []).append((reference, piece.key))
        if len(self._wanted) >= 500:
            self.check()

    def want_documents(self, reference: str, events: Sequence[Event], erased: set[str]) -> None:
        """The files of the documents issued on the dossier, unless erased since."""
        for event in events:
            if event.kind is Kind.DOCUMENT_ISSUED:
                for key, sha in document_files(event.data, reference):
                    if sha not in erased:
                        self._wanted.setdefault(sha, []).append((reference, key))

    def check(self) -> None:
        """Note the pieces wanted so far whose bytes are missing or erased: (reference, key, SHA-256)."""
        if not self._wanted:
            return
        held = {sha for (sha,) in self._conn.execute(
            f"SELECT sha256 FROM files WHERE erased_at IS NULL AND sha256 IN ({','.join('?' * len(self._wanted))})",
            list(self._wanted),
        )}
        self._missing.extend((ref, key, sha) for sha, owners in self._wanted.items() if sha not in held
                             for ref, key in owners)
        self._wanted.clear()


def _replayed(replay: Replay, reference: str, events: Sequence[Event]) -> Dossier | None:
    for event in events:
        if event.kind is not Kind.LEGACY and dossiers_of(event) != (reference,):
            raise Unsound(_("event {seq}: a campaign-wide {kind} event is filed under {reference}").format(
                seq=event.seq, kind=event.kind.value, reference=reference))
    try:
        return replay.dossier(reference, events)
    except _UNREADABLE as error:
        raise Unsound(_("dossier {reference}: its events cannot be replayed ({type}: {error})").format(
            reference=reference, type=type(error).__name__, error=error)) from None


def _compare(
    reference: str, want: Dossier, row: tuple[Any, ...], personal: dict[str, str | None], qpv: list[str]
) -> str | None:
    """The first difference between the replayed dossier and its rows, or ``None``."""
    text, columns, applicant, latest = row[1], tuple(row[2:16]), row[16:23], row[23]
    held = {path: value for path, value in personal.items() if value}
    expected, values = split_personal(converter.unstructure(want))
    # The row holds the text the store writes: equal text, equal dossier. Otherwise, compare what it says.
    if plain_json(expected) != text or columns != dossier_columns(want) or values != held:
        problem = _explained(reference, want, text, columns, personal, held)
        if problem is not None:
            return problem
    if qpv != sorted(want.application.qpv_codes):
        return _("dossier {reference}: its QPV links differ from its record").format(reference=reference)
    identity = want.applicant.identity
    if applicant[0] is None:
        return _("the applicant {identity} of dossier {reference} is missing from the store").format(
            identity=identity, reference=reference)
    if applicant[0] != identity:
        return _("dossier {reference} points at the applicant {other}, not at its own ({identity})").format(
            reference=reference, other=applicant[0], identity=identity)
    a = want.applicant
    if latest == reference and tuple(applicant[1:]) != (a.name, a.kind, a.siren, a.siret, a.rna, a.iban):
        return _("the applicant {identity} differs from its dossiers").format(identity=identity)
    return None


def _explained(
    reference: str,
    want: Dossier,
    text: str,
    columns: tuple[Any, ...],
    personal: dict[str, str | None],
    held: dict[str, str],
) -> str | None:
    """Read the row back, as any version of the library may have written it, and name what differs."""
    try:
        stored = json.loads(text)
        have: Dossier = structure(join_personal(json.loads(text), personal), Dossier)
    except _UNREADABLE as error:
        return _("dossier {reference}: its row cannot be read ({type}: {error})").format(
            reference=reference, type=type(error).__name__, error=error)
    if columns != dossier_columns(have):
        wrong = [n for n, a, b in zip(_NAMES, columns, dossier_columns(have), strict=True) if a != b]
        return _("dossier {reference}: the column {columns} differs from its record").format(
            reference=reference, columns=", ".join(wrong))
    if split_personal(plain(have)) != (stored, held):
        return _("dossier {reference}: its personal data differs from its record").format(reference=reference)
    if have != want:
        return _("dossier {reference} differs from its journal: {difference}").format(
            reference=reference, difference=_first_field(have, want))
    return None
