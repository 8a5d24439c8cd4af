"""The tables as projections of the journal: written with each event, and checked against its replay.

:func:`project` appends one chained event and updates every table it
changes, in the caller's transaction. :func:`difference` compares the tables
with a :class:`~ami_workflow.core.evolve.World` folded from the journal and
names the first difference: this is how ``verify`` sees a row changed with
plain SQL behind the library's back.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ..backend import Chained
from ..committee import CommitteeSession
from ..conflicts import Ruling, ruling_key
from ..conventions import Convention, convention_erased
from ..core.event_records import (
    amended,
    convention_of,
    deliberation_of,
    deliberation_record,
    enforceable,
    erased_councillor,
    funder_amended,
    report_of,
    reviewed,
    ruling_of,
    score_of,
    session_of,
)
from ..core.events import Event, Kind
from ..core.evolve import evolve_dossier
from ..core.plain import dossier_row, plain, plain_json, structure
from ..decisions import Deliberation, FinancialReport
from ..dossier import Dossier
from ..money import to_cents
from ..personal import ERASED
from ..scoring import ScoreSheet, sheet_key
from .view import SqlView

__all__ = ["COLUMNS", "dossier_columns", "project"]


def _cents(amount: Decimal | None) -> int | None:
    return None if amount is None else to_cents(amount)


def dossier_columns(dossier: Dossier) -> tuple[Any, ...]:
    """The columns of a dossier's row, derived from the dossier (``data`` holds it whole)."""
    app = dossier.application
    return (
        dossier.campaign_id,
        dossier.state,
        dossier.version,
        app.title,
        app.axis,
        _cents(app.total_cost),
        _cents(app.requested),
        _cents(dossier.instruction.ceiling) if dossier.instruction else None,
        _cents(dossier.instruction.proposed) if dossier.instruction else None,
        _cents(dossier.approved),
        to_cents(dossier.paid),
        app.period.start.isoformat() if app.period else None,
        app.period.end.isoformat() if app.period else None,
        dossier.submitted_at.isoformat() if dossier.submitted_at else None,
    )


COLUMNS = (
    "campaign_id, state, version, title, axis, total_cost_cents, requested_cents, ceiling_cents, "
    "proposed_cents, approved_cents, paid_cents, period_start, period_end, submitted_at"
)

_NAMES = tuple(name.strip() for name in COLUMNS.split(","))


def project(conn: sqlite3.Connection, view: SqlView, item: Chained, blobs: Mapping[str, bytes]) -> None:
    """Append ``item`` to the journal and update the projections it changes."""
    event, chained = item.event, item.chained
    conn.execute(
        "INSERT INTO events (seq, campaign_id, dossier, kind, trigger, source, dest, at, recorded_at, actor, body, "
        "previous, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            chained.seq,
            event.campaign,
            event.dossier,
            event.kind.value,
            event.data.get("trigger"),
            event.source,
            event.dest,
            event.at.isoformat(),
            chained.body["recorded_at"],
            event.actor,
            item.text,
            chained.previous,
            chained.hash,
        ),
    )
    view.advance((chained.seq, chained.hash, event.recorded_at), event.dossier, event.at)
    if event.personal:
        subject = event.dossier or _subject(event)
        conn.executemany(
            "INSERT INTO personal_values (seq, path, subject, salt, value) VALUES (?, ?, ?, ?, ?)",
            [(chained.seq, path, subject, item.salts.get(path, ""), value) for path, value in event.personal.items()],
        )
    kind = event.kind
    if kind is Kind.CAMPAIGN_ADDED:
        campaign = event.data["call"]
        conn.execute(
            "INSERT INTO campaigns (id, year, title, envelope_cents, call) VALUES (?, ?, ?, ?, ?)",
            (
                event.campaign,
                campaign["call"]["year"],
                campaign["call"]["title"],
                to_cents(Decimal(campaign["envelope"]["amount"])),
                plain_json(campaign),
            ),
        )
        conn.execute(
            "INSERT OR IGNORE INTO totals (campaign_id, scope, key) VALUES (?, 'campaign', '')", (event.campaign,)
        )
    elif kind is Kind.PERSONAL_DATA_ERASED:
        refs = list(event.data["dossiers"])
        for ref in refs:
            _save(conn, view, ref, event)
        marks = ",".join("?" * len(refs))
        conn.execute(
            f"UPDATE personal_values SET value = NULL, salt = '', erased_at = ? WHERE erased_at IS NULL AND seq IN "
            f"(SELECT seq FROM events WHERE dossier IN ({marks}))",
            (event.at.isoformat(), *refs),
        )
        # the applicant's row holds its IBAN as its latest dossier does: erased with it
        conn.execute("UPDATE applicants SET iban = ? WHERE identity = ? AND iban IS NOT NULL",
                     (ERASED, event.data["applicant"]))
        conn.executemany(
            "UPDATE files SET content = X'', erased_at = ? WHERE sha256 = ? AND erased_at IS NULL",
            [(event.at.isoformat(), sha) for sha in event.data["files"]],
        )
    elif kind is Kind.MEMBER_ERASED:
        _erase_members(conn, event)
    elif kind is Kind.FUNDER_AMENDED:
        campaign = funder_amended(view.campaign(str(event.campaign)), event.data)
        conn.execute("UPDATE campaigns SET call = ? WHERE id = ?", (plain_json(plain(campaign)), campaign.id))
        view.replace_campaign(campaign)
    elif event.dossier is not None:
        for sha, blob in blobs.items():
            conn.execute(
                "INSERT INTO files (sha256, size, content) VALUES (?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET "
                "content = excluded.content, erased_at = NULL WHERE files.erased_at IS NOT NULL",
                (sha, len(blob), blob),
            )
        _save(conn, view, event.dossier, event)
        if "copied_from" in event.data:
            _record(
                conn,
                str(event.campaign),
                "copied_draft",
                event.data["copied_from"],
                {"from": event.data["copied_from"], "to": event.dossier},
            )
    else:
        _project_record(conn, event)
        view.forget_records(str(event.campaign))


