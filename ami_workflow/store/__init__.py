"""The SQLite store: the journal and its projections in one file. See :mod:`ami_workflow.store.workflow`."""

from ..errors import SchemaError, VersionConflict
from .connection import SCHEMA_MIGRATIONS
from .publish import Published, publish
from .workflow import Workflow, choose_campaign, current_campaign

__all__ = ["SCHEMA_MIGRATIONS", "Published", "SchemaError", "VersionConflict", "Workflow", "choose_campaign",
           "current_campaign", "publish"]
