"""Call files written back as TOML: :func:`campaign_to_toml` writes any campaign as a call file that loads back
to the same campaign, in the shape of the bundled files (used by the yearly rollover, :mod:`ami_workflow.rollover`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import tomli_w

from .campaign import Campaign
from .codec import converter

__all__ = ["campaign_to_toml", "file_data"]

#: Tables written inline (``instruction = { start = ..., end = ... }``), as in the bundled files.
_INLINE = frozenset({"calendar.instruction", "calendar.jury", "calendar.deliberation"})
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_LINE = 100
#: Keys left out when empty, as the bundled files do (their default is empty).
_OMIT_EMPTY = frozenset({"by_axis", "communes_outside", "requires"})


def campaign_to_toml(campaign: Campaign) -> str:
    """The call file of ``campaign``, in the shape of the bundled files; it loads back to ``campaign``.

    The file is complete (every key written, defaults included) and carries no
    comments: the quotes of the call's text in the original file are not kept.

    >>> from ami_workflow.callfile import load_campaign, parse_campaign
    >>> campaign = load_campaign("ami-cohesion-sociale-2021")
    >>> text = campaign_to_toml(campaign)
    >>> print(text[text.index("[calendar]"):text.index("[territory]")].strip())
    [calendar]
    launch = 2021-03-08
    deadline = 2021-04-30
    instruction = { start = 2021-05-01, end = 2021-05-31 }
    jury = { start = 2021-06-01, end = 2021-06-30 }
    deliberation = { start = 2021-09-01, end = 2021-09-30 }
    reminder_days_before_deadline = 14
    <BLANKLINE>
    [calendar.policy]
    deadline = "previous_working_day"
    opening = "next_working_day"
    holidays = "FR"
    >>> parse_campaign(text) == campaign
    True
    """
    return "".join(_table_chunks(file_data(campaign), ""))


def file_data(campaign: Campaign) -> dict[str, Any]:
    """The campaign as the loader reads it: the calendar's extras moved into ``[calendar]``, no None."""
    data: dict[str, Any] = converter.unstructure(campaign)
    calendar = dict(data.pop("calendar"))
    calendar["reminder_days_before_deadline"] = data.pop("reminder_days_before_deadline")
    calendar["policy"] = data.pop("calendar_policy")
    out: dict[str, Any] = {"format": data.pop("format")}
    for key in ("call", "funder", "envelope"):
        out[key] = data.pop(key)
    out["calendar"] = calendar
    out.update(data)  # territory, axes, applicants, public, funding, pieces, committee, workflow
    cleaned: dict[str, Any] = _drop_none(out)
    return cleaned


def _drop_none(value: Any) -> Any:
    """``value`` without None values, nor the empty values of :data:`_OMIT_EMPTY` keys."""
    if isinstance(value, Mapping):
        return {k: _drop_none(v) for k, v in value.items() if v is not None and (v or k not in _OMIT_EMPTY)}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value if v is not None]
    return value


def _key(name: str) -> str:
    if _BARE_KEY.match(name):
        return name
    return tomli_w.dumps({"k": name})[4:].rstrip("\n")  # a TOML basic string, escaped by tomli-w


def _literal(value: Any) -> str:
    return tomli_w.dumps({"k": value})[4:].rstrip("\n")


def _value(key: str, value: Any) -> str:
    """``key = value``, written by tomli-w; a short array stays on one line."""
    if isinstance(value, (list, tuple)) and not any(isinstance(v, (list, tuple, Mapping)) for v in value):
        line = f"{_key(key)} = [" + ", ".join(_literal(v) for v in value) + "]"
        if len(line) <= _LINE:
            return line + "\n"
    return f"{_key(key)} = {_literal(value)}\n"


def _inline(key: str, table: Mapping[str, Any]) -> str:
    parts = ", ".join(_value(k, v).rstrip("\n") for k, v in table.items())
    return f"{_key(key)} = {{ {parts} }}\n" if parts else f"{_key(key)} = {{}}\n"


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _table_chunks(table: Mapping[str, Any], name: str, *, array: bool = False) -> Iterator[str]:
    """A table: its header, its keys, then its sub-tables and arrays of tables (always as ``[[name]]``)."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any], bool]] = []
    for key, value in table.items():
        path = f"{name}.{_key(key)}" if name else _key(key)
        if isinstance(value, Mapping) and (path in _INLINE or not value):
            lines.append(_inline(key, value))
        elif isinstance(value, Mapping):
            tables.append((path, value, False))
        elif _is_table_list(value):
            tables.extend((path, item, True) for item in value)
        else:
            lines.append(_value(key, value))
    started = False
    if name and (array or lines or not tables):  # a table of tables only needs no header of its own
        yield f"[[{name}]]\n" if array else f"[{name}]\n"
        started = True
    if lines:
        yield from lines
        started = True
    for path, sub, in_array in tables:
        if started:
            yield "\n"
        started = True
        yield from _table_chunks(sub, path, array=in_array)

