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
