# Checked by `mypy --strict` in ./scripts/test: the stubs describe a usable API (never run).
import signalcraft
from signalcraft.types import IngestOutcome
e = signalcraft.Engine("x.db", now="2026-11-30T12:00:00Z")
o: IngestOutcome = e.ingest("acme", "sentry", {"A": "b"}, b"{}")
for a in o["alerts"]:
    print(a["decision"], a["group_id"])
p = e.groups("acme", {"status": "open", "limit": 5})
print(p["next_cursor"], [g["status"] for g in p["groups"]])
try:
    e.group("acme", "x")
except signalcraft.NotFoundError as err:
    print(err.kind, err.path)
q = e.groups("acme", {"status": ["open", "acknowledged"], "severity": "error,critical", "sort": "count", "order": "asc"})
print(q["next_cursor"])
for slot in e.act_many("acme", ["grp_1"], {"command": "ack"}, "alice"):
    print(slot.get("id"), slot.get("error"))
text: str = e.metrics_text()
e.add_maintenance("acme", {"weekdays": "mon-fri", "from": "22:00", "to": "06:00", "tz": "UTC"})
s = e.login("alice@example.com", "correct horse", "127.0.0.1")
acc = e.authorize(s["token"], "acme", "act", True, s["csrf_token"])
print(acc["actor"], acc["workspace"]["name"], acc["principal"]["memberships"][0]["role"])
k = e.create_ingest_key("acme", "alertmanager")
out: IngestOutcome = e.webhook("acme", "auto", None, b"{}", k["key"])
for i in e.integrations("acme"):
    print(i["source"], i["health"]["accepted_24h"], i["health"]["rejected_24h"].get("missing_key"))
try:
    e.webhook("acme", "alertmanager", None, b"{}")
except signalcraft.RateLimitedError as err:
    print(err.retry_after_secs + 1)
fleet = e.put_monitors("acme", [{"id": "api-health", "app": "api", "kind": "http_probe", "config": {"url": "http://127.0.0.1:8080/healthz"}}])
print(fleet["apps"][0]["name"], fleet["monitors"][0]["config"].get("has_token"))
for state in e.run_monitors("acme", once=True):
    print(state["id"], state["state"], state["breaching"], state["group_id"], len(state["history"]))
    if state["reading"] is not None:
        print(state["reading"]["value"], state["reading"]["summary"])
print(e.run_monitor("acme", "api-health")["next_due_at"])
for app in e.apps("acme"):
    print(app["name"], app["state"], app["open_alerts"], app["alerts_query"])
