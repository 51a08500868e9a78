"""/healthz, /readyz, /metrics (prometheus_client's parser and promtool), unknown routes."""

import os
import subprocess

from prometheus_client.parser import text_string_to_metric_families

from helpers import URL_A, URL_B, WS, alertmanager_body, client, error_of, ok_json, tag


def test_health_and_readiness_on_both_hosts():
    for base in (URL_A, URL_B):
        with client(base) as c:
            assert ok_json(c.get("/healthz")) == {"status": "ok"}
            assert ok_json(c.get("/readyz")) == {"status": "ready"}


def test_metrics_parse_with_prometheus_client_and_promtool(anon, am_key):
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
    assert any(s.labels.get("source") == "alertmanager" and s.value >= 1 for s in samples), text[:2000]
    kinds = {f.type for f in families}
    assert "counter" in kinds and "histogram" in kinds and "gauge" in kinds, kinds
    promtool = os.environ.get("SC_PROMTOOL", "promtool")
    check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    assert check.returncode == 0, (check.stdout + check.stderr).decode()


def test_an_unknown_route_is_a_404_error(anon, owner):
    error_of(anon.get("/no/such/route"), 404, "not_found")
    error_of(owner.get("/api/no-such-thing"), 404, "not_found")