def _subject(event: Event) -> str:
    if event.kind is Kind.SESSION_RECORDED:
        return f"session:{event.campaign}:{event.data['session']['id']}"
    if event.kind is Kind.SCORES_RECORDED:
        score = event.data["score"]
        return f"score:{event.campaign}:{sheet_key(score['dossier'], score['session'], score['member'])}"
    if event.kind is Kind.DELIBERATION_RECORDED:
        return f"deliberation:{event.campaign}:{event.data['deliberation']['reference']}"
    if event.kind is Kind.FINANCIAL_REPORT_RECORDED:
        return f"financial_report:{event.campaign}:{event.data['report']['dossier']}"
    if event.kind is Kind.FINANCIAL_REPORT_REVIEWED:
        return f"financial_report:{event.campaign}:{event.data['review']['dossier']}"
    if event.kind is Kind.CONFLICT_RULED:
        ruling = event.data["ruling"]
        return f"ruling:{event.campaign}:{ruling_key(ruling['dossier'], ruling['session'], ruling['member'])}"
    if event.kind is Kind.CONVENTION_RECORDED:
        return f"convention:{event.campaign}:{event.data['convention']['dossier']}"
    if event.kind is Kind.CONVENTION_AMENDED:
        return f"convention:{event.campaign}:{event.data['dossier']}"
    return f"event:{event.kind.value}"


def _save(conn: sqlite3.Connection, view: SqlView, reference: str, event: Event) -> None:
    before = view.find(reference)
    after = evolve_dossier(before, event)
    text, values = dossier_row(after)
    if before is None:
        applicant = after.applicant
        columns = (applicant.name, applicant.kind, applicant.siren, applicant.siret, applicant.rna, applicant.iban)
        row = conn.execute("SELECT id FROM applicants WHERE identity = ?", (applicant.identity,)).fetchone()
        if row is not None:
            applicant_id = int(row[0])
            conn.execute(
                "UPDATE applicants SET name = ?, kind = ?, siren = ?, siret = ?, rna = ?, iban = ? WHERE id = ?",
                (*columns, applicant_id),
            )
        else:
            applicant_id = int(
                conn.execute(
                    "INSERT INTO applicants (identity, name, kind, siren, siret, rna, iban) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (applicant.identity, *columns),
                ).lastrowid
                or 0
            )
        conn.execute(
            f"INSERT INTO dossiers (reference, applicant_id, {COLUMNS}, data) VALUES (?, ?, {', '.join('?' * 14)}, ?)",
            (reference, applicant_id, *dossier_columns(after), text),
        )
    else:  # only the columns that changed: SQLite then leaves the indexes of the others alone
        pairs = zip(_NAMES, dossier_columns(after), dossier_columns(before), strict=True)
        changed = [(name, value) for name, value, was in pairs if value != was]
        sets = "".join(f"{name} = ?, " for name, _value in changed)
        conn.execute(f"UPDATE dossiers SET {sets}data = ? WHERE reference = ?",
                     (*[value for _name, value in changed], text, reference))
    _save_personal(conn, reference, () if before is None else view.personal_rows(reference), values)
    if before is None or before.application.qpv_codes != after.application.qpv_codes:
        conn.execute("DELETE FROM dossier_qpv WHERE reference = ?", (reference,))
        conn.executemany(
            "INSERT INTO dossier_qpv (reference, qpv_code) VALUES (?, ?)",
            [(reference, code) for code in after.application.qpv_codes],
        )
    view.remember(reference, tuple(sorted(values.items())), after)


