"""The RNA number of an association: the one definition the library checks it against.

An RNA number (*Répertoire National des Associations*) is ``W`` followed by 9
characters: digits in most prefectures, but some older ones put capital letters
in it (``W9M1000123`` exists). Dossier creation accepts every RNA number;
spaces and lower case are tolerated there and removed by :func:`compact_rna`::

    >>> is_rna("W621000123"), is_rna("W9M1000123"), is_rna("w 621 000 123")
    (True, True, True)
    >>> is_rna("W62100012"), is_rna("621000123"), is_rna("X12")
    (False, False, False)
    >>> check_rna("w 9m1 000 123")
    'W9M1000123'
    >>> check_rna("X12")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: rna: 'X12' is not an RNA number (W followed by 9 characters)

The SCDL « subventions » schema 2.1.1 is narrower: its ``rnaBeneficiaire``
must match ``^W\\d{9}$`` (``W`` and 9 digits, written compact). Such a number
is an RNA number; the reverse is not true::

    >>> is_scdl_rna("W621000123"), is_scdl_rna("W9M1000123"), is_scdl_rna("w621000123")
    (True, False, False)
"""

from __future__ import annotations

import re

from .errors import InvalidInput
from .i18n import _
from .shown import shown

__all__ = ["RNA", "SCDL_RNA", "check_rna", "compact_rna", "is_rna", "is_scdl_rna", "rna_problem"]

#: An RNA number, compact: ``W`` then 9 digits or capital letters.
RNA = re.compile(r"W[0-9A-Z]{9}")
#: The RNA numbers the SCDL schema 2.1.1 accepts in ``rnaBeneficiaire``: ``W`` then 9 (ASCII) digits.
SCDL_RNA = re.compile(r"W[0-9]{9}")


def compact_rna(value: str) -> str:
    """``value`` without spaces, in capitals: ``"w 621 000 123"`` -> ``"W621000123"``."""
    return "".join(value.split()).upper()


def is_rna(value: str) -> bool:
    """Whether ``value`` is an RNA number (spaces and case ignored)."""
    return isinstance(value, str) and RNA.fullmatch(compact_rna(value)) is not None


def check_rna(value: str, field: str = "rna") -> str:
    """``value`` as a compact RNA number; :class:`~ami_workflow.errors.InvalidInput` when it is not one."""
    if not is_rna(value):
        raise InvalidInput(rna_problem(value, field))
    return compact_rna(value)


def rna_problem(value: object, field: str = "rna") -> str:
    """The sentence saying that ``value`` is not an RNA number."""
    return _("{field}: {value!r} is not an RNA number (W followed by 9 characters)").format(
        field=field, value=shown(value))


def is_scdl_rna(value: str) -> bool:
    """Whether ``value`` is written as the SCDL schema wants ``rnaBeneficiaire``: compact, ``W`` and 9 digits."""
    return isinstance(value, str) and SCDL_RNA.fullmatch(value) is not None
