"""Every method of tests/bindings/methods.json exists on the Python Engine (the Rust test checks the
list against the core's public methods)."""

from __future__ import annotations

import json
import pathlib

import pytest

import signalcraft
from signalcraft import aio

HERE = pathlib.Path(__file__).resolve().parent
METHODS = json.loads((HERE / "methods.json").read_text())["methods"]


@pytest.mark.parametrize("method", METHODS, ids=[m["core"] for m in METHODS])
def test_the_binding_has_the_method(method: dict[str, str]) -> None:
    assert callable(getattr(signalcraft.Engine, method["python"], None)), method


def test_the_list_is_not_empty() -> None:
    assert len(METHODS) > 30


ASYNC = [m for m in METHODS if "async" in m]


@pytest.mark.parametrize("method", ASYNC, ids=[m["core"] for m in ASYNC])
def test_the_awaitable_runs_the_method_in_a_thread(method: dict) -> None:
    face = vars(aio.Engine).get(method["async"]["python"])
    assert isinstance(face, aio._InThread), method
    assert face._method is getattr(signalcraft.Engine, method["python"]), method


def test_some_methods_have_an_awaitable() -> None:
    assert {m["core"] for m in ASYNC} >= {"ingest", "webhook"}
