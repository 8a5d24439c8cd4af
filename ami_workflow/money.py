"""Exact money: :class:`~decimal.Decimal` euros quantised to the cent.

A float never becomes money, because ``0.1 + 0.2 != 0.3`` in binary floating
point. Amounts come in as ``Decimal``, ``int`` (whole euros) or ``str``
(``"1500.50"``, ``"1 500,50"``)::

    >>> euros("150 000,00")
    Decimal('150000.00')
    >>> euros(23000)
    Decimal('23000.00')
    >>> euros(0.1)
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidAmount: amount: a float is not accepted as money (0.1);
      pass a Decimal, an int or a string such as "0.10"
    >>> to_cents(euros("12.34")), from_cents(1234)
    (1234, Decimal('12.34'))
    >>> format_euros(Decimal("150000"))
    '150 000,00 €'
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, InvalidOperation, localcontext

from .errors import InvalidAmount, InvalidAmountType
from .i18n import _
from .shown import shown

__all__ = [
    "CENT",
    "MAX_AMOUNT",
    "ZERO",
    "euros",
    "floor_to_cent",
    "format_euros",
    "from_cents",
    "optional_euros",
    "parse_decimal",
    "percent",
    "to_cents",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount the library handles: a thousand billion euros (far above any call, far below SQLite's limit).
MAX_AMOUNT = Decimal(10) ** 12
_SPACES = (" ", "\u00a0", "\u202f", "_")


def euros(value: object, field: str = "amount") -> Decimal:
    """Return ``value`` as a non-negative ``Decimal`` quantised to the cent.

    Raises :class:`~ami_workflow.errors.InvalidAmount` for a float, a bool, a
    negative, non-finite or sub-cent amount, or text that is not a number.
    """
    amount = _to_decimal(value, field)
    if not amount.is_finite():
        raise InvalidAmount(_("{field}: the amount must be finite, not {value!r}").format(
            field=field, value=shown(value)))
    if amount < 0:
        raise InvalidAmount(_("{field}: the amount must not be negative ({value!r})").format(
            field=field, value=shown(value)))
    if amount > MAX_AMOUNT:
        raise InvalidAmount(_("{field}: {value!r} is above the largest amount handled (1 000 000 000 000 €)").format(
            field=field, value=shown(value)))
    quantised = amount.quantize(CENT)
    if quantised != amount:
        raise InvalidAmount(_("{field}: the amount has more than 2 decimals ({value!r})").format(
            field=field, value=shown(value)))
    return quantised


def optional_euros(value: object, field: str = "amount") -> Decimal | None:
    """Like :func:`euros`, but ``None`` stays ``None``."""
    return None if value is None else euros(value, field)


def parse_decimal(value: object, field: str = "amount") -> Decimal:
    """An exact ``Decimal`` from a ``Decimal``, an ``int`` or text (``"1 500,50"``); never from a float.

    >>> parse_decimal("1 500,50"), parse_decimal("7.5")
    (Decimal('1500.50'), Decimal('7.5'))
    """
    return _to_decimal(value, field)


def _to_decimal(value: object, field: str) -> Decimal:
    if type(value) is Decimal:  # the usual case first (a record rebuilt from its stored text)
        return value
    if isinstance(value, bool):
        raise InvalidAmount(_("{field}: a boolean is not an amount ({value!r})").format(
            field=field, value=shown(value)))
    if isinstance(value, float):
        raise InvalidAmount(
            _('{field}: a float is not accepted as money ({value!r}); '
              'pass a Decimal, an int or a string such as "0.10"').format(field=field, value=value)
        )
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().removesuffix("€").removesuffix("EUR").strip()
        for space in _SPACES:
            text = text.replace(space, "")
        if "," in text:
            if "." in text:
                raise InvalidAmount(_("{field}: ambiguous amount {value!r}; use one decimal separator").format(
                    field=field, value=shown(value)))
            text = text.replace(",", ".")
        try:
            return Decimal(text)
        except InvalidOperation:
            raise InvalidAmount(_("{field}: {value!r} is not an amount").format(
                field=field, value=shown(value))) from None
    raise InvalidAmountType(_("{field}: expected an amount (Decimal, int or str), got {type}").format(
        field=field, type=type(value).__name__))


def percent(value: object, field: str = "rate") -> Decimal:
    """Return a percentage (``50`` means 50 %) as an exact ``Decimal`` in [0, 100].

    Call files may write points such as ``7.5``; a TOML float is read through
    its shortest decimal text, so ``7.5`` is exactly ``Decimal("7.5")``.
    """
    if isinstance(value, bool):
        raise InvalidAmount(_("{field}: a boolean is not a percentage").format(field=field))
    if isinstance(value, float):
        value = repr(value)
    rate = _to_decimal(value, field)
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise InvalidAmount(_("{field}: a percentage must lie between 0 and 100, not {value!r}").format(
            field=field, value=shown(value)))
    return rate


def floor_to_cent(value: Decimal) -> Decimal:
    """Round down (towards minus infinity) to the cent: never above ``value``."""
    with localcontext() as ctx:
        ctx.prec = 60
        return value.quantize(CENT, rounding=ROUND_FLOOR)


def to_cents(amount: Decimal) -> int:
    """Integer cents of an amount already checked by :func:`euros`."""
    return int(euros(amount) * 100)


def from_cents(cents: int) -> Decimal:
    """The amount of ``cents`` integer cents."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise InvalidAmountType(_("cents must be an int, got {type}").format(type=type(cents).__name__))
    return (Decimal(cents) / 100).quantize(CENT)


def format_euros(amount: Decimal) -> str:
    """French display: ``150 000,00 €`` (narrow spaces kept plain for terminals)."""
    amount = _to_decimal(amount, "amount")
    if not amount.is_finite():
        raise InvalidAmount(_("amount: {value} is not an amount").format(value=amount))
    sign = "-" if amount < 0 else ""
    whole, _sep, frac = f"{abs(amount):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{frac} €"

