"""The data each trigger takes, checked before anything runs.

``fire(..., "instruct", criteria=["innovante"], proposed="5000")`` reads its
keyword arguments into one of these records; an unknown keyword or a bad
value raises :class:`~ami_workflow.errors.InvalidInput` at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from .campaign import ALLOCATION_POLICIES
from .checks import free_text, line_or_empty
from .errors import InvalidInput
from .i18n import _
from .money import optional_euros
from .pieces import PieceIssue
from .schedule import GROUNDS
from .shown import shown

__all__ = [
    "ApproveArgs",
    "HearArgs",
    "InstructArgs",
    "NoArgs",
    "OrderRecoveryArgs",
    "PayArgs",
    "RecoverArgs",
    "RejectArgs",
    "ReturnArgs",
    "StartRecoveryArgs",
    "TriggerArgs",
    "WithdrawArgs",
    "parse_args",
    "required_data",
]


def _issues(value: Iterable[PieceIssue | Mapping[str, Any]]) -> tuple[PieceIssue, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidInput(_("issues must be a list of pieces with their reasons"))
    out = []
    for item in value:
        if isinstance(item, PieceIssue):
            out.append(item)
        elif isinstance(item, Mapping):
            try:
                out.append(PieceIssue(**item))
            except (TypeError, ValueError) as exc:
                raise InvalidInput(_("bad piece issue {issue!r}: {exc}").format(
                    issue=shown(dict(item)), exc=exc)) from None
        else:
            raise InvalidInput(_("a piece issue is a PieceIssue or a mapping, not {item!r}").format(item=shown(item)))
    return tuple(out)


def _criteria(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(_("criteria must be a list of criterion keys"))
    keys = frozenset(value)
    for key in keys:
        if not isinstance(key, str):
            raise InvalidInput(_("a criterion key must be text, not {key!r}").format(key=shown(key)))
    return keys


def _opt_amount(value: object) -> Decimal | None:
    return optional_euros(value, "amount")


def _opt_policy(value: object) -> str | None:
    if value is None or value in ALLOCATION_POLICIES:
        return None if value is None else str(value)
    raise InvalidInput(_("unknown allocation policy {policy!r}: the policies are {policies}").format(
        policy=shown(value), policies=", ".join(ALLOCATION_POLICIES)))


def _opt_proposed(value: object) -> Decimal | None:
    return optional_euros(value, "proposed")


@attrs.frozen
class NoArgs:
    """``submit`` and ``mark_complete`` take no data."""


@attrs.frozen
class ReturnArgs:
    """``return_for_pieces``: each piece sent back, with its reason (missing, incorrect, outdated)."""

    issues: tuple[PieceIssue, ...] = attrs.field(converter=_issues)


@attrs.frozen
class InstructArgs:
    """``instruct``: the bonus criteria the instructor confirms, and an optional proposed amount."""

    criteria: frozenset[str] = attrs.field(factory=frozenset, converter=_criteria)
    proposed: Decimal | None = attrs.field(default=None, converter=_opt_proposed)
    note: str = attrs.field(default="", converter=free_text)


@attrs.frozen
class HearArgs:
    """``hear``: the committee session that hears the dossier."""

    session: str = attrs.field(converter=line_or_empty)


@attrs.frozen
class ApproveArgs:
    """``approve``: the amount the jury retains (by default the instructor's proposal), and how a committee's list
    allocated it (``funding.allocation.policy``; none for a single approval)."""

    amount: Decimal | None = attrs.field(default=None, converter=_opt_amount)
    allocation: str | None = attrs.field(default=None, converter=_opt_policy)


@attrs.frozen
class RejectArgs:
    """``reject``: the written motivation."""

    motivation: str = attrs.field(default="", converter=free_text)


@attrs.frozen
class WithdrawArgs:
    """``withdraw``: an optional reason."""

    reason: str = attrs.field(default="", converter=free_text)


@attrs.frozen
class PayArgs:
    """``pay``: one instalment (by default what remains of the grant) and its reference."""

    amount: Decimal | None = attrs.field(default=None, converter=_opt_amount)
    reference: str = attrs.field(default="", converter=line_or_empty)


def _grounds(value: object) -> str:
    if value not in GROUNDS:
        raise InvalidInput(_("unknown grounds {value!r} for a recovery: {grounds}").format(
            value=shown(value), grounds=", ".join(GROUNDS)))
    return str(value)


def _day(value: object) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(_("observations_by: {value!r} is not a day (YYYY-MM-DD)").format(
                value=shown(value))) from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(_("observations_by: expected a day, got {value!r}").format(value=shown(value)))
    return value


@attrs.frozen
class StartRecoveryArgs:
    """``start_recovery``: why (a key of :data:`~ami_workflow.schedule.GROUNDS`), the day until which the applicant
    may submit its observations (CRPA L121-1, L122-1), and a note on the facts."""

    grounds: str = attrs.field(converter=_grounds)
    observations_by: date = attrs.field(converter=_day)
    note: str = attrs.field(default="", converter=free_text)


@attrs.frozen
class OrderRecoveryArgs:
    """``order_recovery``: the titre de recette's reference, the decision's motivation (CRPA L211-2), and a summary
    of the applicant's observations when it gave some."""

    title: str = attrs.field(converter=line_or_empty)
    motivation: str = attrs.field(default="", converter=free_text)
    observations: str = attrs.field(default="", converter=free_text)


@attrs.frozen
class RecoverArgs:
    """``recover``: the reference of the receipt of the money that came back."""

    receipt: str = attrs.field(default="", converter=line_or_empty)


TriggerArgs = (NoArgs | ReturnArgs | InstructArgs | HearArgs | ApproveArgs | RejectArgs | WithdrawArgs | PayArgs
               | StartRecoveryArgs | OrderRecoveryArgs | RecoverArgs)

_ARGS: Mapping[str, type[TriggerArgs]] = {
    "submit": NoArgs,
    "mark_complete": NoArgs,
    "return_for_pieces": ReturnArgs,
    "instruct": InstructArgs,
    "hear": HearArgs,
    "approve": ApproveArgs,
    "reject": RejectArgs,
    "withdraw": WithdrawArgs,
    "pay": PayArgs,
    "close": NoArgs,
    "start_recovery": StartRecoveryArgs,
    "order_recovery": OrderRecoveryArgs,
    "recover": RecoverArgs,
}


def required_data(trigger: str) -> list[str]:
    """The data that ``trigger`` cannot do without (``hear`` needs a ``session``), in its record's order.

        >>> required_data("return_for_pieces"), required_data("pay")
        (['issues'], [])
    """
    cls = _ARGS.get(trigger)
    return [] if cls is None else [f.name for f in attrs.fields(cls) if f.default is attrs.NOTHING]


def parse_args(trigger: str, data: Mapping[str, Any]) -> TriggerArgs:
    """Read a trigger's keyword data into its record, or raise ``InvalidInput``."""
    cls = _ARGS.get(trigger) if isinstance(trigger, str) else None
    if cls is None:
        raise InvalidInput(_("unknown trigger {trigger!r}; the triggers are {triggers}").format(
            trigger=shown(trigger), triggers=', '.join(_ARGS)))
    names = {f.name for f in attrs.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        accepted = ", ".join(sorted(names)) or _("no data")
        raise InvalidInput(_("{trigger} does not take {unknown} (it takes {accepted})").format(
            trigger=trigger, unknown=', '.join(unknown), accepted=accepted))
    missing = [name for name in required_data(trigger) if name not in data]
    if missing:
        raise InvalidInput(_("{trigger} needs {names}").format(trigger=trigger, names=", ".join(missing)))
    try:
        return cls(**data)
    except TypeError as exc:
        raise InvalidInput(_("{trigger}: {exc}").format(trigger=trigger, exc=exc)) from None
