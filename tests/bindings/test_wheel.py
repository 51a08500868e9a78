"""The wheel users get: `maturin build --release`, installed into a fresh venv (no network, no
source tree on the path), then a real case through it: ingest a real Sentry payload, query,
act, a typed error, and the asyncio face.

It runs with SIGNALCRAFT_WHEEL_TEST=1 in the environment and is skipped otherwise.
SIGNALCRAFT_WHEEL_PROFILE picks the cargo profile (default `release`, what users get);
./scripts/test sets `dev`, which packs the very wheel (the same abi3 tag, files and metadata)
from the debug build it already made, instead of a second, optimized build of everything.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
FIXTURE = ROOT / "core" / "tests" / "fixtures" / "sentry" / "issue_alert_triggered.docs.json"

PROFILE = os.environ.get("SIGNALCRAFT_WHEEL_PROFILE", "release")

pytestmark = pytest.mark.skipif(
    os.environ.get("SIGNALCRAFT_WHEEL_TEST") != "1", reason="SIGNALCRAFT_WHEEL_TEST=1 builds the release wheel"
)

CASE = textwrap.dedent(
    """
    import asyncio, json, pathlib, sys
    import signalcraft
    from signalcraft import aio

    assert "site-packages" in signalcraft.__file__, signalcraft.__file__
    body = pathlib.Path(sys.argv[1]).read_bytes()
    db = sys.argv[2]
    with signalcraft.Engine(db, now="2026-11-30T12:00:00Z") as e:
        e.create_workspace("acme")
        out = e.ingest("acme", "sentry", {"Sentry-Hook-Resource": "event_alert"}, body)
        assert out["outcome"] == "accepted", out
        gid = out["alerts"][0]["group_id"]
        assert e.act("acme", gid, {"command": "ack"}, "alice", "member")["status"] == "acknowledged"
        try:
            e.groups("acme", {"limit": 0})
        except signalcraft.InvalidInputError as err:
            assert isinstance(err, ValueError) and err.kind == "invalid_input" and err.path == "limit"
        else:
            raise AssertionError("limit 0 was accepted")

    async def main():
        async with await aio.Engine.open(db) as engine:
            page = await engine.groups("acme", {"status": "acknowledged"})
            assert [g["id"] for g in page["groups"]] == [gid], page
            try:
                await engine.group("acme", "grp_nope")
            except signalcraft.NotFoundError:
                pass
            else:
                raise AssertionError("an unknown group was found")

    asyncio.run(main())
    print(json.dumps({"ok": True, "schema": signalcraft.SCHEMA_VERSION}))
    """
)


def test_the_wheel_installs_into_a_fresh_venv_and_works(tmp_path: pathlib.Path) -> None:
    maturin = shutil.which("maturin") or str(pathlib.Path(sys.executable).with_name("maturin"))
    dist = tmp_path / "dist"
    subprocess.run(
        [maturin, "build", "--profile", PROFILE, "--locked", "--quiet", "--out", str(dist), "--interpreter", sys.executable],
        cwd=ROOT / "bindings-python",
        check=True,
        timeout=1800,
    )
    wheels = list(dist.glob("signalcraft-*.whl"))
    assert len(wheels) == 1, wheels
    # one abi3 wheel for every CPython from 3.9 on (pyo3's abi3-py39)
    assert "-cp39-abi3-" in wheels[0].name, wheels[0].name
    names = zipfile.ZipFile(wheels[0]).namelist()
    for part in ("signalcraft/__init__.py", "signalcraft/aio.py", "signalcraft/errors.py", "signalcraft/py.typed"):
        assert part in names, names
    assert any(n.startswith("signalcraft/_native") and n.endswith(".so") for n in names), names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check", str(wheels[0])],
        check=True,
        timeout=300,
    )
    # run from an empty directory so that nothing of the source tree can be imported
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = subprocess.run(
        [str(py), "-c", CASE, str(FIXTURE), str(work / "wheel.db")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert '"ok": true' in run.stdout
