"""The readers' queries: the report's aggregates, the export's flat rows and the grants, in SQL on the projections.

Each function computes what its pure counterpart in
:mod:`ami_workflow.core.figures` computes from dossiers, with no dossier
structured in Python: aggregates are ``GROUP BY`` queries, rows are streamed
from one ``SELECT``. The columns of the ``dossiers`` table answer most of it;
what has no column (the applicant as the dossier holds it, its participants,
its bonus criteria, its payments) is read from the row's JSON ``data``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime

from ..calendar import paris_date
from ..core.figures import AxisFigures, DossierRow, GrantRow, QpvFigures, ReportFigures
from ..money import from_cents

__all__ = ["DOSSIER_ROWS", "GRANT_ROWS", "REPORT_QUERIES", "dossier_rows", "grant_rows", "report_figures"]

_RECEIVED = "d.submitted_at IS NOT NULL AND d.state != 'draft'"
_GRANT = "CASE WHEN d.state != 'withdrawn' THEN COALESCE(d.approved_cents, 0) ELSE 0 END"
_GRANTED = "d.approved_cents IS NOT NULL AND d.state != 'withdrawn'"


def _half(field: str) -> str:
    """1 for a received dossier whose ``field`` participants are at least half of them, else 0 (the JSON is only
    read for received dossiers: ``CASE`` is lazy)."""
    count, participants = f"d.data ->> '$.application.{field}'", "d.data ->> '$.application.participants'"
    return (f"CASE WHEN {_RECEIVED} THEN {count} IS NOT NULL AND COALESCE({participants}, 0) != 0 "
            f"AND {count} * 2 >= {participants} ELSE 0 END")


#: The report's queries, each with one parameter (the campaign id): what ``report --json`` presents.
REPORT_QUERIES: dict[str, str] = {
    "by_state": "SELECT d.state, COUNT(*) FROM dossiers d WHERE d.campaign_id = ? GROUP BY d.state",
    "by_axis": f"""SELECT d.axis, COUNT(*), SUM(COALESCE(d.requested_cents, 0)), SUM({_GRANT}),
            SUM(CASE WHEN d.state != 'withdrawn' THEN d.paid_cents ELSE 0 END)
        FROM dossiers d WHERE d.campaign_id = ? AND {_RECEIVED} AND d.axis IS NOT NULL GROUP BY d.axis""",
    "by_qpv": f"""SELECT q.qpv_code, COUNT(*), SUM({_GRANT})
        FROM dossier_qpv q JOIN dossiers d ON d.reference = q.reference
        WHERE d.campaign_id = ? AND {_RECEIVED} GROUP BY q.qpv_code""",
    # One scan, grouped by the set of bonus criteria confirmed at instruction (a sorted JSON list, so one text a
    # set; NULL without an instruction): a handful of groups, whose sums the caller adds up. Each row's JSON is
    # parsed at most once (SQLite keeps the parse for the row's other expressions).
    "by_criteria": f"""SELECT CASE WHEN d.ceiling_cents IS NOT NULL THEN d.data ->> '$.instruction.criteria' END,
            COUNT(*) FILTER (WHERE d.ceiling_cents IS NOT NULL),
            COUNT(*) FILTER (WHERE {_RECEIVED}),
            COALESCE(SUM({_half('young')}), 0),
            COALESCE(SUM({_half('women')}), 0),
            COALESCE(SUM(d.approved_cents) FILTER (WHERE {_GRANTED}), 0),
            COALESCE(SUM(COALESCE(d.total_cost_cents, 0)) FILTER (WHERE {_GRANTED}), 0)
        FROM dossiers d WHERE d.campaign_id = ? GROUP BY 1""",
}


def report_figures(conn: sqlite3.Connection, campaign_id: str) -> ReportFigures:
    """The report's aggregates of one campaign, from :data:`REPORT_QUERIES`."""
    params = (campaign_id,)
    by_state = {state: count for state, count in conn.execute(REPORT_QUERIES["by_state"], params)}
    by_axis = {
        axis: AxisFigures(count, from_cents(requested), from_cents(granted), from_cents(paid))
        for axis, count, requested, granted, paid in conn.execute(REPORT_QUERIES["by_axis"], params)
    }
    by_qpv = {
        code: QpvFigures(count, from_cents(granted))
        for code, count, granted in conn.execute(REPORT_QUERIES["by_qpv"], params)
    }
    received = instructed = youth = women = approved = cost = 0
    criteria: dict[str, int] = {}
    received_criteria: dict[str, int] = {}
    for keys, *sums in conn.execute(REPORT_QUERIES["by_criteria"], params):
        group_instructed, group_received, group_youth, group_women, group_approved, group_cost = sums
        instructed, received = instructed + group_instructed, received + group_received
        youth, women = youth + group_youth, women + group_women
        approved, cost = approved + group_approved, cost + group_cost
        for key in json.loads(keys) if keys is not None else ():
            criteria[key] = criteria.get(key, 0) + group_instructed
            if group_received:
                received_criteria[key] = received_criteria.get(key, 0) + group_received
    return ReportFigures(
        dossiers=sum(by_state.values()),
        by_state=by_state,
        received=received,
        by_axis=by_axis,
        by_qpv=by_qpv,
        instructed=instructed,
        criteria=criteria,
        received_criteria=received_criteria,
        youth=youth,
        women=women,
        approved=from_cents(approved),
        approved_cost=from_cents(cost),
    )


