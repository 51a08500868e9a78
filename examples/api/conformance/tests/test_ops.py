"""/healthz, /readyz, /metrics (prometheus_client's parser and promtool), unknown routes."""

import os
import subprocess

from prometheus_client.parser import text_string_to_metric_families

from helpers import HOST_URLS, URL_A, URL_B, WS, alertmanager_body, client, error_of, ok_json, tag


def test_health_and_readiness_on_every_host():
    for base in dict.fromkeys([URL_A, URL_B, *HOST_URLS]):
        with client(base) as c:
            assert ok_json(c.get("/healthz")) == {"status": "ok"}
            assert ok_json(c.get("/readyz")) == {"status": "ready"}


def test_metrics_parse_with_prometheus_client_and_promtool(am_key):
    # the counters are each process's own (the gauges are read from the database): every host is
    # sent a delivery and a refused one, then scraped itself
    for base in HOST_URLS:
        with client(base) as anon:
            ok_json(anon.post(f"/webhooks/{WS}/alertmanager", content=alertmanager_body(tag()), headers={"Content-Type": "application/json"}, params={"key": am_key}), 202)
            error_of(anon.post(f"/webhooks/{WS}/alertmanager", content=alertmanager_body(tag()), headers={"Content-Type": "application/json"}), 401, "unauthenticated")
            resp = anon.get("/metrics")
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("text/plain"), resp.headers
        text = resp.text
        families = list(text_string_to_metric_families(text))
        assert len(families) >= 5, [f.name for f in families]
        samples = [s for f in families for s in f.samples]
        # ingest deliveries are counted by source
        assert any(s.labels.get("source") == "alertmanager" and s.value >= 1 for s in samples), (base, text[:2000])
        kinds = {f.type for f in families}
        assert "counter" in kinds and "histogram" in kinds and "gauge" in kinds, kinds
        promtool = os.environ.get("SC_PROMTOOL", "promtool")
        check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
        assert check.returncode == 0, (base, (check.stdout + check.stderr).decode())


def test_an_unknown_route_is_a_404_error(anon, owner):
    error_of(anon.get("/no/such/route"), 404, "not_found")
    error_of(owner.get("/api/no-such-thing"), 404, "not_found")


def test_metrics_token_makes_metrics_need_the_bearer_token(tmp_path):
    """A third host on the same database, started with --metrics-token."""
    import json
    import signal
    import socket
    import time

    import httpx

    cmd = json.loads(os.environ["SC_HOST_CMD"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    token = "metrics-" + tag()
    log = open(tmp_path / "host.log", "wb")
    proc = subprocess.Popen(
        cmd + ["--port", str(port), "--db", os.environ["SC_DB"], "--host", "127.0.0.1", "--metrics-token", token],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "SIGNALCRAFT_PUBLIC_URL": base},
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "host.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the host with --metrics-token never got ready"
            time.sleep(0.3)
        with client(base) as anon:
            error_of(anon.get("/metrics"), 401, "unauthenticated")
            error_of(anon.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "unauthenticated")
            ok = anon.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")
            assert list(text_string_to_metric_families(ok.text))
            # the rest of the host is as before
            assert ok_json(anon.get("/healthz")) == {"status": "ok"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()
