"""The tables checked against the replay of the journal: how ``verify`` sees a row changed behind the library's back.

:func:`difference` replays the journal and compares every projection table with it, naming the first
difference, in one pass over the journal and in flat memory (:mod:`.replayed`): the events' own columns against
their hashed bodies and each dossier (row, derived columns, personal values, QPV links, applicant) as it is
replayed; then the campaigns against their call files, every record, the copied drafts, the applicants, the
running totals, the deliberation links and the files.
"""

from __future__ import annotations

import heapq
import itertools
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from ..audit import world_difference
from ..calendar import CalendarAmendment
from ..campaign import Campaign
from ..committee import CommitteeSession
from ..conflicts import Ruling
from ..core.event_records import deliberation_record
from ..core.evolve import World, _Campaign
from ..core.plain import structure
from ..core.replay import Replay
from ..decisions import Convention, Deliberation, FinancialReport
from ..i18n import _
from ..money import to_cents
from ..scoring import ScoreSheet
from .replayed import replay_campaign_wide, replay_dossiers

__all__ = ["difference"]


def _campaigns(conn: sqlite3.Connection, world: World) -> str | None:
    for cid, year, title, envelope, call, count, dossiers in conn.execute(
        "SELECT id, year, title, envelope_cents, call, dossier_count, "
        "(SELECT COUNT(*) FROM dossiers d WHERE d.campaign_id = c.id) FROM campaigns c ORDER BY id"
    ):
        campaign: Campaign = structure(json.loads(call), Campaign)
        if (cid, year, title, envelope) != (campaign.id, campaign.call.year, campaign.call.title,
                                            to_cents(campaign.envelope.amount)):
            return _("campaign {campaign}: its columns differ from its call file").format(campaign=cid)
        if count != dossiers:
            return _(
                "campaign {campaign}: its dossier counter says {count}, its table holds {dossiers} dossiers"
            ).format(campaign=cid, count=count, dossiers=dossiers)
        world.campaigns[cid] = _Campaign(campaign)
    return None


def _records(conn: sqlite3.Connection, world: World) -> str | None:
    """Every record row, by campaign, into the world (rows of an unknown kind are kept, to be compared)."""
    for cid, kind, key, text in conn.execute("SELECT campaign_id, kind, key, data FROM records ORDER BY id"):
        place = world.campaigns.get(cid)
        if place is None:
            return _("a {kind} record {key} belongs to no campaign").format(kind=kind, key=key)
        data: Any = json.loads(text)
        if kind == "amendment":
            place.amendments.append(structure(data, CalendarAmendment))
        elif kind == "session":
            place.sessions[key] = structure(data, CommitteeSession)
        elif kind == "deliberation":
            place.deliberations.append(deliberation_record(data))
        elif kind == "convention":
            place.conventions[key] = structure(data, Convention)
        elif kind == "financial_report":
            place.financial_reports[key] = structure(data, FinancialReport)
        elif kind == "score":
            place.scores[key] = structure(data, ScoreSheet)
        elif kind == "ruling":
            place.rulings[key] = structure(data, Ruling)
        elif kind == "copied_draft":
            place.copied[key] = data.get("to")
        else:
            place.copied[f"{kind}:{key}"] = text  # a kind this library never writes: reported as a difference
    return None


_TOTALS = """
WITH share AS (
    SELECT campaign_id, COALESCE(axis, '') AS axis, CAST(applicant_id AS TEXT) AS applicant,
           CASE WHEN approved_cents IS NULL OR state = 'withdrawn' THEN 0 ELSE approved_cents END AS approved,
           CASE WHEN approved_cents IS NULL OR state = 'withdrawn' THEN 0 ELSE paid_cents END AS paid
    FROM dossiers),
wanted AS (
    SELECT campaign_id, 'campaign' AS scope, '' AS key, SUM(approved) AS approved, SUM(paid) AS paid
    FROM share GROUP BY campaign_id
    UNION ALL SELECT campaign_id, 'axis', axis, SUM(approved), SUM(paid) FROM share GROUP BY campaign_id, axis
    UNION ALL SELECT campaign_id, 'applicant', applicant, SUM(approved), SUM(paid) FROM share
    GROUP BY campaign_id, applicant),
kept AS (SELECT campaign_id, scope, key, approved_cents, paid_cents FROM totals
         WHERE approved_cents != 0 OR paid_cents != 0)
SELECT campaign_id, scope, key FROM (
    SELECT * FROM wanted WHERE approved != 0 OR paid != 0 EXCEPT SELECT * FROM kept
    UNION ALL SELECT * FROM (SELECT * FROM kept EXCEPT SELECT * FROM wanted))
ORDER BY campaign_id, scope, key LIMIT 1
"""


