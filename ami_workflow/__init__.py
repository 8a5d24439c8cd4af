"""ami_workflow: run a public call for projects (AMI) end to end.

Re-exports only; see each module for its one job. The modules that read the
store (reports, agenda, exports, notices, rollover) and the command line are
imported from their own modules.

Importing the package imports none of its modules: each name below is imported
from its module on first use (a module ``__getattr__``, PEP 562), then kept.
So ``import ami_workflow.cli`` (and ``ami-workflow --help``) does not pay for
the whole library: importing every module eagerly costs 20 to 30 times Python's
own start-up. Type checkers read the imports in the ``TYPE_CHECKING`` block as
if they ran; ``_HOMES`` says the same thing at run time, and
``tests/test_imports.py`` checks that the two agree with ``__all__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .anchor import (
        Checkpoint,
        append_checkpoint,
        check_against_anchor,
        checkpoint_message,
        generate_key,
        key_id,
        load_private_key,
        load_public_key,
        read_checkpoints,
        sign_checkpoint,
        verify_checkpoint,
    )
    from .backend import BatchResult
    from .board import BoardMember
    from .budget import Budget
    from .calendar import (
        PARIS,
        Calendar,
        CalendarAmendment,
        Clock,
        FixedClock,
        SystemClock,
        Window,
        financial_report_due,
        to_paris,
    )
    from .callfile import bundled_calls, load_campaign, parse_campaign
    from .campaign import CalendarPolicy, Campaign
    from .committee import CommitteeSession, Member
    from .conflicts import Conflict, Ruling
    from .conventions import Avenant, Signatory
    from .core import Event, Kind
    from .decisions import Convention, Deliberation, FinancialReport
    from .dossier import (
        Applicant,
        Application,
        CoFunding,
        Dossier,
        Instruction,
        Payment,
        Period,
    )
    from .errors import (
        AmiWorkflowError,
        AnchorError,
        CallFileError,
        IllegalTrigger,
        InvalidAmount,
        InvalidInput,
        InvalidTime,
        InvalidType,
        NotFound,
        Refused,
        StorageError,
    )
    from .guards import GUARDS, Context, eligibility_problems
    from .i18n import set_language, use_language
    from .identity import check_applicant
    from .issued import IssuedDocument
    from .memory import MemoryWorkflow
    from .money import euros, format_euros
    from .pieces import (
        IssueReason,
        PaperOriginal,
        PieceIssue,
        PieceReceipt,
        PieceRequirement,
        missing_pieces,
    )
    from .rules import (
        CEILING_RULES,
        FlatCap,
        RateWithBonus,
        Totals,
        allocate,
        ceiling,
        qpv_share_met,
    )
    from .states import (
        CATALOGUE,
        FINAL_STATES,
        STANDARD_EDGES,
        TRIGGERS,
        Edge,
        State,
        StateMachine,
    )
    from .store import SchemaError, VersionConflict, Workflow
    from .workflow import DEFAULT_GUARDS, WorkflowSpec

__version__ = "0.1.0"

__all__ = [
    "AmiWorkflowError",
    "AnchorError",
    "Applicant",
    "Application",
    "Avenant",
    "BatchResult",
    "BoardMember",
    "Budget",
    "CATALOGUE",
    "CEILING_RULES",
    "Calendar",
    "CalendarAmendment",
    "CalendarPolicy",
    "CallFileError",
    "Campaign",
    "Checkpoint",
    "Clock",
    "CoFunding",
    "CommitteeSession",
    "Conflict",
    "Context",
    "Convention",
    "DEFAULT_GUARDS",
    "Deliberation",
    "Dossier",
    "Edge",
    "Event",
    "FINAL_STATES",
    "FinancialReport",
    "FixedClock",
    "FlatCap",
    "GUARDS",
    "IllegalTrigger",
    "Instruction",
    "InvalidAmount",
    "InvalidInput",
    "InvalidTime",
    "InvalidType",
    "IssueReason",
    "IssuedDocument",
    "Kind",
    "Member",
    "MemoryWorkflow",
    "NotFound",
    "PARIS",
    "PaperOriginal",
    "Payment",
    "Period",
    "PieceIssue",
    "PieceReceipt",
    "PieceRequirement",
    "RateWithBonus",
    "Refused",
    "Ruling",
    "STANDARD_EDGES",
    "SchemaError",
    "Signatory",
    "State",
    "StateMachine",
    "StorageError",
    "SystemClock",
    "TRIGGERS",
    "Totals",
    "VersionConflict",
    "Window",
    "Workflow",
    "WorkflowSpec",
    "allocate",
    "append_checkpoint",
    "bundled_calls",
    "ceiling",
    "check_against_anchor",
    "check_applicant",
    "checkpoint_message",
    "eligibility_problems",
    "euros",
    "financial_report_due",
    "format_euros",
    "generate_key",
    "key_id",
    "load_campaign",
    "load_private_key",
    "load_public_key",
    "missing_pieces",
    "parse_campaign",
    "qpv_share_met",
    "read_checkpoints",
    "set_language",
    "sign_checkpoint",
    "to_paris",
    "use_language",
    "verify_checkpoint",
]

#: Where each public name lives: ``{module: names}``, the ``TYPE_CHECKING`` imports above.
_HOMES: dict[str, tuple[str, ...]] = {
    "anchor": (
        "Checkpoint", "append_checkpoint", "check_against_anchor", "checkpoint_message", "generate_key", "key_id",
        "load_private_key", "load_public_key", "read_checkpoints", "sign_checkpoint", "verify_checkpoint",
    ),
    "backend": ("BatchResult",),
    "board": ("BoardMember",),
    "budget": ("Budget",),
    "calendar": (
        "PARIS", "Calendar", "CalendarAmendment", "Clock", "FixedClock", "SystemClock", "Window",
        "financial_report_due", "to_paris",
    ),
    "callfile": ("bundled_calls", "load_campaign", "parse_campaign"),
    "campaign": ("CalendarPolicy", "Campaign"),
    "committee": ("CommitteeSession", "Member"),
    "conflicts": ("Conflict", "Ruling"),
    "conventions": ("Avenant", "Signatory"),
    "core": ("Event", "Kind"),
    "decisions": ("Convention", "Deliberation", "FinancialReport"),
    "dossier": ("Applicant", "Application", "CoFunding", "Dossier", "Instruction", "Payment", "Period"),
    "i18n": ("set_language", "use_language"),
    "issued": ("IssuedDocument",),
    "errors": (
        "AmiWorkflowError", "AnchorError", "CallFileError", "IllegalTrigger", "InvalidAmount", "InvalidInput",
        "InvalidTime", "InvalidType", "NotFound", "Refused", "StorageError",
    ),
    "guards": ("GUARDS", "Context", "eligibility_problems"),
    "identity": ("check_applicant",),
    "memory": ("MemoryWorkflow",),
    "money": ("euros", "format_euros"),
    "pieces": ("IssueReason", "PaperOriginal", "PieceIssue", "PieceReceipt", "PieceRequirement", "missing_pieces"),
    "rules": ("CEILING_RULES", "FlatCap", "RateWithBonus", "Totals", "allocate", "ceiling", "qpv_share_met"),
    "states": ("CATALOGUE", "FINAL_STATES", "STANDARD_EDGES", "TRIGGERS", "Edge", "State", "StateMachine"),
    "store": ("SchemaError", "VersionConflict", "Workflow"),
    "workflow": ("DEFAULT_GUARDS", "WorkflowSpec"),
}

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name stays an error for them
    import importlib as _importlib

    _MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

    def __getattr__(name: str) -> object:
        module = _MODULE_OF.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