def _save_personal(
    conn: sqlite3.Connection, reference: str, rows: tuple[tuple[str, str | None], ...], values: Mapping[str, str]
) -> None:
    """Keep the dossier's personal values in ``personal_data``, apart from its row (only what changed)."""
    stored = dict(rows)
    if stored == values:
        return
    gone = [path for path in stored if path not in values]
    conn.executemany("DELETE FROM personal_data WHERE dossier = ? AND path = ?", [(reference, p) for p in gone])
    conn.executemany(
        "INSERT INTO personal_data (applicant_id, dossier, path, salt, digest, value) "
        "SELECT applicant_id, ?, ?, '', '', ? FROM dossiers WHERE reference = ? "
        "ON CONFLICT (dossier, path) DO UPDATE SET value = excluded.value, erased_at = NULL",
        [(reference, path, value, reference) for path, value in values.items() if stored.get(path) != value],
    )


def _record(conn: sqlite3.Connection, campaign_id: str, kind: str, key: str, data: Any, replace: bool = False) -> None:
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    conn.execute(
        f"{verb} INTO records (campaign_id, kind, key, data) VALUES (?, ?, ?, ?)",
        (campaign_id, kind, key, plain_json(data)),
    )


def _project_record(conn: sqlite3.Connection, event: Event) -> None:
    cid, data = str(event.campaign), event.data
    if event.kind is Kind.CALENDAR_AMENDED:
        count = conn.execute(
            "SELECT COUNT(*) FROM records WHERE campaign_id = ? AND kind = 'amendment'", (cid,)
        ).fetchone()[0]
        _record(conn, cid, "amendment", str(count + 1), data["amendment"])
    elif event.kind is Kind.SESSION_RECORDED:
        session = session_of(event)
        _record(conn, cid, "session", session.id, plain(session))
    elif event.kind is Kind.DELIBERATION_RECORDED:
        deliberation = deliberation_of(event)
        _record(conn, cid, "deliberation", deliberation.reference, plain(deliberation))
        conn.executemany(
            "INSERT INTO deliberation_dossiers VALUES (?, ?, ?, ?)",
            [(cid, deliberation.reference, deliberation.day.isoformat(), ref) for ref in deliberation.dossiers],
        )
    elif event.kind is Kind.DELIBERATION_ENFORCEABLE:
        _update_deliberation(conn, cid, data["reference"], functools.partial(enforceable, data=data))
    elif event.kind is Kind.CONVENTION_RECORDED:
        convention = convention_of(event)
        _record(conn, cid, "convention", convention.dossier, plain(convention), replace=True)
    elif event.kind is Kind.CONVENTION_AMENDED:
        _update_convention(conn, cid, data["dossier"], functools.partial(amended, event=event))
    elif event.kind is Kind.FINANCIAL_REPORT_RECORDED:  # a corrected report, answering questions, replaces it
        _record(conn, cid, "financial_report", data["report"]["dossier"], plain(report_of(event)), replace=True)
    elif event.kind is Kind.FINANCIAL_REPORT_REVIEWED:
        ref = data["review"]["dossier"]
        row = conn.execute("SELECT data FROM records WHERE campaign_id = ? AND kind = 'financial_report' AND key = ?",
                           (cid, ref)).fetchone()
        report = reviewed(structure(json.loads(row[0]), FinancialReport), event)
        _record(conn, cid, "financial_report", ref, plain(report), replace=True)
    elif event.kind is Kind.SCORES_RECORDED:
        sheet = score_of(event)
        _record(conn, cid, "score", sheet_key(sheet.dossier, sheet.session, sheet.member), plain(sheet))
    elif event.kind is Kind.CONFLICT_RULED:
        ruling = ruling_of(event)
        _record(conn, cid, "ruling", ruling.key, plain(ruling))


