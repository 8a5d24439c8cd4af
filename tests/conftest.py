"""Shared fixtures and the Hypothesis profiles.

The ``ci`` profile (the default) has no deadline and a bounded number of
examples, so the whole suite runs in well under 3 minutes on 2 cores.
Set ``HYPOTHESIS_PROFILE=dev`` locally for a deeper search, ``HYPOTHESIS_PROFILE=lockstep`` for the long
stateful run of both stores in lockstep.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile(
    "ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("dev", deadline=None, max_examples=500)
# The stateful run of both stores in lockstep (tests/test_stateful.py runs half the examples: 250 runs of up to 60
# steps, at least 10 000 steps in all; tools/lockstep.py counts them).
settings.register_profile("lockstep", deadline=None, max_examples=500, stateful_step_count=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from ami_workflow import Campaign, load_campaign  # noqa: E402


@pytest.fixture(scope="session")
def campaign() -> Campaign:
    return load_campaign("ami-cohesion-sociale-2021")


@pytest.fixture(params=("memory", "sqlite"))
def flow(request: pytest.FixtureRequest) -> Any:
    """A new store of each backend on a simulated clock at the call's launch: every test using it runs on both."""
    from walk import new_flow

    store = new_flow(request.param)
    yield store
    if hasattr(store, "close"):
        store.close()
