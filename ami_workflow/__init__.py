"""ami_workflow: run a public call for projects (AMI) end to end.

Re-exports only; see each module for its one job.
"""

from .calendar import PARIS, Calendar, CalendarAmendment, Clock, FixedClock, SystemClock, Window, to_paris
from .campaign import Campaign, bundled_calls, load_campaign, parse_campaign
from .committee import CommitteeSession, Member
from .decisions import Convention, Deliberation
from .dossier import Applicant, Application, CoFunding, Dossier, Instruction, Payment, Period
from .engine import BatchResult, Engine, Event, Outcome, apply_trigger, check_trigger
from .errors import (
    AmiWorkflowError,
    CallFileError,
    IllegalTrigger,
    InvalidAmount,
    InvalidInput,
    InvalidTime,
    NotFound,
    Refused,
)
from .guards import DEFAULT_GUARDS, GUARDS, Context, eligibility_problems
from .money import euros, format_euros
from .pieces import IssueReason, PaperOriginal, PieceIssue, PieceReceipt, PieceRequirement, missing_pieces
from .rules import CEILING_RULES, FlatCap, RateWithBonus, Totals, allocate, ceiling, qpv_share_met
from .states import CATALOGUE, FINAL_STATES, STANDARD_EDGES, TRIGGERS, Edge, State, StateMachine

__version__ = "0.1.0"

__all__ = [
    "AmiWorkflowError",
    "Applicant",
    "Application",
    "BatchResult",
    "CATALOGUE",
    "CEILING_RULES",
    "Calendar",
    "CalendarAmendment",
    "CallFileError",
    "Campaign",
    "Clock",
    "CoFunding",
    "CommitteeSession",
    "Context",
    "Convention",
    "DEFAULT_GUARDS",
    "Deliberation",
    "Dossier",
    "Edge",
    "Engine",
    "Event",
    "FINAL_STATES",
    "FixedClock",
    "FlatCap",
    "GUARDS",
    "IllegalTrigger",
    "Instruction",
    "InvalidAmount",
    "InvalidInput",
    "InvalidTime",
    "IssueReason",
    "Member",
    "NotFound",
    "Outcome",
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
    "State",
    "StateMachine",
    "SystemClock",
    "TRIGGERS",
    "Totals",
    "Window",
    "allocate",
    "apply_trigger",
    "bundled_calls",
    "ceiling",
    "check_trigger",
    "eligibility_problems",
    "euros",
    "format_euros",
    "load_campaign",
    "missing_pieces",
    "parse_campaign",
    "qpv_share_met",
    "to_paris",
]
