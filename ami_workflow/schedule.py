"""The payment schedule and the settlement of a grant: what is due at each stage, and what comes back.

A call's file lists its payment stages (``[[funding.payment_schedule]]``), each
a share of the grant opened by an event of the dossier's life: ``grant`` (the
deliberation is enforceable and, above the threshold, the convention is signed:
the payment guards check those) or ``report_accepted`` (the compte rendu
financier is accepted). Without a schedule the whole grant is due on the grant,
in as many instalments as the funder likes. The usual practice is an advance
of 80 % and a balance of 20 %::

    >>> advance = PaymentStage("avance", Decimal("80"), "grant")
    >>> balance = PaymentStage("solde", Decimal("20"), "report_accepted")
    >>> due_now(Decimal("12345.67"), (advance, balance), settled=None)
    Decimal('9876.53')
    >>> due_now(Decimal("12345.67"), (advance, balance), settled=Decimal("12345.67"))
    Decimal('12345.67')

Once the compte rendu is accepted, what is due is the settled amount
(:func:`settled_due`): the grant, or less when the action was under-spent
beyond the call's tolerance, by default ``min(grant, floor(realised × grant ÷
forecast))``. The unpaid balance is reduced first; what was paid above it is
recovered (:func:`to_recover`)::

    >>> rule = Settlement(tolerance=Decimal("0"))
    >>> settled_due(rule, Decimal("10000"), forecast=Decimal("20000"), realised=Decimal("15000"))
    Decimal('7500.00')
    >>> to_recover(paid=Decimal("8000"), due=Decimal("7500.00"))
    Decimal('500.00')
    >>> to_recover(paid=Decimal("8000"), due=Decimal("9000"))
    Decimal('0.00')
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from .errors import InvalidInput
from .i18n import N_, _
from .money import ZERO, floor_to_cent, percent
from .shown import shown

__all__ = [
    "GROUNDS",
    "OPENINGS",
    "SETTLEMENT_RULES",
    "PaymentStage",
    "Settlement",
    "due_now",
    "next_stage",
    "schedule_problems",
    "settled_due",
    "stages",
    "to_recover",
]

#: What opens a payment stage, with its words.
OPENINGS = {
    "grant": N_("once the grant is enforceable (and the convention signed where one is needed)"),
    "report_accepted": N_("once the compte rendu financier is accepted"),
}

#: The rules that settle a grant on the realised budget, by name (``funding.settlement.rule``).
SETTLEMENT_RULES = ("pro_rata",)

#: Why a recovery is opened (``start_recovery``'s ``grounds``).
GROUNDS = {
    "not_carried_out": N_("the action was not carried out"),
    "under_spent": N_("the action was under-spent"),
    "withdrawn": N_("the applicant withdrew after a payment"),
}


def _share(value: object) -> Decimal:
    share = percent(value, "share")
    if share <= 0:
        raise InvalidInput(_("share: a payment stage pays more than 0 %"))
    return share


def _opening(value: object) -> str:
    if value not in OPENINGS:
        raise InvalidInput(_("after: unknown opening {value!r}: the openings are {openings}").format(
            value=shown(value), openings=", ".join(OPENINGS)))
    return str(value)


@attrs.frozen
class PaymentStage:
    """One stage of the schedule: its name (« avance », « solde »), its share of the grant in percent, and what
    opens it (a key of :data:`OPENINGS`)."""

    stage: str
    share: Decimal = attrs.field(converter=_share)
    after: str = attrs.field(default="grant", converter=_opening)


def _tolerance(value: object) -> Decimal:
    return percent(value, "tolerance")


def _rule(value: object) -> str:
    if value not in SETTLEMENT_RULES:
        raise InvalidInput(_("rule: unknown settlement rule {value!r}: the rules are {rules}").format(
            value=shown(value), rules=", ".join(SETTLEMENT_RULES)))
    return str(value)


def _days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(_("observation_days: a number of days of at least 1, not {value!r}").format(
            value=shown(value)))
    return value


@attrs.frozen
class Settlement:
    """How a grant is settled on its compte rendu, and how a recovery runs (``[funding.settlement]``).

    ``tolerance`` (percent) is the under-spending accepted without reducing the grant; ``observation_days`` the
    least time the applicant is given to submit its observations before a recovery is decided (CRPA L121-1,
    L122-1); ``recourse`` the means and time of recourse that the titre de recette carries (CGCT L1617-5).
    """

    rule: str = attrs.field(default="pro_rata", converter=_rule)
    tolerance: Decimal = attrs.field(default=Decimal("0"), converter=_tolerance)
    observation_days: int = attrs.field(default=15, converter=_days)
    recourse: str = ""
    legal_basis: str = ""


#: The schedule of a call that lists none: the whole grant, once it is enforceable.
_SINGLE = (PaymentStage("versement", Decimal("100"), "grant"),)


def stages(schedule: Sequence[PaymentStage]) -> tuple[PaymentStage, ...]:
    """The stages in force: the call's schedule, or one payment of the whole grant."""
    return tuple(schedule) or _SINGLE


