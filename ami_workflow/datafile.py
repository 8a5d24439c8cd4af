"""JSON and TOML text given by a user, read into plain data; every failure an ``InvalidInput`` naming the file.

Beyond syntax errors, the standard parsers raise ``RecursionError`` for
arrays or tables nested thousands deep, and ``ValueError`` for an integer of
more than 4 300 digits (Python's limit on int-to-text conversion,
CVE-2020-10735): both are refused here as bad input, with a plain message.

    >>> load_json("[[1]]", "entries.json")
    [[1]]
    >>> load_json("[" * 100_000, "entries.json")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: entries.json: arrays or tables nested too deeply
    >>> load_toml("a = " + "9" * 5000, "call.toml")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: call.toml: a number of more than 4 300 digits
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from .errors import InvalidInput
from .i18n import _

__all__ = ["data_problem", "load_json", "load_toml"]

def data_problem(error: Exception) -> str:
    """What is wrong, in plain words, with text that a JSON or TOML parser refused with ``error``."""
    if isinstance(error, RecursionError):
        return _("arrays or tables nested too deeply")
    if isinstance(error, ValueError) and "integer string conversion" in str(error):
        return _("a number of more than 4 300 digits")
    return str(error)


def _load(parse: Any, text: str, source: str) -> Any:
    if not isinstance(text, str):
        raise InvalidInput(_("{path}: expected text").format(path=source))
    try:
        return parse(text)
    except (ValueError, RecursionError) as error:  # json's and tomllib's decode errors are ValueErrors
        raise InvalidInput(_("{path}: {problem}").format(path=source, problem=data_problem(error))) from None


def load_json(text: str, source: str) -> Any:
    """The data of JSON ``text``; ``source`` names it in errors."""
    return _load(json.loads, text, source)


def load_toml(text: str, source: str) -> Any:
    """The data of TOML ``text``; ``source`` names it in errors."""
    return _load(tomllib.loads, text, source)
