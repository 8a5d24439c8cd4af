"""ami_workflow: run a public call for projects (AMI) end to end.

Re-exports only; see each module for its one job. The modules that read the
store (reports, agenda, exports, receipts, rollover) and the command line are
imported from their own modules.
"""

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
    NotFound,
    Refused,
    StorageError,
)
from .guards import GUARDS, Context, eligibility_problems
from .identity import check_applicant
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
    "BatchResult",
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
    "IssueReason",
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
    "STANDARD_EDGES",
    "SchemaError",
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
    "sign_checkpoint",
    "to_paris",
    "verify_checkpoint",
]
