"""The applicant's board lists: who sits on its conseil d'administration and its bureau, and when two names are
one person.

The call asks every association for its « liste des membres du Conseil d'Administration » and its « liste des
membres du bureau »; their members are recorded with the dossier as personal data (names), to detect conflicts of
interest at the committee (:mod:`ami_workflow.conflicts`). Names match when they have the same words, whatever
their accents, case, punctuation and order::

    >>> same_person("Jean-Pierre DUPONT", "dupont jean pierre")
    True
    >>> same_person("Hélène Lefèvre", "Helene LEFEVRE"), same_person("Claire Dupont", "Claire Dupond")
    (True, False)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import attrs

from .checks import required_text
from .errors import InvalidInput
from .i18n import N_, _
from .personal import ERASED, PERSONAL
from .shown import shown

__all__ = ["BODIES", "BODY_NAMES", "BoardMember", "person_key", "same_person"]

#: The applicant's bodies whose lists the call asks for: the conseil d'administration and the bureau.
BODIES = ("board", "bureau")
#: What a person calls each body (translated when shown).
BODY_NAMES: Mapping[str, str] = {"board": N_("board"), "bureau": N_("bureau")}


def _body(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in BODIES:
        raise InvalidInput(_("a board member sits on the `board` or the `bureau`, not {value!r}").format(
            value=shown(value)))


@attrs.frozen
class BoardMember:
    """A person on the applicant's board (conseil d'administration) or bureau, with their role there."""

    name: str = attrs.field(converter=required_text)
    role: str = attrs.field(converter=required_text)
    body: str = attrs.field(default="board", validator=_body)


#: The ligatures that Unicode does not decompose, written out (« Œuvre » is « oeuvre »).
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def person_key(name: str) -> tuple[str, ...]:
    """The words of a name without accents or case, sorted: what two names must share to match.

    >>> person_key("  Marie-Thérèse  d'Ornano ")
    ('d', 'marie', 'ornano', 'therese')
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
    plain = plain.translate(_LIGATURES)
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    return tuple(sorted(words))


def same_person(a: str, b: str) -> bool:
    """Whether two names are the same once accents, case, punctuation and the order of the words are set aside.

    An erased name matches nothing:

    >>> same_person("[erased]", "[erased]")
    False
    """
    if {a, b} & {ERASED, PERSONAL}:
        return False
    key = person_key(a)
    return bool(key) and key == person_key(b)
