"""The shared binding cases (cases.json) run through the Python package `signalcraft`.

Run by ./scripts/test after `maturin develop`; the same list runs in Rust and Node.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
from typing import Any, Callable

import pytest

import signalcraft
from signalcraft import aio

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "core" / "tests" / "fixtures"
SUITE = json.loads((HERE / "cases.json").read_text())


def resolve(value: Any, saved: dict[str, Any]) -> Any:
    """Replaces {"$file": P} by the fixture's bytes and {"$var": N} by a saved value."""
    if isinstance(value, dict):
        if set(value) == {"$file"}:
            return (FIXTURES / value["$file"]).read_bytes()
        if set(value) == {"$var"}:
            return saved[value["$var"]]
        return {k: resolve(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, saved) for v in value]
    return value


def at(answer: Any, path: str) -> Any:
    """The value at a dotted path; `length` is a list's length."""
    for part in path.split("."):
        if part == "length" and isinstance(answer, list):
            answer = len(answer)
        elif isinstance(answer, list):
            answer = answer[int(part)]
        else:
            answer = answer[part]
    return answer


@pytest.mark.parametrize("case", SUITE["cases"], ids=[c["name"] for c in SUITE["cases"]])
def test_case(case: dict[str, Any], tmp_path: pathlib.Path) -> None:
    engine = signalcraft.Engine(str(tmp_path / "cases.db"), now=SUITE["now"])
    saved: dict[str, Any] = {}
    try:
        for i, step in enumerate(case["steps"]):
            where = f"step {i} ({step['call']})"
            args = resolve(step["args"], saved)
            method: Callable[..., Any] = getattr(engine, step["call"])
            if step.get("async"):
                # the awaitable face (methods.json's async.python): signalcraft.aio, awaited
                awaitable = getattr(aio.Engine.wrap(engine), step["call"])

                def method(*a: Any, _f: Any = awaitable) -> Any:
                    return asyncio.run(_f(*a))

            if "error" in step:
                with pytest.raises(signalcraft.SignalCraftError) as caught:
                    method(*args)
                assert caught.value.kind == step["error"]["kind"], f"{where}: {caught.value}"
                if "path" in step["error"]:
                    assert caught.value.path == step["error"]["path"], f"{where}: {caught.value}"
                if "retry_after_secs" in step["error"]:
                    assert isinstance(caught.value, signalcraft.RateLimitedError), where
                    assert caught.value.retry_after_secs == step["error"]["retry_after_secs"], where
                continue
            answer = method(*args)
            for path, want in step.get("expect", {}).items():
                assert at(answer, path) == resolve(want, saved), f"{where}: {path} in {answer!r}"
            for name, path in step.get("save", {}).items():
                saved[name] = at(answer, path)
    finally:
        engine.close()


def test_errors_are_one_family_and_bad_input_is_a_value_error() -> None:
    with signalcraft.Engine(None) as engine:
        engine.create_workspace("acme")
        with pytest.raises(ValueError) as caught:
            engine.groups("acme", {"limit": 0})
        assert isinstance(caught.value, signalcraft.InvalidInputError)
        with pytest.raises(LookupError):
            engine.groups("nowhere")


def test_threads_ingest_in_parallel_into_one_engine(tmp_path: pathlib.Path) -> None:
    """The GIL is released during engine calls: threads share one engine safely."""
    import threading

    body = (FIXTURES / "alertmanager" / "alertmanager-bot_firing.json").read_text()
    engine = signalcraft.Engine(str(tmp_path / "threads.db"))
    engine.create_workspace("acme")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                engine.ingest("acme", "alertmanager", None, body)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert engine.stats("acme", "24h")["events"] == 80
    engine.close()
