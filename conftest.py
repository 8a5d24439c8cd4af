"""The suite speaks English unless a test asks for French.

The library is French by default (ami_workflow.i18n). Its docstrings and most tests are written in English, so the
session runs with ``AMI_WORKFLOW_LANG=en``; the tests of the French output (tests/test_i18n.py, the documents, the
CLI in French) choose French explicitly. Child processes started by the tests inherit the variable.
"""

from __future__ import annotations

import os

os.environ["AMI_WORKFLOW_LANG"] = "en"
