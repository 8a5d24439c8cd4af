"""The library's exception hierarchy.

Every error raised on purpose by ami_workflow derives from
:class:`AmiWorkflowError`, so an embedding tool can catch them all at once::

    >>> from ami_workflow.errors import AmiWorkflowError, Refused
    >>> issubclass(Refused, AmiWorkflowError)
    True
    >>> str(Refused("submit", ["the deadline has passed", "the form is missing"]))
    'submit refused: the deadline has passed; the form is missing'

Messages are in the reader's language (see :mod:`ami_workflow.i18n`); the
doctests run in English. ``action`` and ``trigger`` stay the keys that the
commands take (``submit``, ``deposit_receipt``).
"""

from __future__ import annotations

from collections.abc import Iterable

from .translate import _

__all__ = [
    "AmbiguousCampaign",
    "AmiWorkflowError",
    "AnchorError",
    "CallFileError",
    "IllegalTrigger",
    "InvalidAmount",
    "InvalidAmountType",
    "InvalidInput",
    "InvalidTime",
    "InvalidTimeType",
    "InvalidType",
    "NotFound",
    "Refused",
    "SchemaError",
    "StorageError",
    "VersionConflict",
]


class AmiWorkflowError(Exception):
    """Base class of every error the library raises on purpose."""


class InvalidInput(AmiWorkflowError, ValueError):
    """Input that is malformed or of the wrong type; nothing was changed."""


class InvalidType(InvalidInput, TypeError):
    """A value of the wrong type (text expected, an int given); nothing was changed.

    Both an :class:`InvalidInput` (so a ``ValueError``) and a ``TypeError``, as Python's own functions raise
    ``TypeError`` for an argument of the wrong type.
    """


class AmbiguousCampaign(InvalidInput):
    """A database of several campaigns opened without naming one, where the choice must be explicit."""

    def __init__(self, campaigns: Iterable[str]) -> None:
        self.campaigns = tuple(campaigns)
        super().__init__(_("this database holds {count} campaigns ({campaigns}): name the one to use").format(
            count=len(self.campaigns), campaigns=", ".join(self.campaigns)))


class InvalidAmount(InvalidInput):
    """A money amount that is a float, negative, non-finite or finer than a cent."""


class InvalidTime(InvalidInput):
    """A time that cannot be read unambiguously as Europe/Paris time."""


class InvalidAmountType(InvalidAmount, InvalidType):
    """An amount of the wrong type (``None``, a list): both an :class:`InvalidAmount` and an :class:`InvalidType`."""


class InvalidTimeType(InvalidTime, InvalidType):
    """A time of the wrong type (an int, a list): both an :class:`InvalidTime` and an :class:`InvalidType`."""


class CallFileError(AmiWorkflowError, ValueError):
    """A call file (TOML) that is malformed or inconsistent.

    The message names the file, the field and the problem.
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(_("{source}: {field}: {problem}").format(source=source, field=field, problem=problem))


class AnchorError(AmiWorkflowError):
    """A key file, a checkpoint or an anchor file that cannot be used.

    Missing, garbled or of the wrong kind, or a checkpoint whose signature
    does not verify. The message names the file (and line) or the checkpoint, and the problem in plain words.
    """


class NotFound(AmiWorkflowError, LookupError):
    """An unknown dossier, campaign, committee session or other record."""


class IllegalTrigger(AmiWorkflowError):
    """A trigger that does not exist, or that the dossier's current state does not allow."""

    def __init__(self, trigger: str, state: str, allowed: Iterable[str] = ()) -> None:
        self.trigger = trigger
        self.state = state
        self.allowed = tuple(sorted(allowed))
        hint = ", ".join(self.allowed) if self.allowed else _("none")
        super().__init__(
            _("'{trigger}' is not possible from state '{state}' ({possible})").format(
                trigger=trigger, state=state, possible=_("possible here: {triggers}").format(triggers=hint))
        )


class Refused(AmiWorkflowError):
    """A trigger or action refused by its guards.

    ``reasons`` lists every unmet condition in plain words, not just the
    first one. The dossier and the campaign are left unchanged.
    """

    def __init__(self, action: str, reasons: Iterable[str]) -> None:
        self.action = action
        self.reasons = tuple(reasons)
        super().__init__(_("{action} refused: {reasons}").format(action=action, reasons="; ".join(self.reasons)))


class SchemaError(AmiWorkflowError):
    """A database this library cannot use: made by a newer version, or not an ami_workflow file."""


class VersionConflict(AmiWorkflowError):
    """The dossier changed since the caller read it (``expected_version`` is stale); nothing was written."""

    def __init__(self, reference: str, expected: int, actual: int) -> None:
        self.reference, self.expected, self.actual = reference, expected, actual
        super().__init__(
            _("{reference} is at version {actual}, not {expected}: it was changed by someone else; "
              "re-read it and try again").format(reference=reference, actual=actual, expected=expected)
        )


class StorageError(AmiWorkflowError):
    """The database failed under a write (corrupt file, full disk, lock held past the timeout); nothing was written."""
