"""Personal data (RGPD) in a stored dossier: which fields, and how they are kept apart.

The names of people (the applicant's legal representative, the signers of
paper originals, the members of its board and bureau) and the free texts that may name them (a decision's
motivation or reason, the instructor's note, the notes on pieces sent back)
are never written in a dossier's row: the row holds :data:`PERSONAL` in their
place, the values live in their own table, and :data:`ERASED` shows once they
are erased::

    >>> data, values = split_personal({"applicant": {"legal_representative": "Claire Dupont"}, "originals": [],
    ...                                "decision_note": None})
    >>> data["applicant"], values
    ({'legal_representative': '[personal data]'}, {'applicant.legal_representative': 'Claire Dupont'})
    >>> join_personal(data, {})["applicant"]["legal_representative"]
    '[erased]'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["CONTACT_KEYS", "ERASED", "PERSONAL", "join_personal", "split_personal", "without_contacts"]

#: What a stored record shows in place of a personal datum (kept in its own table).
PERSONAL = "[personal data]"
#: What a record shows once the personal datum is erased.
ERASED = "[erased]"


def _fields(data: dict[str, Any]) -> Iterator[tuple[str, MutableMapping[str, Any], str]]:
    """Each personal field of an unstructured dossier: (path, the mapping that holds it, its key)."""
    applicant = data.get("applicant")
    if isinstance(applicant, dict):
        yield "applicant.legal_representative", applicant, "legal_representative"
        yield "applicant.iban", applicant, "iban"
    for original in data.get("originals") or []:
        yield f"originals.{original['key']}.signed_by", original, "signed_by"
    for issue in data.get("issues") or []:
        yield f"issues.{issue['key']}.note", issue, "note"
    if isinstance(data.get("instruction"), dict):
        yield "instruction.note", data["instruction"], "note"
    if "decision_note" in data:
        yield "decision_note", data, "decision_note"
    for i, person in enumerate(data.get("board") or []):
        yield f"board.{i}.name", person, "name"


def split_personal(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The unstructured dossier without its personal data (changed in place), and that data by path.

    Empty values (``None``, ``""``) and :data:`ERASED` are not personal data and stay as they are.
    """
    values: dict[str, str] = {}
    for path, holder, key in _fields(data):
        value = holder.get(key)
        if value not in (None, "", PERSONAL, ERASED):
            values[path] = value
            holder[key] = PERSONAL
    return data, values


def join_personal(data: dict[str, Any], values: Mapping[str, str | None]) -> dict[str, Any]:
    """Put the personal data back in place (changed in place); :data:`ERASED` where it is gone."""
    for path, holder, key in _fields(data):
        if holder.get(key) == PERSONAL:
            holder[key] = values.get(path) or ERASED
    return data


#: The keys that ``dossier show`` and ``dossier list --json`` leave out unless asked (``--personal``): the
#: applicant's IBAN, the names of the people who sign for it (its legal representative, the signer of an
#: original), and its board lists (the names of its board and bureau members).
CONTACT_KEYS = frozenset({"board", "iban", "legal_representative", "signed_by"})


def without_contacts(data: Any) -> Any:
    """A copy of unstructured ``data`` without the :data:`CONTACT_KEYS`, at any depth.

    >>> without_contacts({"applicant": {"name": "Asso", "iban": "FR76…", "legal_representative": "Claire Dupont"},
    ...                   "history": [{"payload": {"signed_by": "Claire Dupont", "piece": "statuts"}}]})
    {'applicant': {'name': 'Asso'}, 'history': [{'payload': {'piece': 'statuts'}}]}
    """
    if isinstance(data, Mapping):
        return {key: without_contacts(value) for key, value in data.items() if key not in CONTACT_KEYS}
    if isinstance(data, (list, tuple)):
        return [without_contacts(value) for value in data]
    return data
