"""Personal data (RGPD) in a stored dossier: which fields, and how they are kept apart.

The names of people — the applicant's legal representative and the signers
of paper originals — are stored only in the ``personal_data`` table. A stored
dossier holds :data:`PERSONAL` in their place, and :data:`ERASED` once erased::

    >>> data, values = split_personal({"applicant": {"legal_representative": "Claire Dupont"}, "originals": []})
    >>> data, values
    ({'applicant': {'legal_representative': '[personal data]'}, 'originals': []},
     {'applicant.legal_representative': 'Claire Dupont'})
    >>> join_personal(data, {})["applicant"]["legal_representative"]
    '[erased]'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .dossier import Dossier

__all__ = ["ERASED", "PERSONAL", "join_personal", "personal_values", "split_personal"]

#: What a stored record shows in place of a personal datum (kept in ``personal_data``).
PERSONAL = "[personal data]"
#: What a record shows once the personal datum is erased.
ERASED = "[erased]"


def split_personal(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The unstructured dossier without its personal data, and that data by path."""
    values: dict[str, str] = {}
    applicant = data.get("applicant") or {}
    if applicant.get("legal_representative") not in (None, PERSONAL):
        values["applicant.legal_representative"] = applicant["legal_representative"]
        applicant["legal_representative"] = PERSONAL
    for original in data.get("originals") or []:
        if original.get("signed_by") not in (None, PERSONAL):
            values[f"originals.{original['key']}.signed_by"] = original["signed_by"]
            original["signed_by"] = PERSONAL
    return data, values


def personal_values(dossier: Dossier) -> dict[str, str]:
    """The personal data a dossier holds, by path (as :func:`split_personal` finds it)."""
    values = {}
    if dossier.applicant.legal_representative not in (None, PERSONAL):
        values["applicant.legal_representative"] = dossier.applicant.legal_representative or ""
    for original in dossier.originals:
        if original.signed_by not in (None, PERSONAL):
            values[f"originals.{original.key}.signed_by"] = original.signed_by or ""
    return values


def join_personal(data: dict[str, Any], values: Mapping[str, str | None]) -> dict[str, Any]:
    """Put the personal data back (``ERASED`` where it was erased)."""
    applicant = data.get("applicant") or {}
    if applicant.get("legal_representative") == PERSONAL:
        applicant["legal_representative"] = values.get("applicant.legal_representative") or ERASED
    for original in data.get("originals") or []:
        if original.get("signed_by") == PERSONAL:
            original["signed_by"] = values.get(f"originals.{original['key']}.signed_by") or ERASED
    return data