def schedule_problems(schedule: Sequence[PaymentStage]) -> list[str]:
    """Why a call's schedule cannot be used: shares that do not add up to 100 %, a stage paid on the grant after
    one paid on the compte rendu, or two stages of one name.

    >>> schedule_problems([PaymentStage("avance", "80"), PaymentStage("solde", "30", "report_accepted")])
    ['the shares of the payment schedule add up to 110 %, not 100 %']
    """
    if not schedule:
        return []
    reasons = []
    total = sum((s.share for s in schedule), Decimal(0))
    if total != 100:
        reasons.append(_("the shares of the payment schedule add up to {total} %, not 100 %").format(
            total=f"{total.normalize():f}"))
    openings = [s.after for s in schedule]
    if openings != sorted(openings, key=list(OPENINGS).index):
        reasons.append(_("a stage paid once the grant is enforceable cannot follow one paid on the compte rendu"))
    names = [s.stage for s in schedule]
    if len(set(names)) != len(names):
        reasons.append(_("two payment stages have the same name"))
    return reasons


def due_now(grant: Decimal, schedule: Sequence[PaymentStage], settled: Decimal | None) -> Decimal:
    """All that may have been paid by now: the open stages' shares of the grant, floored to the cent.

    ``settled`` is the settled amount once the compte rendu is accepted (every stage is open then, and the total
    due is that amount), ``None`` before. The last stage takes the cents that the floors of the others left.
    """
    if settled is not None:
        return settled
    open_share = sum((s.share for s in stages(schedule) if s.after == "grant"), Decimal(0))
    if open_share >= 100:
        return grant
    return floor_to_cent(grant * open_share / 100)


def next_stage(schedule: Sequence[PaymentStage], settled: Decimal | None) -> PaymentStage | None:
    """The first stage not open yet (``None`` when every stage is open)."""
    if settled is not None:
        return None
    return next((s for s in stages(schedule) if s.after != "grant"), None)


def settled_due(rule: Settlement, grant: Decimal, forecast: Decimal | None, realised: Decimal | None) -> Decimal:
    """What the grant comes to on the realised budget: the grant when the action spent its forecast, within the
    tolerance; else ``min(grant, floor to the cent of realised × grant ÷ forecast)``; 0 when nothing was spent.

    Without a forecast or a realised total (a compte rendu of an earlier form) the grant stands.

    >>> settled_due(Settlement(tolerance="10"), Decimal("1000"), Decimal("5000"), Decimal("4500"))
    Decimal('1000')
    >>> settled_due(Settlement(tolerance="10"), Decimal("1000"), Decimal("5000"), Decimal("4499.99"))
    Decimal('899.99')
    """
    if forecast is None or realised is None or forecast <= 0:
        return grant
    if realised * 100 >= forecast * (100 - rule.tolerance):
        return grant
    return min(grant, floor_to_cent(realised * grant / forecast))


def to_recover(paid: Decimal, due: Decimal) -> Decimal:
    """What comes back: ``max(0, paid - due)``, to the cent."""
    return max(ZERO, (paid - due).quantize(ZERO))