#: The records whose free text a member's erasure empties: the target's key, the record's class and its field.
_MEMBER_TEXTS: Mapping[str, tuple[type[Any], str]] = {
    "score": (ScoreSheet, "opinion"), "ruling": (Ruling, "reason"), "financial_report": (FinancialReport, "evaluation")}


def _update_deliberation(conn: sqlite3.Connection, cid: str, reference: str,
                         change: Callable[[Deliberation], Deliberation]) -> None:
    row = conn.execute("SELECT data FROM records WHERE campaign_id = ? AND kind = 'deliberation' AND key = ?",
                       (cid, reference)).fetchone()
    deliberation = change(deliberation_record(json.loads(row[0])))
    conn.execute("UPDATE records SET data = ? WHERE campaign_id = ? AND kind = 'deliberation' AND key = ?",
                 (plain_json(plain(deliberation)), cid, reference))


def _update_convention(conn: sqlite3.Connection, cid: str, reference: str,
                       change: Callable[[Convention], Convention]) -> None:
    row = conn.execute("SELECT data FROM records WHERE campaign_id = ? AND kind = 'convention' AND key = ?",
                       (cid, reference)).fetchone()
    convention = change(structure(json.loads(row[0]), Convention))
    conn.execute("UPDATE records SET data = ? WHERE campaign_id = ? AND kind = 'convention' AND key = ?",
                 (plain_json(plain(convention)), cid, reference))


def _erase_members(conn: sqlite3.Connection, event: Event) -> None:
    for target in event.data["targets"]:
        if "convention" in target:  # a signatory's name, or an avenant's reason
            cid, reference, path = target["campaign"], target["convention"], target["path"]
            _update_convention(conn, cid, reference, functools.partial(convention_erased, path=path))
            conn.execute(
                "UPDATE personal_values SET value = NULL, salt = '', erased_at = ? WHERE subject = ? AND path = ?",
                (event.at.isoformat(), f"convention:{cid}:{reference}", path),
            )
            continue
        if "deliberation" in target:  # a councillor who did not take part in a deliberation
            cid, reference = target["campaign"], target["deliberation"]
            _update_deliberation(conn, cid, reference, functools.partial(erased_councillor, target=target))
            conn.execute(
                "UPDATE personal_values SET value = NULL, salt = '', erased_at = ? WHERE subject = ? AND path = ?",
                (event.at.isoformat(), f"deliberation:{cid}:{reference}", target["path"]),
            )
            continue
        kind = next((k for k in _MEMBER_TEXTS if k in target), None)
        if kind is not None:  # an opinion of the member, or the reason of a ruling on their conflict
            cls, field = _MEMBER_TEXTS[kind]
            field = target.get("path", field)
            cid, key = target["campaign"], target[kind]
            row = conn.execute("SELECT data FROM records WHERE campaign_id = ? AND kind = ? AND key = ?",
                               (cid, kind, key)).fetchone()
            record = attrs.evolve(structure(json.loads(row[0]), cls), **{field: ""})
            conn.execute("UPDATE records SET data = ? WHERE campaign_id = ? AND kind = ? AND key = ?",
                         (plain_json(plain(record)), cid, kind, key))
            conn.execute(
                "UPDATE personal_values SET value = NULL, salt = '', erased_at = ? WHERE subject = ? AND path = ?",
                (event.at.isoformat(), f"{kind}:{cid}:{key}", field),
            )
            continue
        cid, sid, path = target["campaign"], target["session"], target["path"]
        row = conn.execute(
            "SELECT data FROM records WHERE campaign_id = ? AND kind = 'session' AND key = ?", (cid, sid)
        ).fetchone()
        session: CommitteeSession = structure(json.loads(row[0]), CommitteeSession)
        if path == "chair":
            session = attrs.evolve(session, chair=ERASED)
        else:
            members = list(session.members)
            index = int(path.split(".")[1])
            members[index] = attrs.evolve(members[index], name=ERASED)
            session = attrs.evolve(session, members=tuple(members))
        conn.execute(
            "UPDATE records SET data = ? WHERE campaign_id = ? AND kind = 'session' AND key = ?",
            (plain_json(plain(session)), cid, sid),
        )
        conn.execute(
            "UPDATE personal_values SET value = NULL, salt = '', erased_at = ? WHERE subject = ? AND path = ?",
            (event.at.isoformat(), f"session:{cid}:{sid}", path),
        )
