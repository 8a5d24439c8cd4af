"""The one cattrs converter of the library: records to plain data and back, with the hooks it needs.

Every record (a :class:`~ami_workflow.campaign.Campaign`, a dossier, a session,
a deliberation …) goes through :data:`converter`: the store keeps what it
unstructures, the exports and the command line print it, call files are
structured by it. Amounts are exact (``Decimal`` as text, never a float),
dates stay ``date`` objects, instants are ISO 8601 text in Paris time::

    >>> from datetime import date
    >>> from decimal import Decimal
    >>> data = converter.unstructure(Window(date(2021, 6, 1), date(2021, 6, 30)))
    >>> data
    {'start': datetime.date(2021, 6, 1), 'end': datetime.date(2021, 6, 30)}
    >>> converter.structure(data, Window) == Window(date(2021, 6, 1), date(2021, 6, 30))
    True
    >>> converter.structure("1 500,50", Decimal)
    Decimal('1500.50')
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, get_origin

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_unstructure_fn, override

from .budget import Budget
from .calendar import Calendar, Window, parse_instant
from .campaign import Allocation, Criterion, Funding
from .dossier import Application
from .errors import InvalidInput, InvalidType
from .i18n import _
from .money import parse_decimal
from .rules import CEILING_RULES
from .schedule import PaymentStage, Settlement
from .shown import shown
from .workflow import WorkflowSpec, edge_text, parse_workflow

__all__ = ["HOOKED", "converter", "describe_error", "first_problem", "join_path", "structure_record"]

_T = TypeVar("_T")


def _is_frozenset(cls: Any) -> bool:
    return cls is frozenset or get_origin(cls) is frozenset


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(Decimal, lambda v, _cls: _decimal_passthrough(v))
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(date, _structure_date)
    conv.register_unstructure_hook(date, lambda d: d)
    conv.register_structure_hook(datetime, lambda v, _cls: parse_instant(v))
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_unstructure_hook(frozenset, lambda s: sorted(s))
    # A typed field (``frozenset[str]``) has a hook of its own in cattrs, which keeps the set: a sorted list too,
    # so that JSON never gets a set (``"frozenset({...})"`` through a ``default=str``).
    conv.register_unstructure_hook_func(_is_frozenset, lambda s: sorted(s))

    def structure_calendar(value: Any, _cls: type) -> Calendar:
        if not isinstance(value, Mapping):
            raise TypeError(_("expected a table"))
        data = dict(value)
        data.pop("reminder_days_before_deadline", None)
        data.pop("policy", None)
        mode = data.pop("mode", "windows")
        if mode == "rolling":
            opens, closes = conv.structure(data.pop("opens"), date), conv.structure(data.pop("closes"), date)
            if closes < opens:
                raise ValueError(_("the call closes ({closes}) before it opens ({opens})").format(
                    closes=closes, opens=opens))
            if data:
                raise ValueError(_("unknown keys for a rolling calendar: {keys}").format(keys=', '.join(sorted(data))))
            return Calendar.rolling_window(Window(opens, closes))
        if mode != "windows":
            raise ValueError(_("calendar mode must be 'windows' or 'rolling', not {mode!r}").format(mode=shown(mode)))
        launch = conv.structure(data.pop("launch"), date)
        deadline = conv.structure(data.pop("deadline"), date)
        if deadline < launch:
            raise ValueError(_("the deadline ({deadline}) is before the launch ({launch})").format(
                deadline=deadline, launch=launch))
        instruction, jury, deliberation = (
            conv.structure(data.pop(name), Window) for name in ("instruction", "jury", "deliberation")
        )
        if data:
            raise ValueError(_("unknown keys: {keys}").format(keys=', '.join(sorted(data))))
        return Calendar(Window(launch, deadline), instruction, jury, deliberation)

    def unstructure_calendar(cal: Calendar) -> dict[str, Any]:
        if cal.rolling:
            return {"mode": "rolling", "opens": cal.submission.start, "closes": cal.submission.end}
        out: dict[str, Any] = {"launch": cal.launch, "deadline": cal.deadline}
        for name in ("instruction", "jury", "deliberation"):
            window = cal.window(name)
            out[name] = {"start": window.start, "end": window.end}
        return out

    conv.register_structure_hook(Calendar, structure_calendar)
    conv.register_unstructure_hook(Calendar, unstructure_calendar)

    def structure_window(value: Any, _cls: type) -> Window:
        if not isinstance(value, Mapping) or set(value) != {"start", "end"}:
            raise ValueError(_("a window is a table with exactly 'start' and 'end' dates"))
        start, end = conv.structure(value["start"], date), conv.structure(value["end"], date)
        if end < start:
            raise ValueError(_("the window ends ({end}) before it starts ({start})").format(end=end, start=start))
        return Window(start, end)

    conv.register_structure_hook(Window, structure_window)

    def structure_funding(value: Any, _cls: type) -> Funding:
        if not isinstance(value, Mapping):
            raise TypeError(_("expected a table"))
        data = dict(value)
        name = data.get("ceiling_rule")
        rule_class = CEILING_RULES.get(name) if isinstance(name, str) else None
        if rule_class is None:
            raise ValueError(_("unknown ceiling_rule {name!r}; known rules: {rules}").format(
                name=shown(name), rules=", ".join(sorted(CEILING_RULES))))
        params = data.get("ceiling", {})
        if not isinstance(params, Mapping):
            raise ValueError(_("funding.ceiling must be a table of the rule's parameters"))
        fields = {f.name for f in attrs.fields(rule_class)}
        extra = set(params) - fields
        if extra:
            raise ValueError(_("unknown parameters for {name}: {parameters}").format(
                name=name, parameters=', '.join(sorted(extra))))
        data["ceiling"] = rule_class(**params)
        data["criteria"] = conv.structure(data.get("criteria", []), tuple[Criterion, ...])
        if "allocation" in data:
            data["allocation"] = conv.structure(data["allocation"], Allocation)
        if "payment_schedule" in data:
            data["payment_schedule"] = tuple(_record_of(PaymentStage, item, "payment_schedule")
                                             for item in data["payment_schedule"])
        if "settlement" in data:
            data["settlement"] = _record_of(Settlement, data["settlement"], "settlement")
        extra = set(data) - {f.name for f in attrs.fields(Funding)}
        if extra:
            raise ValueError(_("unknown keys: {keys}").format(keys=', '.join(sorted(extra))))
        return Funding(**data)

    conv.register_structure_hook(Funding, structure_funding)
    conv.register_structure_hook(Budget, lambda v, _cls: _structure_budget(v))
    conv.register_unstructure_hook(Budget, lambda b: {
        "charges": {k: str(v) for k, v in b.charges.items()}, "products": {k: str(v) for k, v in b.products.items()}})
    # An application without a budget keeps the text it had before budgets existed (journals, digests).
    conv.register_unstructure_hook(
        Application, make_dict_unstructure_fn(Application, conv, budget=override(omit_if_default=True)))
    conv.register_structure_hook(WorkflowSpec, lambda v, _cls: parse_workflow(v))
    conv.register_unstructure_hook(
        WorkflowSpec,
        lambda w: {"edges": [edge_text(e) for e in w.edges], "guards": {t: list(g) for t, g in w.guards.items()}},
    )
    conv.register_unstructure_hook(
        Funding,
        lambda f: {
            "ceiling_rule": f.ceiling_rule,
            "convention_threshold": str(f.convention_threshold),
            "convention_legal_basis": f.convention_legal_basis,
            "ceiling": conv.unstructure(f.ceiling),
            "criteria": conv.unstructure(f.criteria),
            "financial_report_months": f.financial_report_months,
            "financial_report_legal_basis": f.financial_report_legal_basis,
            "allocation": conv.unstructure(f.allocation),
            # written only when set, so that a call without them keeps its bytes in the journal
            **({"payment_schedule": [{"stage": s.stage, "share": str(s.share), "after": s.after}
                                     for s in f.payment_schedule]} if f.payment_schedule else {}),
            **({"settlement": {"rule": f.settlement.rule, "tolerance": str(f.settlement.tolerance),
                               "observation_days": f.settlement.observation_days, "recourse": f.settlement.recourse,
                               "legal_basis": f.settlement.legal_basis}}
               if f.settlement != Settlement() else {}),
            **({"budget_line": f.budget_line} if f.budget_line else {}),
            **({"budget_required": f.budget_required} if f.budget_required else {}),
        },
    )
    return conv


def _record_of(cls: type[_T], value: Any, what: str) -> _T:
    """A small call-file record from its table, every key known (``ValueError`` names the bad one)."""
    if not isinstance(value, Mapping):
        raise ValueError(_("{what}: expected a table, got {value!r}").format(what=what, value=shown(value)))
    extra = set(value) - {f.name for f in attrs.fields(cls)}  # type: ignore[arg-type]
    if extra:
        raise ValueError(_("unknown keys: {keys}").format(keys=', '.join(sorted(map(str, extra)))))
    return cls(**value)


def _decimal_passthrough(value: Any) -> Decimal:
    """Numbers in call files and records: a Decimal, an int or text such as "1 500,50"; never a float."""
    if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool):
        return parse_decimal(value, "number")
    raise TypeError(_("expected a number written as a string or an int, got {value!r}").format(value=shown(value)))


def _structure_budget(value: Any) -> Budget:
    """A budget from ``{"charges": {line: amount}, "products": {line: amount}}`` (both tables optional)."""
    if not isinstance(value, Mapping):
        raise TypeError(_("a budget is a table of 'charges' and 'products', not {value!r}").format(value=shown(value)))
    extra = set(value) - {"charges", "products"}
    if extra:
        raise ValueError(_("unknown keys: {keys}").format(keys=', '.join(sorted(map(str, extra)))))
    return Budget(charges=value.get("charges", {}), products=value.get("products", {}))


def _structure_date(value: Any, _cls: type) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(_("expected a date, got {value!r}").format(value=shown(value)))


#: The one configured converter for every record of the library.
converter = _make_converter()
#: The record classes structured by a hook of their own above, rather than field by field (a budget's hook only
#: refuses unknown keys: its fields' converters do the rest, so it is not one of them).
HOOKED: frozenset[type] = frozenset({Calendar, Funding, Window, WorkflowSpec})

def structure_record(data: Any, cls: type[_T], what: str) -> _T:
    """Build a record (an Applicant, an Application …) from plain data; ``InvalidInput`` names the bad field.

    >>> from ami_workflow.dossier import Application
    >>> structure_record({"total_cost": "1 500,00"}, Application, "application").total_cost
    Decimal('1500.00')
    >>> structure_record({"total_cost": "beaucoup"}, Application, "application")
    Traceback (most recent call last):
    ...
    ami_workflow.errors.InvalidInput: application.total_cost: number: 'beaucoup' is not an amount
    """
    if not isinstance(data, Mapping):
        raise InvalidType(_("{field}: expected an object (a table of fields), got {type}").format(
            field=what, type=type(data).__name__))
    try:
        record: _T = converter.structure(data, cls)
        return record
    except (ClassValidationError, IterableValidationError) as exc:
        field, problem = first_problem(exc)
        raise InvalidInput(_("{field}: {problem}").format(field=f"{what}.{field}", problem=problem)) from None
    except (ForbiddenExtraKeysError, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(_("{field}: {problem}").format(field=what, problem=describe_error(exc))) from None
    except RecursionError:
        raise InvalidInput(_("{field}: {problem}").format(field=what, problem=_("nested too deeply"))) from None

def describe_error(exc: BaseException) -> str:
    """A cattrs or validation error in plain words."""
    if isinstance(exc, KeyError):
        return _("required field {field!r} is missing").format(field=shown(exc.args[0]))
    if isinstance(exc, ForbiddenExtraKeysError):
        return _("unknown keys: {keys}").format(keys=', '.join(sorted(exc.extra_fields)))
    return str(exc)


def first_problem(exc: BaseException, path: str = "") -> tuple[str, str]:
    """Walk a cattrs exception group down to its first leaf, building the dotted field path."""
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        inner = exc.exceptions[0]
        note = next(iter(getattr(inner, "__notes__", []) or []), None)
        step = ""
        if note is not None:
            name = getattr(note, "name", None)
            index = getattr(note, "index", None)
            if name is not None:
                step = str(name)
            elif index is not None:
                step = f"[{index}]"
        if isinstance(inner, KeyError) and step:
            return join_path(path, step), _("required field is missing")
        return first_problem(inner, join_path(path, step))
    return path or "(top level)", describe_error(exc)


def join_path(path: str, step: str) -> str:
    """``path`` and one more ``step``: ``a.b``, ``a[0]``."""
    if not step:
        return path
    if step.startswith("["):
        return path + step
    return f"{path}.{step}" if path else step
