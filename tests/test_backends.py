"""Both backends are one interface: the same public methods, with the same signatures, as the ``Backend`` protocol.

mypy --strict checks the same statically (``ami_workflow/_conformance.py`` assigns both classes to
``type[Backend]``); this test checks it at run time, so a method added to one backend only is caught.
"""

from __future__ import annotations

import inspect

import pytest

from ami_workflow._conformance import BACKENDS
from ami_workflow.memory import MemoryWorkflow
from ami_workflow.protocol import Backend
from ami_workflow.store import Workflow

PROTOCOL_METHODS = sorted(
    name for name, value in vars(Backend).items() if callable(value) and not name.startswith("_")
)


def _public(cls: type) -> set[str]:
    return {name for name, value in inspect.getmembers(cls, callable) if not name.startswith("_")}


def test_the_protocol_lists_every_public_method_of_both_backends() -> None:
    assert (MemoryWorkflow, Workflow) == BACKENDS
    opening = {"open", "close", "replay"}  # how a backend is made and closed is its own business
    for cls in BACKENDS:
        assert _public(cls) - opening - set(PROTOCOL_METHODS) == set(), cls.__name__


@pytest.mark.parametrize("name", PROTOCOL_METHODS)
def test_both_backends_have_the_protocol_signature(name: str) -> None:
    expected = inspect.signature(getattr(Backend, name))
    for cls in BACKENDS:
        assert inspect.signature(getattr(cls, name)) == expected, f"{cls.__name__}.{name}"
