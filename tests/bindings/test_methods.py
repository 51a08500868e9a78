"""Every method of tests/bindings/methods.json exists on the Python Engine (the Rust test checks the
list against the core's public methods)."""

from __future__ import annotations

import json
import pathlib

import pytest

import signalcraft

HERE = pathlib.Path(__file__).resolve().parent
METHODS = json.loads((HERE / "methods.json").read_text())["methods"]


@pytest.mark.parametrize("method", METHODS, ids=[m["core"] for m in METHODS])
def test_the_binding_has_the_method(method: dict[str, str]) -> None:
    assert callable(getattr(signalcraft.Engine, method["python"], None)), method


def test_the_list_is_not_empty() -> None:
    assert len(METHODS) > 30
