"""A QPV list read from CSV (``code,name,communes``), as a call's territory holds it (the rollover's new list).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .campaign import Qpv
from .errors import InvalidInput
from .i18n import _
from .shown import shown

__all__ = ["parse_qpv_csv"]

_QPV_HEADER = ("code", "name", "communes")
_BRACKETS = re.compile(r"\(([^()]*)\)")


def parse_qpv_csv(source: str | Path) -> tuple[Qpv, ...]:
    """The QPV of a CSV file (a path, or the text itself) with the header ``code,name,communes``.

    Communes are separated by ``/``; those in brackets lie outside the funder's
    territory, as in the call's annex (``Méricourt (Rouvroy)``). A file that
    uses ``;`` between columns is read too. Any problem raises
    :class:`~ami_workflow.errors.InvalidInput` naming the line.

    >>> parse_qpv_csv('code,name,communes\\nQP062045,Quartier Du Maroc - La Canche,Méricourt (Rouvroy)\\n')
    (Qpv(code='QP062045', name='Quartier Du Maroc - La Canche', communes=('Méricourt',),
         communes_outside=('Rouvroy',)),)
    >>> parse_qpv_csv('code,name,communes\\nQP062045,,Méricourt\\n')
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: QPV list, line 2: the name is empty
    """
    text, where = _csv_text(source)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InvalidInput(_("{where}, line 1: the header 'code,name,communes' is missing").format(where=where))
    delimiter = ";" if ";" in lines[0] and "," not in lines[0] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out: list[Qpv] = []
    seen: dict[str, int] = {}
    try:
        header = next(reader)
        if tuple(cell.strip().lower() for cell in header) != _QPV_HEADER:
            raise InvalidInput(_("{where}, line 1: the header must be 'code,name,communes', not {header!r}").format(
                where=where, header=shown(delimiter.join(header))))
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != 3:
                raise InvalidInput(_("{where}, line {line}: expected 3 columns (code, name, communes), found {found}")
                                   .format(where=where, line=line, found=len(row)))
            code, name, communes = (cell.strip() for cell in row)
            if not code:
                raise InvalidInput(_("{where}, line {line}: the code is empty").format(where=where, line=line))
            if not name:
                raise InvalidInput(_("{where}, line {line}: the name is empty").format(where=where, line=line))
            if code in seen:
                raise InvalidInput(_("{where}, line {line}: duplicate code {code!r} (first on line {first})").format(
                    where=where, line=line, code=shown(code), first=seen[code]))
            seen[code] = line
            inside, outside = _communes(communes, _("{where}, line {line}").format(where=where, line=line))
            out.append(Qpv(code, name, inside, outside))
    except csv.Error as exc:
        raise InvalidInput(_("{where}, line {line}: {problem}").format(
            where=where, line=reader.line_num, problem=exc)) from None
    if not out:
        raise InvalidInput(_("{where}: the list holds no QPV").format(where=where))
    return tuple(out)


def _csv_text(source: str | Path) -> tuple[str, str]:
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and Path(source).is_file()):
        path = Path(source)
        try:
            return path.read_text(encoding="utf-8-sig"), _("QPV list {path}").format(path=path)
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(_("QPV list {path}: cannot be read ({problem})").format(
                path=path, problem=exc)) from None
    if not isinstance(source, str):
        raise InvalidInput(_("qpv_csv must be a path or the CSV text, not {type}").format(type=type(source).__name__))
    if source and "\n" not in source:
        raise InvalidInput(_("QPV list: no such file {source!r} (give a path, or the CSV text with its header)").format(
            source=shown(source)))
    return source.removeprefix("\ufeff"), _("QPV list")


def _communes(field: str, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    outside = [name.strip() for group in _BRACKETS.findall(field) for name in group.split("/")]
    rest = _BRACKETS.sub("/", field)
    if "(" in rest or ")" in rest:
        raise InvalidInput(_("{where}: unbalanced brackets in the communes {field!r}").format(
            where=where, field=shown(field)))
    inside = [name.strip() for name in rest.split("/") if name.strip()]
    if any(not name for name in outside):
        raise InvalidInput(_("{where}: an empty commune in brackets in {field!r}").format(
            where=where, field=shown(field)))
    if not inside:
        raise InvalidInput(_("{where}: at least one commune of the territory is required (outside ones go in brackets)")
                           .format(where=where))
    return tuple(inside), tuple(outside)
