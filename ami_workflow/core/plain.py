"""Records as the journal and the projections store them: plain JSON values, and back.

:func:`plain` unstructures a record to plain JSON values (strings for amounts
and days), :func:`plain_json` writes such data as sorted, compact text,
:func:`dossier_row` gives a dossier's stored text with its personal values
apart, and :func:`structure` rebuilds a record from what the library stored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .. import jsontext
from ..codec import converter
from ..dossier import Dossier
from ..personal import split_personal
from ..rebuild import rebuild

__all__ = ["dossier_row", "plain", "plain_json", "structure"]


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def plain_json(value: Any) -> str:
    """The JSON text of plain or unstructured data, sorted and compact like
    :func:`~ami_workflow.canonical.canonical_json`, by the C encoder (for rows and round trips; what is hashed
    still goes through ``canonical_json``)."""
    return jsontext.dumps(value, _default)


def plain(value: Any) -> Any:
    """``value`` unstructured to plain JSON values (strings for amounts and days), as the journal stores it.

        >>> from ami_workflow.calendar import PARIS
        >>> from ami_workflow.dossier import Payment
        >>> plain(Payment(Decimal("10.50"), datetime(2021, 10, 5, 10, tzinfo=PARIS), "M-1"))
        {'amount': '10.50', 'at': '2021-10-05T10:00:00+02:00', 'reference': 'M-1'}
    """
    return jsontext.loads(plain_json(converter.unstructure(value)))


def dossier_row(dossier: Dossier) -> tuple[str, dict[str, str]]:
    """The dossier's stored text, its personal values replaced by their mark, and those values by path.

    The same text as ``plain_json(split_personal(plain(dossier))[0])``, in one pass (no JSON round trip).
    """
    data, values = split_personal(converter.unstructure(dossier))
    return plain_json(data), values


def structure(data: Any, cls: type[Any]) -> Any:
    """A record from its plain data (the inverse of :func:`plain`), its texts taken as stored, not checked again
    (see :mod:`ami_workflow.rebuild`)."""
    return rebuild(data, cls)
