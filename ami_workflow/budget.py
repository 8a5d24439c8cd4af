"""An action's budget on the lines of the CERFA n° 12156 form: charges and products, with contributions in kind.

The application's forecast budget (*budget prévisionnel de l'action*, CERFA
n° 12156, « Budget du projet ») and the compte rendu financier's realised budget
(CERFA n° 15059) use the same lines, so that the two can be compared line by
line. A line is keyed by its account chapter (``"60"``, ``"64"``); the
operating subsidies (chapter 74) are split by funder as the form asks
(``"74.epci"`` for an intercommunalité such as the CALL). Chapters 86 and 87
are the contributions in kind (volunteering, goods and services lent): they
balance each other and stay outside the financial total.

    >>> b = Budget(charges={"60": "1000", "64": "4000", "86": "500"},
    ...            products={"74.epci": "3000", "74.etat": "2000", "87": "500"})
    >>> b.total, b.total_products, b.in_kind
    (Decimal('5000.00'), Decimal('5000.00'), Decimal('500.00'))
    >>> b.problems()
    []
    >>> Budget(charges={"60": "1000"}, products={"74.epci": "900"}).problems()
    ['the budget is not balanced: charges €1,000.00, products €900.00']
    >>> Budget(charges={"99": "1"}, products={})
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: unknown charge line '99': the lines are 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, \
indirect.fixed, indirect.financial, indirect.other, 86
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

import attrs

from .errors import InvalidInput
from .i18n import N_, _, format_money
from .money import ZERO, euros
from .shown import shown

__all__ = ["CHARGE_LINES", "IN_KIND_CHARGES", "IN_KIND_PRODUCTS", "PRODUCT_LINES", "Budget", "line_label"]

#: The charge lines of the CERFA n° 12156 project budget, in the form's order, with their French names.
CHARGE_LINES: Mapping[str, str] = MappingProxyType({
    "60": N_("60 – Achats"),
    "61": N_("61 – Services extérieurs"),
    "62": N_("62 – Autres services extérieurs"),
    "63": N_("63 – Impôts et taxes"),
    "64": N_("64 – Charges de personnel"),
    "65": N_("65 – Autres charges de gestion courante"),
    "66": N_("66 – Charges financières"),
    "67": N_("67 – Charges exceptionnelles"),
    "68": N_("68 – Dotation aux amortissements, provisions et engagements"),
    "69": N_("69 – Impôts sur les bénéfices ; participation des salariés"),
    "indirect.fixed": N_("Charges indirectes : charges fixes de fonctionnement"),
    "indirect.financial": N_("Charges indirectes : frais financiers"),
    "indirect.other": N_("Charges indirectes : autres"),
    "86": N_("86 – Emplois des contributions volontaires en nature"),
})

#: The product lines, in the form's order: chapter 74 split by funder.
PRODUCT_LINES: Mapping[str, str] = MappingProxyType({
    "70": N_("70 – Ventes de produits finis, prestations de services, marchandises"),
    "73": N_("73 – Dotations et produits de tarification"),
    "74.etat": N_("74 – Subventions d'exploitation : État"),
    "74.region": N_("74 – Subventions d'exploitation : Région(s)"),
    "74.departement": N_("74 – Subventions d'exploitation : Département(s)"),
    "74.epci": N_("74 – Subventions d'exploitation : Intercommunalité(s) – EPCI"),
    "74.commune": N_("74 – Subventions d'exploitation : Commune(s)"),
    "74.organismes_sociaux": N_("74 – Subventions d'exploitation : Organismes sociaux"),
    "74.fonds_europeens": N_("74 – Subventions d'exploitation : Fonds européens"),
    "74.asp": N_("74 – Subventions d'exploitation : Agence de services et de paiement (emplois aidés)"),
    "74.aides_privees": N_("74 – Subventions d'exploitation : Aides privées (fondations)"),
    "74.autres": N_("74 – Subventions d'exploitation : Autres établissements publics"),
    "75": N_("75 – Autres produits de gestion courante (cotisations, dons manuels, mécénat)"),
    "76": N_("76 – Produits financiers"),
    "77": N_("77 – Produits exceptionnels"),
    "78": N_("78 – Reprises sur amortissements et provisions"),
    "79": N_("79 – Transferts de charges"),
    "87": N_("87 – Contributions volontaires en nature"),
})

#: The lines of the contributions in kind, outside the financial total.
IN_KIND_CHARGES = "86"
IN_KIND_PRODUCTS = "87"


def line_label(key: str) -> str:
    """The form's name of a charge or product line, in the current language (the key itself if unknown)."""
    label = CHARGE_LINES.get(key) or PRODUCT_LINES.get(key)
    return _(label) if label is not None else key


def _charges(value: object) -> Mapping[str, Decimal]:
    return _lines(value, CHARGE_LINES, N_("unknown charge line {key!r}: the lines are {lines}"))


def _products(value: object) -> Mapping[str, Decimal]:
    return _lines(value, PRODUCT_LINES, N_("unknown product line {key!r}: the lines are {lines}"))


def _lines(value: object, known: Mapping[str, str], unknown: str) -> Mapping[str, Decimal]:
    """The non-zero lines of ``value`` in the form's order, each amount exact and not negative."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Mapping):
        raise InvalidInput(_("a budget maps its lines to amounts, not {value!r}").format(value=shown(value)))
    out: dict[str, Decimal] = {}
    for key, amount in value.items():
        if not isinstance(key, str) or key not in known:
            raise InvalidInput(_(unknown).format(key=shown(key), lines=", ".join(known)))
        money = euros(amount, key)
        if money < 0:
            raise InvalidInput(_("the budget line {key} cannot be negative ({amount})").format(
                key=key, amount=format_money(money)))
        if money:
            out[key] = money
    return MappingProxyType({k: out[k] for k in known if k in out})


def _sum(lines: Mapping[str, Decimal], skip: str) -> Decimal:
    return sum((v for k, v in lines.items() if k != skip), ZERO)


@attrs.frozen
class Budget:
    """An action's charges and products by line of the CERFA n° 12156 form (amounts in euros, exact to the cent).

    ``total`` is the financial cost of the action (the charges without the contributions in kind): the
    application's « montant total ». Lines at zero are dropped.
    """

    charges: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_charges, hash=False)
    products: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_products, hash=False)

    @property
    def total(self) -> Decimal:
        """The charges, without the contributions in kind (line 86)."""
        return _sum(self.charges, IN_KIND_CHARGES)

    @property
    def total_products(self) -> Decimal:
        """The products, without the contributions in kind (line 87)."""
        return _sum(self.products, IN_KIND_PRODUCTS)

    @property
    def in_kind(self) -> Decimal:
        """The contributions in kind as charged (line 86)."""
        return self.charges.get(IN_KIND_CHARGES, ZERO)

    def line(self, key: str) -> Decimal:
        """The amount of one line, charge or product (0 when absent)."""
        return self.charges.get(key, self.products.get(key, ZERO))

    def problems(self) -> list[str]:
        """Why the budget is not a balanced CERFA budget: the charges equal the products, and the contributions in
        kind used (86) equal those received (87)."""
        reasons = []
        if self.total != self.total_products:
            reasons.append(_("the budget is not balanced: charges {charges}, products {products}").format(
                charges=format_money(self.total), products=format_money(self.total_products)))
        received = self.products.get(IN_KIND_PRODUCTS, ZERO)
        if self.in_kind != received:
            reasons.append(_("the contributions in kind are not balanced: {used} used (line 86), {received} received "
                             "(line 87)").format(used=format_money(self.in_kind), received=format_money(received)))
        return reasons