def _applicants_and_totals(conn: sqlite3.Connection) -> str | None:
    """An applicant row no dossier points at, or a running total other than the sum of the dossiers' shares.

    Each dossier row was found equal to its replay (its amounts, state, axis and applicant), so their sums are
    the totals the replay gives (a grant and its payments, unless withdrawn, in its campaign, axis and applicant).
    """
    row = conn.execute(
        "SELECT identity FROM applicants a WHERE NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.applicant_id = a.id) "
        "ORDER BY identity LIMIT 1"
    ).fetchone()
    if row is not None:
        return _("the applicant {identity} differs from its dossiers").format(identity=row[0])
    row = conn.execute(_TOTALS).fetchone()
    if row is None:
        return None
    cid, scope, key = row
    if scope == "applicant" and key.isdigit():
        found = conn.execute("SELECT identity FROM applicants WHERE id = ?", (int(key),)).fetchone()
        key = found[0] if found else key
    return _("the running total {total} differs from the journal").format(total=f"{cid}/{scope}/{key}")


def _links(replayed: World) -> Iterator[tuple[str, str, str, str]]:
    """The deliberation links the replay gives, in the table's order: (campaign, deliberation, dossier, day)."""
    for cid in sorted(replayed.campaigns):
        yield from heapq.merge(*(_links_of(cid, d) for d in replayed.campaigns[cid].deliberations))


def _links_of(cid: str, deliberation: Deliberation) -> Iterator[tuple[str, str, str, str]]:
    day = deliberation.day.isoformat()
    for ref in sorted(deliberation.dossiers):
        yield cid, deliberation.reference, ref, day


def _links_problem(conn: sqlite3.Connection, replayed: World) -> str | None:
    rows = conn.execute(
        "SELECT campaign_id, deliberation, reference, day FROM deliberation_dossiers "
        "ORDER BY campaign_id, deliberation, reference"
    )
    for have, want in itertools.zip_longest(rows, _links(replayed)):
        if have != want:  # both are sorted: the smaller of the two is missing from the other side
            ref = min(link for link in (have, want) if link is not None)[2]
            return _("the deliberation links of {reference} differ from the journal").format(reference=ref)
    return None


def _files(conn: sqlite3.Connection, replayed: World, pieces: list[tuple[str, str, str]]) -> str | None:
    row = conn.execute(
        "SELECT sha256 FROM files WHERE erased_at IS NULL AND size != length(content) ORDER BY sha256 LIMIT 1"
    ).fetchone()
    if row is not None:
        return _("the file {sha256}: its size differs from its content").format(sha256=row[0])
    for reference, key, sha in pieces:
        if sha not in replayed.erased_files:
            return _("the content of {reference}'s piece {key} is missing or erased").format(
                reference=reference, key=key)
    return None


def difference(conn: sqlite3.Connection) -> str | None:
    """The first difference between the tables and the replay of the journal, or ``None``."""
    replay, pieces = Replay(), list[tuple[str, str, str]]()
    problem = replay_campaign_wide(conn, replay) or replay_dossiers(conn, replay, pieces)
    if problem is not None:
        return problem
    replayed, tables = replay.world, World()
    problem = _campaigns(conn, tables) or _records(conn, tables) or world_difference(tables, replayed)
    if problem is not None:
        return problem
    for place in tables.campaigns.values():
        expected = replayed.campaigns[place.campaign.id].copied if place.campaign.id in replayed.campaigns else {}
        if place.copied != expected:
            return _("the copied drafts of {campaign} differ from the journal").format(campaign=place.campaign.id)
    return _applicants_and_totals(conn) or _links_problem(conn, replayed) or _files(conn, replayed, pieces)
