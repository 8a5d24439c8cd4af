"""Applicant identifiers, checked with python-stdnum: SIREN, SIRET, RNA and IBAN.

    >>> check_applicant(Applicant("Asso", "association", siren="732 829 320")).siren
    '732829320'
    >>> check_applicant(Applicant("Asso", "association", siren="732829321", rna="X12"))
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: applicant: siren: '732829321' is not a valid SIREN;
      rna: 'X12' is not an RNA number (W followed by 9 characters)
"""

from __future__ import annotations

import attrs
from stdnum import iban as _iban
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret

from .campaign import Campaign
from .dossier import Applicant
from .errors import InvalidInput, InvalidType
from .i18n import _
from .identifiers import compact_rna, is_rna, rna_problem
from .shown import shown

__all__ = ["check_applicant", "identity_problems", "requirement_problems"]


def identity_problems(applicant: Applicant) -> list[str]:
    """Every problem with the applicant's identifiers; empty when they are all valid (or absent)."""
    problems = []
    if applicant.siren and not _siren.is_valid(applicant.siren):
        problems.append(_("siren: {siren!r} is not a valid SIREN").format(siren=shown(applicant.siren)))
    if applicant.siret:
        if not _siret.is_valid(applicant.siret):
            problems.append(_("siret: {siret!r} is not a valid SIRET").format(siret=shown(applicant.siret)))
        elif applicant.siren and _siret.compact(applicant.siret)[:9] != _siren.compact(applicant.siren):
            problems.append(_("siret: the SIRET does not start with the SIREN"))
    if applicant.rna and not is_rna(applicant.rna):
        problems.append(rna_problem(applicant.rna))
    if applicant.iban and not _iban.is_valid(applicant.iban):
        problems.append(_("iban: {iban!r} is not a valid IBAN").format(iban=shown(applicant.iban)))
    return problems


def requirement_problems(applicant: Applicant, campaign: Campaign) -> list[str]:
    """What the call's file requires of this kind of applicant and is missing (``applicants.kinds.*.requires``)."""
    kind = campaign.applicants.kinds.get(applicant.kind)
    if kind is None:
        known = ", ".join(sorted(campaign.applicants.kinds))
        return [_("kind: unknown applicant kind {kind!r}; the call knows {known}").format(
            kind=shown(applicant.kind), known=known)]
    problems = []
    for requirement in kind.requires:
        options = requirement.split("|")
        if not any(getattr(applicant, field) for field in options):
            problems.append(_("{fields}: required for {kind}").format(fields=_(" or ").join(options), kind=kind.label))
    return problems


def check_applicant(applicant: Applicant, campaign: Campaign | None = None) -> Applicant:
    """The applicant with its identifiers in compact form; ``InvalidInput`` lists every bad one.

    With ``campaign``, the kind must be one the call knows and the identity
    data its file requires for that kind must be there.
    """
    if not isinstance(applicant, Applicant):
        raise InvalidType(_("expected an Applicant record, not {type}").format(type=type(applicant).__name__))
    if campaign is not None and not isinstance(campaign, Campaign):
        raise InvalidType(_("expected a Campaign or None, not {type}").format(type=type(campaign).__name__))
    problems = identity_problems(applicant)
    if campaign is not None:
        problems += requirement_problems(applicant, campaign)
    if problems:
        raise InvalidInput(_("applicant: {problems}").format(problems="; ".join(problems)))
    siret = _siret.compact(applicant.siret) if applicant.siret else None
    siren = _siren.compact(applicant.siren) if applicant.siren else (siret[:9] if siret else None)
    return attrs.evolve(
        applicant,
        siren=siren,
        siret=siret,
        rna=compact_rna(applicant.rna) if applicant.rna else None,
        iban=_iban.compact(applicant.iban) if applicant.iban else None,
    )