#: The flat rows of :data:`~ami_workflow.core.figures.DossierRow` (the QPV codes as their JSON list, in the
#: application's order, which ``dossier_qpv`` does not keep); ``{where}`` is filled with a condition.
DOSSIER_ROWS = """SELECT d.reference, d.campaign_id, d.state,
        d.data ->> '$.applicant.name', d.data ->> '$.applicant.kind', d.data ->> '$.applicant.siren',
        d.data ->> '$.applicant.siret', d.data ->> '$.applicant.rna', d.title, d.axis,
        d.data ->> '$.application.qpv_codes',
        d.period_start, d.period_end, d.total_cost_cents, d.requested_cents, d.ceiling_cents, d.proposed_cents,
        d.approved_cents, d.paid_cents, d.submitted_at
    FROM dossiers d {where} ORDER BY d.reference"""


def dossier_rows(conn: sqlite3.Connection, campaign_id: str | None) -> Iterator[DossierRow]:
    """Stream the flat rows of a campaign's dossiers (every campaign's for ``None``), in reference order."""
    if campaign_id is None:
        rows = conn.execute(DOSSIER_ROWS.format(where=""))
    else:
        rows = conn.execute(DOSSIER_ROWS.format(where="WHERE d.campaign_id = ?"), (campaign_id,))
    loads, join = json.loads, " ".join
    for row in rows:
        yield (*row[:10], join(loads(row[10])), *row[11:])


#: The granted subsidies of one campaign (its id twice): the first deliberation listing each one, by day then
#: by the order recorded; its convention; and the applicant's grants from the running totals.
GRANT_ROWS = """WITH first AS (
        SELECT dd.reference, dd.deliberation, dd.day,
               ROW_NUMBER() OVER (PARTITION BY dd.reference ORDER BY dd.day, r.id) AS n
        FROM deliberation_dossiers dd
        JOIN records r ON r.campaign_id = dd.campaign_id AND r.kind = 'deliberation' AND r.key = dd.deliberation
        WHERE dd.campaign_id = ?)
    SELECT d.reference, d.data ->> '$.applicant.name', d.data ->> '$.applicant.siret',
        d.data ->> '$.applicant.rna', d.title, d.approved_cents,
        (SELECT group_concat(p.value ->> '$.at', ' ') FROM json_each(d.data, '$.payments') p),
        f.deliberation, f.day, c.data ->> '$.signed_on', COALESCE(t.approved_cents, 0), d.paid_cents, d.period_end
    FROM dossiers d
    JOIN first f ON f.reference = d.reference AND f.n = 1
    LEFT JOIN records c ON c.campaign_id = d.campaign_id AND c.kind = 'convention' AND c.key = d.reference
    LEFT JOIN totals t ON t.campaign_id = d.campaign_id AND t.scope = 'applicant'
        AND t.key = CAST(d.applicant_id AS TEXT)
    WHERE d.campaign_id = ? AND d.state IN ('approved', 'paid', 'closed', 'recovery', 'recovered')
        AND d.approved_cents > 0
    ORDER BY d.reference"""


def _days(instants: str | None) -> tuple[date, ...]:
    if not instants:
        return ()
    return tuple(sorted(paris_date(datetime.fromisoformat(at)) for at in instants.split(" ")))


def grant_rows(conn: sqlite3.Connection, campaign_id: str) -> Iterator[GrantRow]:
    """Stream the granted subsidies of one campaign, in reference order."""
    for ref, name, siret, rna, title, approved, paid, deliberation, day, signed, total, paid_cents, end in (
        conn.execute(GRANT_ROWS, (campaign_id, campaign_id))
    ):
        yield GrantRow(
            ref,
            name,
            siret,
            rna,
            title,
            from_cents(approved),
            _days(paid),
            deliberation,
            date.fromisoformat(day),
            date.fromisoformat(signed) if signed else None,
            from_cents(total),
            from_cents(paid_cents),
            date.fromisoformat(end) if end else None,
        )
