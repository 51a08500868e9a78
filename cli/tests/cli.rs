//! The `signalcraft` command's contract, run as users run it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/sentry")
        .join(name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap()
    }
}

/// Runs the CLI as tests do: channels may reach loopback (the tests' own receivers) only.
fn sc(db: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    sc_env(db, args, stdin, Some("127.0.0.1/32"))
}

/// Runs the CLI with `SIGNALCRAFT_ALLOW_PRIVATE_TARGETS` set to `allow` (unset for `None`).
fn sc_env(db: &Path, args: &[&str], stdin: Option<&[u8]>, allow: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signalcraft"));
    cmd.arg("--db").arg(db).args(args);
    match allow {
        Some(v) => cmd.env("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS", v),
        None => cmd.env_remove("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS"),
    };
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(b) = stdin {
            input.write_all(b).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn workspace_ingest_groups_group() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    let ws = sc(&db, &["workspace", "create", "acme"], None).json();
    assert_eq!(ws["name"], "acme");
    assert!(ws["id"].as_str().unwrap().starts_with("ws_"));
    let list = sc(&db, &["workspace", "list"], None).json();
    assert_eq!(list["workspaces"][0]["name"], "acme");

    let f = fixture("issue_alert_triggered.docs.json");
    let now = ["--now", "2026-03-01T12:00:00Z"];
    let out = sc(
        &db,
        &[
            &now[..],
            &[
                "ingest",
                "acme",
                "sentry",
                "--header",
                "Sentry-Hook-Resource: event_alert",
                "--header",
                "Request-ID: abc123",
                f.to_str().unwrap(),
            ],
        ]
        .concat(),
        None,
    )
    .json();
    assert_eq!(out["outcome"], "accepted");
    let a = &out["alerts"][0];
    assert_eq!(a["decision"], "new_group");
    assert_eq!(a["status"], "open");
    assert_eq!(a["count"], 1);
    assert_eq!(a["severity"], "error");
    assert_eq!(a["fingerprint"], "issue:1117540176");
    let gid = a["group_id"].as_str().unwrap().to_string();

    // the same delivery again, from stdin: a duplicate
    let body = std::fs::read(&f).unwrap();
    let dup = sc(
        &db,
        &[
            "ingest",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: event_alert",
            "-H",
            "Request-ID: abc123",
            "-",
        ],
        Some(&body),
    )
    .json();
    assert_eq!(dup["outcome"], "duplicate");
    assert!(dup["reason"].as_str().unwrap().contains("abc123"));

    let ignored = sc(
        &db,
        &[
            "ingest",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: installation",
            fixture("installation_created.docs.json").to_str().unwrap(),
        ],
        None,
    )
    .json();
    assert_eq!(ignored["outcome"], "ignored");
    assert!(ignored["reason"].as_str().unwrap().contains("installation"));

    let groups = sc(&db, &["groups", "acme"], None).json();
    let g = &groups["groups"][0];
    for key in [
        "id",
        "source",
        "project",
        "environment",
        "severity",
        "status",
        "title",
        "fingerprint",
        "count",
        "first_seen",
        "last_seen",
    ] {
        assert!(g.get(key).is_some(), "group lacks {key}: {g}");
    }
    assert_eq!(g["first_seen"], "2026-03-01T12:00:00Z");
    assert_eq!(groups["next_cursor"], Value::Null);
    assert_eq!(
        sc(&db, &["groups", "acme", "--status", "resolved"], None).json()["groups"],
        serde_json::json!([])
    );
    assert_eq!(
        sc(
            &db,
            &["groups", "acme", "--environment", "production"],
            None
        )
        .json()["groups"],
        serde_json::json!([])
    );
    assert_eq!(
        sc(
            &db,
            &[
                "groups",
                "acme",
                "--project",
                "front-end",
                "--source",
                "sentry",
                "--limit",
                "1"
            ],
            None
        )
        .json()["groups"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let detail = sc(&db, &["group", "acme", &gid], None).json();
    assert_eq!(detail["id"], gid.as_str());
    assert_eq!(detail["events"].as_array().unwrap().len(), 1);
    assert_eq!(detail["timeline"][0]["command"], "open");
    assert_eq!(detail["timeline"][0]["to"], "open");
    assert_eq!(detail["events_next"], Value::Null);
    assert_eq!(detail["timeline_next"], Value::Null);

    // the event with the raw delivery it came from, and the body alone for `rules test`
    let eid = detail["events"][0]["id"].as_str().unwrap().to_string();
    let ev = sc(&db, &["event", "acme", &eid], None).json();
    assert_eq!(ev["id"], eid.as_str());
    assert_eq!(ev["source"], "sentry");
    assert_eq!(ev["purged"], false);
    assert_eq!(ev["payload_text"].as_str().unwrap().as_bytes(), &body[..]);
    assert!(
        ev["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "Request-ID" && h[1] == "abc123"),
        "{ev}"
    );
    let raw = sc(&db, &["event", "acme", &eid, "--body"], None).json();
    assert_eq!(raw, serde_json::from_slice::<Value>(&body).unwrap());
    let missing = sc(&db, &["event", "acme", "evt_nope"], None);
    assert_eq!(missing.code, 4, "{}", missing.stderr);

    // the events and the timeline page by page
    let page = sc(&db, &["group-events", "acme", &gid, "--limit", "1"], None).json();
    assert_eq!(page["items"][0]["id"], eid.as_str());
    assert_eq!(page["next"], Value::Null);
    let tl = sc(&db, &["group-timeline", "acme", &gid], None).json();
    assert_eq!(tl["items"][0]["command"], "open");
    let bad = sc(
        &db,
        &["group-timeline", "acme", &gid, "--limit", "500"],
        None,
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("limit"), "{}", bad.stderr);
}

#[test]
fn errors_say_their_kind_on_the_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    type Case<'a> = (Vec<&'a str>, Option<&'a [u8]>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                "ingest",
                "acme",
                "sentry",
                "-H",
                "Sentry-Hook-Resource: event_alert",
                "-",
            ],
            Some(b"{\"trunc"),
            "error: invalid_input: body: not valid JSON",
        ),
        (
            vec!["ingest", "nope", "sentry", "-"],
            Some(b"{}"),
            "error: not_found: workspace not found: nope",
        ),
        (
            vec!["ingest", "acme", "carrier-pigeon", "-"],
            Some(b"{}"),
            "error: invalid_input: source: unknown source",
        ),
        (
            vec!["group", "acme", "grp_nope"],
            None,
            "error: not_found: group not found: grp_nope",
        ),
        (
            vec!["groups", "acme", "--cursor", "zzz"],
            None,
            "error: invalid_input: cursor",
        ),
        (
            vec!["groups", "acme", "--status", "sleeping"],
            None,
            "error: invalid_input:",
        ),
        (
            vec!["--now", "tuesday", "workspace", "list"],
            None,
            "error: invalid_input: --now",
        ),
        (vec!["frobnicate"], None, "error: invalid_input:"),
        (
            vec!["ingest", "acme", "sentry", "/does/not/exist.json"],
            None,
            "error: invalid_input: FILE: cannot read",
        ),
    ];
    for (args, stdin, expect) in cases {
        let r = sc(&db, &args, stdin);
        assert_ne!(r.code, 0, "{args:?} should fail");
        let first = r.stderr.lines().next().unwrap_or("");
        assert!(
            first.starts_with(expect),
            "{args:?}: first stderr line {first:?}, expected {expect:?}"
        );
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn signature_errors_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let view = sc(
        &db,
        &[
            "integration",
            "set",
            "acme",
            "sentry",
            "--secret",
            "s3cret",
            "--max-skew-secs",
            "300",
        ],
        None,
    )
    .json();
    assert_eq!(view["has_secret"], true);
    assert!(
        !view.to_string().contains("s3cret"),
        "the secret is never printed"
    );
    let r = sc(
        &db,
        &[
            "ingest",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: event_alert",
            fixture("issue_alert_triggered.docs.json").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 3);
    assert!(
        r.stderr
            .starts_with("error: signature: Sentry-Hook-Signature: missing"),
        "{}",
        r.stderr
    );
    assert_eq!(
        sc(&db, &["groups", "acme"], None).json()["groups"],
        serde_json::json!([])
    );
}

#[test]
fn settings_change_the_dedup_window() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let s = sc(
        &db,
        &[
            "workspace",
            "settings",
            "acme",
            "--dedup-window",
            "fixed",
            "--window-mins",
            "10",
        ],
        None,
    )
    .json();
    assert_eq!(s["dedup"]["window"], "fixed");
    assert_eq!(s["dedup"]["window_secs"], 600);
    let base: Value =
        serde_json::from_slice(&std::fs::read(fixture("issue_alert_triggered.docs.json")).unwrap())
            .unwrap();
    let body = |n: u32| {
        let mut d = base.clone();
        d["data"]["event"]["event_id"] = format!("{n:032x}").into();
        let p = dir.path().join(format!("e{n}.json"));
        std::fs::write(&p, d.to_string()).unwrap();
        p
    };
    let ingest = |now: &str, n: u32| {
        let p = body(n);
        sc(
            &db,
            &[
                "--now",
                now,
                "ingest",
                "acme",
                "sentry",
                "-H",
                "Sentry-Hook-Resource: event_alert",
                p.to_str().unwrap(),
            ],
            None,
        )
        .json()
    };
    assert_eq!(
        ingest("2026-03-01T12:00:00Z", 1)["alerts"][0]["decision"],
        "new_group"
    );
    assert_eq!(
        ingest("2026-03-01T12:09:00Z", 2)["alerts"][0]["decision"],
        "joined"
    );
    // fixed: 11 minutes after the first event is outside, though only 2 after the last
    assert_eq!(
        ingest("2026-03-01T12:11:00Z", 3)["alerts"][0]["decision"],
        "new_group"
    );
    // the legacy plugin payload is recognized by its shape
    let legacy = sc(
        &db,
        &[
            "ingest",
            "acme",
            "sentry",
            fixture("legacy_webhooks_plugin.zulip.json")
                .to_str()
                .unwrap(),
        ],
        None,
    )
    .json();
    assert!(legacy["notes"][0].as_str().unwrap().contains("legacy"));
}

#[test]
fn rules_silences_maintenance_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    let write = |name: &str, v: Value| {
        let p = dir.path().join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p
    };
    let good = write(
        "rules.json",
        serde_json::json!([
            {"id": "prod-critical", "name": "Production errors to on-call", "priority": 10, "enabled": true,
             "when": {"all": [{"field": "environment", "op": "eq", "value": "production"},
                              {"field": "severity", "op": "gte", "value": "error"},
                              {"not": {"field": "tags.team", "op": "in", "value": ["growth", "labs"]}}]},
             "then": {"notify": ["slack-oncall"], "mention": ["@here"], "escalation": "default",
                      "suppress": false, "set_severity": null, "group_wait_secs": 0, "repeat_interval_mins": 240},
             "continue": false},
            {"id": "everything", "priority": 20, "when": {}, "then": {"notify": ["firehose"]}}
        ]),
    );
    let bad = write(
        "bad.json",
        serde_json::json!([{"id": "a"}, {"id": "b"}, {"id": "c", "when": {"all": [{"field": "environment", "op": "equalz", "value": "x"}]}}]),
    );
    let check = sc(&db, &["rules", "check", good.to_str().unwrap()], None).json();
    assert_eq!(check, serde_json::json!({"ok": true, "rules": 2}));
    let r = sc(&db, &["rules", "check", bad.to_str().unwrap()], None);
    assert_ne!(r.code, 0);
    assert_eq!(
        r.stderr.lines().next().unwrap(),
        "error: invalid_input: rules[2].when.all[0].op: unknown operator \"equalz\""
    );
    assert!(!db.exists(), "rules check needs no database");

    sc(&db, &["workspace", "create", "acme"], None).json();
    sc(&db, &["rules", "put", "acme", good.to_str().unwrap()], None).json();
    let list = sc(&db, &["rules", "list", "acme"], None).json();
    assert_eq!(list["rules"][0]["id"], "prod-critical");
    assert_eq!(list["rules"][0]["then"]["repeat_interval_mins"], 240);

    let f = fixture("issue_alert_triggered.docs.json");
    let base: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    let mut prod = base.clone();
    prod["data"]["event"]["environment"] = "production".into();
    let prod_file = write("prod.json", prod);
    let t = sc(
        &db,
        &[
            "--now",
            "2026-03-01T12:00:00Z",
            "rules",
            "test",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: event_alert",
            prod_file.to_str().unwrap(),
        ],
        None,
    )
    .json();
    assert_eq!(t["stored"], false);
    let a = &t["alerts"][0];
    assert_eq!(a["decision"], "new_group");
    assert_eq!(a["route"]["matched"], serde_json::json!(["prod-critical"]));
    assert_eq!(a["route"]["notify"], serde_json::json!(["slack-oncall"]));
    assert_eq!(a["route"]["intended"], serde_json::json!(["slack-oncall"]));
    assert_eq!(a["route"]["suppressed_by"], Value::Null);
    assert_eq!(a["trace"]["routing"]["rules"][1]["result"], "not_evaluated");
    assert_eq!(
        sc(&db, &["groups", "acme"], None).json()["groups"],
        serde_json::json!([]),
        "rules test stores nothing"
    );

    let s = sc(
        &db,
        &[
            "--now",
            "2026-03-01T12:00:00Z",
            "silence",
            "add",
            "acme",
            "--when",
            r#"{"field": "environment", "op": "eq", "value": "production"}"#,
            "--until",
            "2h",
            "--comment",
            "deploy",
        ],
        None,
    )
    .json();
    assert_eq!(s["ends_at"], "2026-03-01T14:00:00Z");
    assert_eq!(s["created_by"], "cli", "the CLI's default creator");
    let by = sc(
        &db,
        &[
            "--now",
            "2026-03-01T12:00:00Z",
            "silence",
            "add",
            "acme",
            "--when",
            r#"{"field": "environment", "op": "eq", "value": "qa"}"#,
            "--until",
            "1h",
            "--by",
            "user:alice",
        ],
        None,
    )
    .json();
    assert_eq!(by["created_by"], "user:alice");
    let sl = sc(
        &db,
        &["--now", "2026-03-01T13:00:00Z", "silence", "list", "acme"],
        None,
    )
    .json();
    assert_eq!(sl["silences"][0]["active"], true);
    let ingest = sc(
        &db,
        &[
            "--now",
            "2026-03-01T13:00:00Z",
            "ingest",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: event_alert",
            prod_file.to_str().unwrap(),
        ],
        None,
    )
    .json();
    assert_eq!(
        ingest["alerts"][0]["route"]["suppressed_by"],
        format!("silence:{}", s["id"].as_str().unwrap())
    );
    assert_eq!(
        ingest["alerts"][0]["route"]["notify"],
        serde_json::json!([])
    );

    let m = sc(
        &db,
        &[
            "maintenance",
            "add",
            "acme",
            "--weekdays",
            "mon,tue,wed",
            "--from",
            "22:00",
            "--to",
            "02:00",
            "--tz",
            "Europe/Berlin",
            "--rules",
            "everything",
        ],
        None,
    )
    .json();
    assert_eq!(m["rules"], serde_json::json!(["everything"]));
    assert_eq!(
        sc(&db, &["maintenance", "list", "acme"], None).json()["maintenance"][0]["tz"],
        "Europe/Berlin"
    );
    let bad_tz = sc(
        &db,
        &[
            "maintenance",
            "add",
            "acme",
            "--weekdays",
            "mon",
            "--from",
            "22:00",
            "--to",
            "02:00",
            "--tz",
            "Nowhere/City",
        ],
        None,
    );
    assert!(
        bad_tz.stderr.starts_with("error: invalid_input: tz:"),
        "{}",
        bad_tz.stderr
    );

    let candidate = write(
        "cand.json",
        serde_json::json!([{"id": "everything", "when": {}, "then": {"notify": ["firehose"]}}]),
    );
    let rep = sc(
        &db,
        &[
            "--now",
            "2026-03-02T00:00:00Z",
            "replay",
            "acme",
            "--rules",
            candidate.to_str().unwrap(),
            "--since",
            "2026-03-01T00:00:00Z",
        ],
        None,
    )
    .json();
    for key in [
        "since",
        "until",
        "events",
        "per_rule",
        "per_channel",
        "changed",
    ] {
        assert!(rep.get(key).is_some(), "replay lacks {key}");
    }
    assert_eq!(rep["events"], 1);
    assert_eq!(
        rep["per_rule"]["prod-critical"],
        serde_json::json!({"before": 1, "after": 0})
    );
    assert_eq!(
        rep["changed"][0]["after"]["matched"],
        serde_json::json!(["everything"])
    );
}

fn source_fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures")
        .join(rel)
}

#[test]
fn generic_config_and_auto_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let mapping = r#"{"events": "alerts", "fields": {"title": "summary", "severity": "level", "status": "state"},
        "severity_map": {"P1": "critical"}, "status_map": {"ok": "resolved"}, "fingerprint_fields": ["service", "check"]}"#;
    let view = sc(
        &db,
        &["integration", "set", "acme", "generic", "--config", mapping],
        None,
    )
    .json();
    assert_eq!(view["source"], "generic");
    assert_eq!(view["options"]["fields"]["title"], "summary");
    // --options is the same flag
    sc(
        &db,
        &[
            "integration",
            "set",
            "acme",
            "generic",
            "--options",
            mapping,
        ],
        None,
    )
    .json();
    // a bad mapping names the path
    let bad = sc(
        &db,
        &[
            "integration",
            "set",
            "acme",
            "generic",
            "--config",
            r#"{"fields": {"title": "a..b"}}"#,
        ],
        None,
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .starts_with("error: invalid_input: options.fields.title"),
        "{}",
        bad.stderr
    );
    let body =
        br#"{"alerts": [{"summary": "db down", "level": "P1", "service": "db", "check": "ping"}]}"#;
    let out = sc(&db, &["ingest", "acme", "generic", "-"], Some(body)).json();
    assert_eq!(out["alerts"][0]["severity"], "critical");
    assert_eq!(out["alerts"][0]["decision"], "new_group");
    // auto: a real Alertmanager body is recognized, and the output says so
    let am = source_fixture("alertmanager/zulip_firing_2_alerts.json");
    let out = sc(
        &db,
        &[
            "--now",
            "2020-02-06T00:20:00Z",
            "ingest",
            "acme",
            "auto",
            am.to_str().unwrap(),
        ],
        None,
    )
    .json();
    assert_eq!(out["source"], "alertmanager");
    assert!(
        out["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("auto: alertmanager")
    );
    assert_eq!(out["alerts"].as_array().unwrap().len(), 2);
    // auto with a generic mapping set: an unknown shape goes to generic
    let out = sc(&db, &["ingest", "acme", "auto", "-"], Some(body)).json();
    assert_eq!(out["source"], "generic");
    assert_eq!(out["alerts"][0]["decision"], "joined");
    // PagerDuty through auto: trigger then acknowledge
    let pd = source_fixture("pagerduty/events_v2_trigger.openapi-example.json");
    let out = sc(&db, &["ingest", "acme", "auto", pd.to_str().unwrap()], None).json();
    assert_eq!(out["source"], "pagerduty");
    let ack = br#"{"routing_key": "e93facc04764012d7bfb002500d5d1a6", "dedup_key": "srv01/mysql", "event_action": "acknowledge"}"#;
    let out = sc(&db, &["ingest", "acme", "pagerduty", "-"], Some(ack)).json();
    assert_eq!(out["alerts"][0]["decision"], "acknowledged");
    assert_eq!(out["alerts"][0]["status"], "acknowledged");
}

#[test]
fn act_escalation_tick_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    let p = |name: &str, v: Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, v.to_string()).unwrap();
        path
    };
    sc(&db, &["workspace", "create", "acme"], None).json();
    let policy = p(
        "policy.json",
        serde_json::json!({"steps": [{"after_mins": 5, "notify": ["oncall"], "mention": ["@here"]}, {"after_mins": 15, "notify": ["managers"]}], "repeat": 0}),
    );
    let put = sc(
        &db,
        &[
            "escalation",
            "put",
            "acme",
            "default",
            policy.to_str().unwrap(),
        ],
        None,
    )
    .json();
    assert_eq!(put["ok"], true);
    let bad = p(
        "bad.json",
        serde_json::json!({"steps": [{"after_mins": 10, "notify": ["a"]}, {"after_mins": 5, "notify": ["b"]}]}),
    );
    let r = sc(
        &db,
        &["escalation", "put", "acme", "bad", bad.to_str().unwrap()],
        None,
    );
    assert!(
        r.stderr
            .starts_with("error: invalid_input: policy.steps[1].after_mins"),
        "{}",
        r.stderr
    );
    let rules = p(
        "rules.json",
        serde_json::json!([{"id": "all", "when": {}, "then": {"notify": ["oncall"], "escalation": "default"}}]),
    );
    sc(
        &db,
        &["rules", "put", "acme", rules.to_str().unwrap()],
        None,
    )
    .json();
    let f = fixture("issue_alert_triggered.docs.json");
    let now = |t: &str| format!("2026-03-01T{t}:00Z");
    let out = sc(
        &db,
        &[
            "--now",
            &now("12:00"),
            "ingest",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: event_alert",
            f.to_str().unwrap(),
        ],
        None,
    )
    .json();
    let gid = out["alerts"][0]["group_id"].as_str().unwrap().to_string();

    let tick = sc(&db, &["--now", &now("12:05"), "tick"], None).json();
    assert_eq!(
        tick["fired"],
        serde_json::json!([{"group_id": gid, "policy": "default", "step": 1, "at": "2026-03-01T12:05:00Z"}])
    );
    assert_eq!(tick["auto_closed"], 0);
    assert_eq!(tick["unsnoozed"], 0);
    assert_eq!(tick["purged"], 0);

    let acked = sc(
        &db,
        &[
            "--now",
            &now("12:06"),
            "act",
            "acme",
            &gid,
            "ack",
            "--actor",
            "alice",
        ],
        None,
    )
    .json();
    assert_eq!(acked["status"], "acknowledged");
    let again = sc(
        &db,
        &[
            "--now",
            &now("12:06"),
            "act",
            "acme",
            &gid,
            "ack",
            "--actor",
            "alice",
        ],
        None,
    )
    .json();
    assert_eq!(again, acked, "a double click is a no-op");
    let r = sc(
        &db,
        &["act", "acme", &gid, "reopen", "--actor", "alice"],
        None,
    );
    assert_eq!(r.code, 6);
    assert!(
        r.stderr
            .starts_with("error: conflict: cannot reopen a group that is acknowledged"),
        "{}",
        r.stderr
    );
    let r = sc(
        &db,
        &[
            "act", "acme", &gid, "resolve", "--actor", "vic", "--role", "viewer",
        ],
        None,
    );
    assert_eq!(r.code, 7);
    assert!(r.stderr.starts_with("error: forbidden:"), "{}", r.stderr);
    let snoozed = sc(
        &db,
        &[
            "--now",
            &now("12:07"),
            "act",
            "acme",
            &gid,
            "snooze",
            "--for",
            "2h",
            "--actor",
            "alice",
        ],
        None,
    )
    .json();
    assert_eq!(snoozed["snoozed_until"], "2026-03-01T14:07:00Z");
    let snoozed = sc(
        &db,
        &[
            "--now",
            &now("12:07"),
            "act",
            "acme",
            &gid,
            "snooze",
            "--until",
            "2026-03-01T13:00:00Z",
            "--actor",
            "alice",
        ],
        None,
    )
    .json();
    assert_eq!(snoozed["snoozed_until"], "2026-03-01T13:00:00Z");
    let assigned = sc(
        &db,
        &["act", "acme", &gid, "assign", "bob", "--actor", "alice"],
        None,
    )
    .json();
    assert_eq!(assigned["assignee"], "bob");
    let cleared = sc(
        &db,
        &["act", "acme", &gid, "assign", "--none", "--actor", "alice"],
        None,
    )
    .json();
    assert_eq!(cleared["assignee"], Value::Null);
    sc(
        &db,
        &[
            "act",
            "acme",
            &gid,
            "note",
            "failing over",
            "--actor",
            "alice",
        ],
        None,
    )
    .json();
    let rb = sc(
        &db,
        &[
            "act",
            "acme",
            &gid,
            "runbook",
            "https://wiki.example/rb",
            "--actor",
            "alice",
        ],
        None,
    )
    .json();
    assert_eq!(rb["runbook"], "https://wiki.example/rb");
    let r = sc(&db, &["act", "acme", &gid, "ack"], None);
    assert!(
        r.stderr.starts_with("error: invalid_input: --actor"),
        "{}",
        r.stderr
    );

    let tick = sc(&db, &["--now", &now("13:00"), "tick", "acme"], None).json();
    assert_eq!(tick["unsnoozed"], 1);
    let stats = sc(
        &db,
        &["--now", &now("13:00"), "stats", "acme", "--window", "24h"],
        None,
    )
    .json();
    for key in [
        "window",
        "events",
        "events_previous",
        "new_groups",
        "dedup_ratio",
        "ack_rate",
        "mtta_secs",
        "mttr_secs",
        "noisy",
        "last_event_by_source",
        "by_status",
        "by_severity",
    ] {
        assert!(stats.get(key).is_some(), "stats lacks {key}");
    }
    assert_eq!(stats["events"], 1);
    assert_eq!(stats["mtta_secs"]["median"], 360.0);
    assert_eq!(stats["by_status"]["open"], 1);
    let timeline = sc(&db, &["group", "acme", &gid], None).json()["timeline"].clone();
    let commands: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .rev() // newest first: read it oldest first
        .map(|t| t["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        commands,
        [
            "open", "escalate", "ack", "snooze", "snooze", "assign", "assign", "note", "runbook",
            "unsnooze"
        ]
    );
}

#[test]
fn channels_dispatch_deliveries_and_slack_action() {
    use std::io::{BufRead, BufReader, Read, Write as _};
    use std::net::TcpListener;
    // a webhook receiver on 127.0.0.1 that answers 200 to two requests
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for _ in 0..2 {
            let (s, _) = listener.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut l = String::new();
                r.read_line(&mut l).unwrap();
                if l == "\r\n" {
                    break;
                }
                if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut b = vec![0; len];
            r.read_exact(&mut b).unwrap();
            bodies.push(String::from_utf8(b).unwrap());
            let mut w = s;
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .unwrap();
        }
        bodies
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let ch = sc(
        &db,
        &[
            "channel",
            "set",
            "acme",
            "hook",
            "--kind",
            "webhook",
            "--config",
            &format!(r#"{{"url": "http://127.0.0.1:{port}/in", "secret": "topsecretvalue"}}"#),
        ],
        None,
    )
    .json();
    assert_eq!(ch["config"]["secret"], "••••alue");
    let list = sc(&db, &["channel", "list", "acme"], None).json();
    assert_eq!(list["channels"][0]["name"], "hook");
    assert!(!list.to_string().contains("topsecretvalue"));
    let bad = sc(
        &db,
        &[
            "channel",
            "set",
            "acme",
            "x",
            "--kind",
            "email",
            "--config",
            r#"{"smtp_host": "h"}"#,
        ],
        None,
    );
    assert!(
        bad.stderr
            .starts_with("error: invalid_input: config.smtp_port: missing"),
        "{}",
        bad.stderr
    );
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"[{"id": "all", "when": {}, "then": {"notify": ["hook"]}}]"#,
    )
    .unwrap();
    sc(
        &db,
        &["rules", "put", "acme", rules.to_str().unwrap()],
        None,
    )
    .json();
    let unknown = dir.path().join("unknown.json");
    std::fs::write(
        &unknown,
        r#"[{"id": "all", "when": {}, "then": {"notify": ["nope"]}}]"#,
    )
    .unwrap();
    let r = sc(
        &db,
        &["rules", "put", "acme", unknown.to_str().unwrap()],
        None,
    );
    assert!(
        r.stderr.contains("no channel named \"nope\""),
        "{}",
        r.stderr
    );
    let f = fixture("issue_alert_triggered.docs.json");
    let out = sc(
        &db,
        &[
            "ingest",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: event_alert",
            f.to_str().unwrap(),
        ],
        None,
    )
    .json();
    let gid = out["alerts"][0]["group_id"].as_str().unwrap().to_string();
    let d = sc(&db, &["dispatch", "--wait-secs", "5"], None).json();
    assert_eq!(d, serde_json::json!({"sent": 1, "failed": 0, "pending": 0}));

    // a Slack click through the CLI
    sc(
        &db,
        &[
            "integration",
            "set",
            "acme",
            "slack",
            "--secret",
            "8f742231b10e8888abcd99yyyzzz85a5",
        ],
        None,
    )
    .json();
    let payload = serde_json::json!({"type": "block_actions", "user": {"id": "U42", "username": "ada"},
        "actions": [{"action_id": "signalcraft_ack", "value": gid, "type": "button"}],
        "channel": {"id": "C1"}, "container": {"message_ts": "1.2"}});
    let form = format!(
        "payload={}",
        payload
            .to_string()
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            })
            .collect::<String>()
    );
    let ts = chrono::Utc::now().timestamp().to_string();
    let mut mac = format!("v0:{ts}:").into_bytes();
    mac.extend_from_slice(form.as_bytes());
    let sig = format!(
        "v0={}",
        signalcraft_core::signature::hmac_sha256_hex(b"8f742231b10e8888abcd99yyyzzz85a5", &mac)
    );
    let act = sc(
        &db,
        &[
            "slack",
            "action",
            "acme",
            "-H",
            &format!("X-Slack-Request-Timestamp: {ts}"),
            "-H",
            &format!("X-Slack-Signature: {sig}"),
            "-",
        ],
        Some(form.as_bytes()),
    )
    .json();
    assert_eq!(act["command"], "ack");
    assert_eq!(act["group_id"], gid.as_str());
    assert_eq!(act["actor"], "slack:U42");
    assert_eq!(act["status"], "acknowledged");
    let bad_sig = sc(
        &db,
        &[
            "slack",
            "action",
            "acme",
            "-H",
            &format!("X-Slack-Request-Timestamp: {ts}"),
            "-H",
            "X-Slack-Signature: v0=00",
            "-",
        ],
        Some(form.as_bytes()),
    );
    assert!(
        bad_sig.stderr.starts_with("error: signature:"),
        "{}",
        bad_sig.stderr
    );

    let d = sc(&db, &["dispatch", "acme", "--wait-secs", "5"], None).json();
    assert_eq!(
        d["sent"], 1,
        "the ack reaches the webhook as a status event"
    );
    let log = sc(&db, &["deliveries", "acme", "--group", &gid], None).json();
    let rows = log["deliveries"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for key in [
        "id",
        "group_id",
        "channel",
        "kind",
        "status",
        "attempts",
        "last_error",
        "attempt_log",
    ] {
        assert!(rows[0].get(key).is_some(), "delivery lacks {key}");
    }
    assert_eq!(
        (
            rows[0]["channel"].as_str(),
            rows[0]["kind"].as_str(),
            rows[0]["status"].as_str()
        ),
        (Some("hook"), Some("webhook"), Some("sent"))
    );
    assert_eq!(rows[1]["notification"], "status");
    let bodies = server.join().unwrap();
    assert!(bodies[1].contains("\"type\":\"status\""), "{}", bodies[1]);
}

#[test]
fn users_members_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    let u = sc(
        &db,
        &["user", "add", "Alice@Example.com", "--name", "Alice"],
        Some(b"correct horse\nignored second line\n"),
    )
    .json();
    assert_eq!(u["email"], "alice@example.com");
    assert_eq!(u["name"], "Alice");
    assert!(u["id"].as_str().unwrap().starts_with("usr_"));
    assert!(
        !sc(&db, &["user", "list"], None)
            .stdout
            .contains("correct horse")
    );
    // a short password, an existing email
    let r = sc(&db, &["user", "add", "bob@example.com"], Some(b"short\n"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: invalid_input: password: "),
        "{}",
        r.stderr
    );
    let r = sc(
        &db,
        &["user", "add", "alice@example.com"],
        Some(b"whatever long\n"),
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    sc(
        &db,
        &["user", "add", "bob@example.com"],
        Some(b"battery staple"),
    )
    .json();

    sc(
        &db,
        &[
            "workspace",
            "create",
            "acme",
            "--owner",
            "alice@example.com",
        ],
        None,
    )
    .json();
    let m = sc(
        &db,
        &["member", "set", "acme", "bob@example.com", "viewer"],
        None,
    )
    .json();
    assert_eq!(m["role"], "viewer");
    assert_eq!(m["email"], "bob@example.com");
    let members = sc(&db, &["member", "list", "acme"], None).json();
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    assert_eq!(members["members"][0]["role"], "owner");
    let r = sc(
        &db,
        &["member", "set", "acme", "carol@example.com", "viewer"],
        None,
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    let r = sc(
        &db,
        &["member", "set", "acme", "bob@example.com", "king"],
        None,
    );
    assert_eq!(r.code, 2);

    let t = sc(
        &db,
        &[
            "token", "create", "acme", "--role", "member", "--name", "ci",
        ],
        None,
    )
    .json();
    for k in ["id", "token", "role", "workspace"] {
        assert!(t.get(k).is_some(), "{k} in {t}");
    }
    assert_eq!(t["role"], "member");
    assert!(t["token"].as_str().unwrap().starts_with("sct_"));
    let list = sc(&db, &["token", "list", "acme"], None);
    assert!(!list.stdout.contains(t["token"].as_str().unwrap()));
    let list = list.json();
    assert_eq!(list["tokens"][0]["name"], "ci");
    assert_eq!(list["tokens"][0]["id"], t["id"]);
    assert_eq!(list["tokens"][0]["last_used_at"], Value::Null);
    let id = t["id"].as_str().unwrap();
    sc(&db, &["token", "revoke", "acme", id], None).json();
    assert_eq!(
        sc(&db, &["token", "list", "acme"], None).json()["tokens"],
        serde_json::json!([])
    );
    let r = sc(&db, &["token", "revoke", "acme", id], None);
    assert_eq!(r.code, 4);
    assert!(r.stderr.starts_with("error: not_found: "), "{}", r.stderr);
}

#[test]
fn ingest_keys_are_shown_once_and_listed_with_health() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let k = sc(&db, &["integration", "key", "acme", "alertmanager"], None).json();
    let key = k["key"].as_str().unwrap();
    assert!(key.starts_with("sck_"));
    let shown = sc(&db, &["integration", "show", "acme", "alertmanager"], None);
    assert!(!shown.stdout.contains(key));
    let shown = shown.json();
    assert_eq!(shown["keys"][0]["id"], k["id"]);
    assert_eq!(shown["keys"][0]["prefix"], &key[..8]);
    let list = sc(&db, &["integration", "list", "acme"], None).json();
    let am = list["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == "alertmanager")
        .unwrap()
        .clone();
    assert_eq!(am["configured"], true);
    assert_eq!(am["health"]["accepted_24h"], 0);
    let r = sc(&db, &["integration", "key", "acme", "nagios"], None);
    assert_eq!(r.code, 2);
    sc(
        &db,
        &[
            "integration",
            "revoke-key",
            "acme",
            "alertmanager",
            k["id"].as_str().unwrap(),
        ],
        None,
    )
    .json();
    let shown = sc(&db, &["integration", "show", "acme", "alertmanager"], None).json();
    assert_eq!(shown["keys"], serde_json::json!([]));
    // the rate limit and the opt-out are settings
    let s = sc(
        &db,
        &[
            "workspace",
            "settings",
            "acme",
            "--allow-unauthenticated-ingest",
            "true",
            "--ingest-per-min",
            "120",
            "--ingest-burst",
            "10",
        ],
        None,
    )
    .json();
    assert_eq!(s["allow_unauthenticated_ingest"], true);
    assert_eq!(
        s["ingest_rate_limit"],
        serde_json::json!({"per_min": 120, "burst": 10})
    );
    let r = sc(
        &db,
        &["workspace", "settings", "acme", "--ingest-burst", "0"],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("error: invalid_input: settings.ingest_rate_limit.burst: "),
        "{}",
        r.stderr
    );
}

#[test]
fn too_large_has_its_own_kind_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let big = vec![b' '; 6 * 1024 * 1024];
    let r = sc(&db, &["ingest", "acme", "alertmanager"], Some(&big));
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: too_large: body: "),
        "{}",
        r.stderr
    );
}

#[test]
fn the_change_feed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let f = fixture("issue_alert_triggered.docs.json");
    let out = sc(
        &db,
        &[
            "ingest",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: event_alert",
            f.to_str().unwrap(),
        ],
        None,
    )
    .json();
    let gid = out["alerts"][0]["group_id"].as_str().unwrap().to_string();
    sc(&db, &["act", "acme", &gid, "ack", "--actor", "alice"], None).json();
    let page = sc(&db, &["changes", "acme"], None).json();
    assert_eq!(page["last_seq"], 2);
    assert_eq!(page["changes"][0]["kind"], "event");
    assert_eq!(page["changes"][1]["kind"], "status");
    assert_eq!(page["changes"][1]["status"], "acknowledged");
    assert_eq!(page["changes"][1]["group_id"], gid.as_str());
    let page = sc(
        &db,
        &["changes", "acme", "--since", "1", "--limit", "5"],
        None,
    )
    .json();
    assert_eq!(page["changes"].as_array().unwrap().len(), 1);
    let r = sc(&db, &["changes", "acme", "--limit", "0"], None);
    assert_eq!(r.code, 2);
}

#[test]
fn groups_filters_sorts_act_many_deletes_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let am = source_fixture("alertmanager/prometheus-msteams_firing_3_alerts.json");
    sc(
        &db,
        &["ingest", "acme", "alertmanager", am.to_str().unwrap()],
        None,
    )
    .json();
    let f = fixture("issue_alert_triggered.docs.json");
    let out = sc(
        &db,
        &[
            "ingest",
            "acme",
            "sentry",
            "-H",
            "Sentry-Hook-Resource: event_alert",
            f.to_str().unwrap(),
        ],
        None,
    )
    .json();
    let gid = out["alerts"][0]["group_id"].as_str().unwrap().to_string();
    // act on many: one result per id
    let many = sc(
        &db,
        &[
            "act-many", "acme", "ack", &gid, "grp_nope", "--actor", "alice",
        ],
        None,
    )
    .json();
    assert_eq!(many["results"][0]["ok"]["status"], "acknowledged");
    assert_eq!(many["results"][1]["error"]["kind"], "not_found");
    let groups = |args: &[&str]| {
        let mut a = vec!["groups", "acme"];
        a.extend_from_slice(args);
        sc(&db, &a, None).json()
    };
    assert_eq!(
        groups(&["--status", "open"])["groups"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        groups(&["--status", "open", "--status", "acknowledged"])["groups"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        groups(&["--status", "open,acknowledged"])["groups"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        groups(&["--severity", "info", "--q", "consetetur"])["groups"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        groups(&["--assignee", "none"])["groups"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let page = groups(&["--sort", "severity", "--order", "asc", "--limit", "3"]);
    assert_eq!(page["groups"][0]["severity"], "info");
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let rest = groups(&["--sort", "severity", "--order", "asc", "--cursor", &cursor]);
    assert_eq!(rest["groups"][0]["id"], gid.as_str());
    let bad = sc(&db, &["groups", "acme", "--sort", "colour"], None);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.starts_with("error: invalid_input: query: "),
        "{}",
        bad.stderr
    );
    let bad = sc(&db, &["groups", "acme", "--since", "yesterday"], None);
    assert_eq!(bad.code, 2);
    // deletes
    sc(
        &db,
        &[
            "channel",
            "set",
            "acme",
            "hook",
            "--kind",
            "webhook",
            "--config",
            r#"{"url": "https://example.com/h"}"#,
        ],
        None,
    )
    .json();
    assert_eq!(
        sc(&db, &["channel", "delete", "acme", "hook"], None).json()["ok"],
        true
    );
    let gone = sc(&db, &["channel", "delete", "acme", "hook"], None);
    assert!(
        gone.stderr.starts_with("error: not_found: "),
        "{}",
        gone.stderr
    );
    let policy = dir.path().join("p.json");
    std::fs::write(
        &policy,
        r#"{"steps": [{"after_mins": 5, "notify": ["oncall"]}]}"#,
    )
    .unwrap();
    sc(
        &db,
        &[
            "escalation",
            "put",
            "acme",
            "page",
            policy.to_str().unwrap(),
        ],
        None,
    )
    .json();
    assert_eq!(
        sc(&db, &["escalation", "delete", "acme", "page"], None).json()["name"],
        "page"
    );
    assert_eq!(
        sc(&db, &["escalation", "list", "acme"], None).json()["policies"],
        serde_json::json!({})
    );
    // metrics: the open-group gauge reads the database
    let m = sc(&db, &["metrics"], None).json();
    let text = m["metrics"].as_str().unwrap();
    assert!(
        text.lines()
            .any(|l| l == "signalcraft_open_groups{severity=\"info\"} 3"),
        "{text}"
    );
    assert!(text.contains("# TYPE signalcraft_outbox_pending gauge"));
}

#[test]
fn channel_test_and_integration_test() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    sc(
        &db,
        &[
            "channel",
            "set",
            "acme",
            "hook",
            "--kind",
            "webhook",
            "--config",
            r#"{"url": "https://example.com/h"}"#,
        ],
        None,
    )
    .json();
    let queued = sc(&db, &["channel", "test", "acme", "hook"], None).json();
    assert_eq!(queued["test"], true);
    assert_eq!(queued["notification"], "test");
    assert_eq!(queued["status"], "pending");
    let log = sc(&db, &["deliveries", "acme"], None).json();
    assert_eq!(log["deliveries"][0]["test"], true);
    let missing = sc(&db, &["channel", "test", "acme", "nope"], None);
    assert!(
        missing.stderr.starts_with("error: not_found: "),
        "{}",
        missing.stderr
    );
    let sample = sc(&db, &["integration", "sample", "sentry"], None).json();
    assert_eq!(sample["headers"]["Sentry-Hook-Resource"], "event_alert");
    sc(
        &db,
        &["integration", "set", "acme", "sentry", "--secret", "s3cret"],
        None,
    )
    .json();
    let out = sc(&db, &["integration", "test", "acme", "sentry"], None).json();
    assert_eq!(out["outcome"], "accepted");
    assert!(
        out["notes"][0]
            .as_str()
            .unwrap()
            .contains("signed with the integration's secret")
    );
    let again = sc(&db, &["integration", "test", "acme", "sentry"], None).json();
    assert_eq!(again["alerts"][0]["decision"], "joined");
    let generic = sc(&db, &["integration", "test", "acme", "generic"], None);
    assert_eq!(generic.code, 2, "{}", generic.stderr);
}

/// A loopback webhook receiver answering 204 to every request; counts them.
fn counting_receiver() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = hits.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { break };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
                if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut b = vec![0; len];
            let _ = r.read_exact(&mut b);
            count.fetch_add(1, Ordering::SeqCst);
            let mut w = s;
            let _ = w.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    (port, hits)
}

#[test]
fn private_targets_need_the_environment_variable() {
    use std::sync::atomic::Ordering;
    let (port, hits) = counting_receiver();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let config = format!(r#"{{"url": "http://127.0.0.1:{port}/in"}}"#);
    sc(
        &db,
        &[
            "channel", "set", "acme", "hook", "--kind", "webhook", "--config", &config,
        ],
        None,
    )
    .json();
    // unset: the test notification is refused, nothing reaches the receiver
    sc(&db, &["channel", "test", "acme", "hook"], None).json();
    let out = sc_env(&db, &["dispatch", "--wait-secs", "5"], None, None).json();
    assert_eq!(
        (out["sent"].as_u64(), out["failed"].as_u64()),
        (Some(0), Some(1)),
        "{out}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let log = sc(&db, &["deliveries", "acme"], None).json();
    let text = log.to_string();
    assert!(
        text.contains("refused") && text.contains("loopback"),
        "{text}"
    );
    // a list that covers it: delivered
    sc(&db, &["channel", "test", "acme", "hook"], None).json();
    let out = sc_env(
        &db,
        &["dispatch", "--wait-secs", "5"],
        None,
        Some("10.0.0.0/8,127.0.0.1/32"),
    )
    .json();
    assert_eq!(out["sent"].as_u64(), Some(1), "{out}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // `1`: everything
    sc(&db, &["channel", "test", "acme", "hook"], None).json();
    let out = sc_env(&db, &["dispatch", "--wait-secs", "5"], None, Some("1")).json();
    assert_eq!(out["sent"].as_u64(), Some(1), "{out}");
    // a bad value is an error naming the variable
    let bad = sc_env(&db, &["dispatch"], None, Some("127.0.0.1/32,nope"));
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr
            .starts_with("error: invalid_input: SIGNALCRAFT_ALLOW_PRIVATE_TARGETS"),
        "{}",
        bad.stderr
    );
}

#[test]
fn secrets_come_from_stdin_or_a_file_not_only_argv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    // --secret - : the first line of stdin
    let out = sc(
        &db,
        &["integration", "set", "acme", "sentry", "--secret", "-"],
        Some(b"from-stdin-secret\n"),
    )
    .json();
    assert_eq!(out["has_secret"], true, "{out}");
    // signed with it: accepted
    let sample = sc(&db, &["integration", "test", "acme", "sentry"], None).json();
    assert_eq!(sample["outcome"], "accepted", "{sample}");
    // --secret-file PATH
    let file = dir.path().join("secret.txt");
    std::fs::write(&file, "from-a-file-secret\n").unwrap();
    let out = sc(
        &db,
        &[
            "integration",
            "set",
            "acme",
            "grafana",
            "--secret-file",
            file.to_str().unwrap(),
        ],
        None,
    )
    .json();
    assert_eq!(out["has_secret"], true, "{out}");
    let missing = sc(
        &db,
        &[
            "integration",
            "set",
            "acme",
            "grafana",
            "--secret-file",
            "/nonexistent/secret",
        ],
        None,
    );
    assert!(
        missing
            .stderr
            .starts_with("error: invalid_input: --secret-file"),
        "{}",
        missing.stderr
    );
    let empty = sc(
        &db,
        &["integration", "set", "acme", "grafana", "--secret", "-"],
        Some(b"\n"),
    );
    assert!(
        empty.stderr.starts_with("error: invalid_input: --secret"),
        "{}",
        empty.stderr
    );
    // a channel's config (its token) from stdin or a file
    let config = br#"{"token": "xoxb-from-stdin-1234", "channel": "C1"}"#;
    let ch = sc(
        &db,
        &[
            "channel", "set", "acme", "s", "--kind", "slack", "--config", "-",
        ],
        Some(config),
    )
    .json();
    assert_eq!(ch["config"]["token"], "••••1234");
    let cfile = dir.path().join("hook.json");
    std::fs::write(
        &cfile,
        r#"{"url": "https://hooks.example.com/x", "secret": "whsec-from-file"}"#,
    )
    .unwrap();
    let ch = sc(
        &db,
        &[
            "channel",
            "set",
            "acme",
            "h",
            "--kind",
            "webhook",
            "--config-file",
            cfile.to_str().unwrap(),
        ],
        None,
    )
    .json();
    assert_eq!(ch["config"]["url"], "https://hooks.example.com/x");
    let list = sc(&db, &["channel", "list", "acme"], None).json();
    assert!(!list.to_string().contains("whsec-from-file"));
}

#[test]
fn a_system_without_ca_certificates_still_sends_plain_http_and_does_not_panic() {
    // no CA certificate anywhere (an empty bundle, an empty directory): the platform's TLS
    // verifier cannot start; the guarded client trusts no certificate instead, so a plain-HTTP
    // webhook is delivered, and the process never panics (reqwest's default client did)
    use std::sync::atomic::Ordering;
    let (port, hits) = counting_receiver();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    let bundle = dir.path().join("empty.pem");
    std::fs::write(&bundle, b"").unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    sc(&db, &["workspace", "create", "acme"], None).json();
    let config =
        format!(r#"{{"url": "http://127.0.0.1:{port}/in", "retry": {{"max_attempts": 1}}}}"#);
    sc(
        &db,
        &[
            "channel", "set", "acme", "hook", "--kind", "webhook", "--config", &config,
        ],
        None,
    )
    .json();
    sc(&db, &["channel", "test", "acme", "hook"], None).json();
    let out = Command::new(env!("CARGO_BIN_EXE_signalcraft"))
        .arg("--db")
        .arg(&db)
        .args(["dispatch", "--wait-secs", "5"])
        .env("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS", "127.0.0.1/32")
        .env("SSL_CERT_FILE", &bundle)
        .env("SSL_CERT_DIR", &certs)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["sent"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

/// A health endpoint on 127.0.0.1 answering the i-th request with `statuses[i]` (then 200),
/// until `stop` is set; counts the requests.
fn health_server(
    statuses: Vec<u16>,
) -> (
    u16,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<usize>,
) {
    use std::io::{BufRead, BufReader, Write as _};
    use std::sync::atomic::{AtomicBool, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut served = 0;
        while !flag.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
            let Ok((s, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(5));
                continue;
            };
            s.set_nonblocking(false).unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
            }
            let status = statuses.get(served).copied().unwrap_or(200);
            served += 1;
            let mut w = s;
            let _ = w.write_all(
                format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                    .as_bytes(),
            );
        }
        served
    });
    (port, stop, handle)
}

#[test]
fn monitor_put_run_status() {
    let (port, stop, server) = health_server(vec![503, 503]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    sc(&db, &["workspace", "create", "acme"], None).json();
    let doc = serde_json::json!([{"id": "api-health", "app": "api", "kind": "http_probe",
        "interval_secs": 30, "config": {"url": format!("http://127.0.0.1:{port}/healthz"),
        "expect_status": 200, "max_latency_ms": 5000, "token": "cli-s3cret"},
        "breach_after": 2, "recover_after": 1, "severity": "critical", "environment": "production"}]);
    let file = dir.path().join("monitors.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let t0 = ["--now", "2026-03-01T12:00:00Z"];
    let put = sc(
        &db,
        &[
            "monitor",
            "put",
            "acme",
            file.to_str().unwrap(),
            t0[0],
            t0[1],
        ],
        None,
    );
    let put = put.json();
    assert_eq!(put["apps"][0]["name"], "api");
    assert_eq!(put["monitors"][0]["config"]["has_token"], true);
    assert!(!put.to_string().contains("cli-s3cret"));

    let run = |extra: &[&str], now: &[&str]| {
        let mut args = vec!["monitor", "run", "acme"];
        args.extend_from_slice(extra);
        args.extend_from_slice(now);
        sc(&db, &args, None).json()
    };
    let first = run(&[], &t0);
    let m = &first["monitors"][0];
    assert_eq!(
        (m["state"].as_str(), m["breaching"].as_bool()),
        (Some("breach"), Some(false))
    );
    assert_eq!(m["reading"]["details"]["status_code"], 503);
    assert_eq!(m["next_due_at"], "2026-03-01T12:00:30Z");
    // not due again at the same time; --once runs it anyway and the breach persists
    let same = run(&[], &t0);
    assert_eq!(same["monitors"][0]["consecutive"], 1);
    let once = run(&["--once"], &t0);
    let m = &once["monitors"][0];
    assert_eq!(
        (m["breaching"].as_bool(), m["consecutive"].as_u64()),
        (Some(true), Some(2))
    );
    let group_id = m["group_id"].as_str().unwrap().to_string();
    let groups = sc(&db, &["groups", "acme"], None).json();
    let g = &groups["groups"][0];
    assert_eq!(
        (g["id"].as_str(), g["source"].as_str()),
        (Some(group_id.as_str()), Some("monitor"))
    );
    assert_eq!(
        (g["project"].as_str(), g["severity"].as_str()),
        (Some("api"), Some("critical"))
    );
    // due a minute later: healthy, and recover_after 1 resolves it
    let later = run(&[], &["--now", "2026-03-01T12:01:00Z"]);
    assert_eq!(later["monitors"][0]["breaching"], false);
    let status = sc(&db, &["monitor", "status", "acme"], None).json();
    let m = &status["monitors"][0];
    assert_eq!(m["state"], "ok");
    let oks: Vec<bool> = m["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [false, false, true]);
    let group = sc(&db, &["group", "acme", &group_id], None).json();
    assert_eq!(group["status"], "resolved");
    assert!(!status.to_string().contains("cli-s3cret"));
    let apps = sc(&db, &["monitor", "apps", "acme"], None).json();
    assert_eq!(
        (
            apps["apps"][0]["state"].as_str(),
            apps["apps"][0]["open_alerts"].as_u64()
        ),
        (Some("ok"), Some(0))
    );

    // a bad document: the error names the path, exit code 2, nothing changes
    std::fs::write(&file, r#"[{"id": "x", "app": "a", "kind": "http_probe", "interval_secs": 3, "config": {"url": "http://127.0.0.1/"}}]"#).unwrap();
    let bad = sc(
        &db,
        &["monitor", "put", "acme", file.to_str().unwrap()],
        None,
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .starts_with("error: invalid_input: monitors[0].interval_secs:"),
        "{}",
        bad.stderr
    );
    let list = sc(&db, &["monitor", "list", "acme"], None).json();
    assert_eq!(list["monitors"][0]["id"], "api-health");
    let missing = sc(&db, &["monitor", "run", "acme", "--id", "nope"], None);
    assert_eq!(missing.code, 4, "{}", missing.stderr);

    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(server.join().unwrap(), 3);
}

/// Runs the CLI with `--db target` and exactly the secret key `key` in the environment.
fn sc_key(target: &str, args: &[&str], key: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signalcraft"));
    cmd.arg("--db")
        .arg(target)
        .args(args)
        .env("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS", "127.0.0.1/32")
        .env_remove("SIGNALCRAFT_SECRET_KEY");
    if let Some(k) = key {
        cmd.env("SIGNALCRAFT_SECRET_KEY", k);
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A fresh database of the test cluster (SIGNALCRAFT_TEST_POSTGRES_URL); `None` (and a line
/// saying so) when SIGNALCRAFT_SKIP_POSTGRES=1; a failure without either.
fn fresh_postgres(test: &str) -> Option<String> {
    let Ok(admin) = std::env::var("SIGNALCRAFT_TEST_POSTGRES_URL") else {
        if std::env::var("SIGNALCRAFT_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
            eprintln!("skipped (SIGNALCRAFT_SKIP_POSTGRES=1): {test} needs PostgreSQL");
            return None;
        }
        panic!(
            "{test} needs PostgreSQL: set SIGNALCRAFT_TEST_POSTGRES_URL (scripts/postgres start \
             DIR prints one), or SIGNALCRAFT_SKIP_POSTGRES=1 to skip it"
        );
    };
    let name = format!(
        "cli{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    // psql comes with the cluster's packages (scripts/postgres installs them)
    let made = Command::new("psql")
        .arg(&admin)
        .args([
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            &format!("CREATE DATABASE {name}"),
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    Some(format!("{}/{name}", admin.rsplit_once('/').unwrap().0))
}

#[test]
fn migrate_a_sqlite_database_to_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sc.db");
    let from = format!("sqlite:{}", db.display());
    let file = db.to_str().unwrap();
    let pg_key = "ab".repeat(32);
    // refusals that need no server
    let r = sc_key(
        file,
        &["migrate", "--from", &from, "--to", "other.db"],
        Some(&pg_key),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: invalid_input: --to:"),
        "{}",
        r.stderr
    );
    let to = "postgres://postgres@127.0.0.1:1/none";
    let r = sc_key(file, &["migrate", "--from", &from, "--to", to], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("SIGNALCRAFT_SECRET_KEY"), "{}", r.stderr);
    let r = sc_key(
        file,
        &["migrate", "--from", &from, "--to", to],
        Some(&pg_key),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no SQLite database at"), "{}", r.stderr);

    let Some(url) = fresh_postgres("migrate_a_sqlite_database_to_postgres") else {
        return;
    };
    // a SQLite database whose secrets are sealed with its key file
    sc_key(file, &["workspace", "create", "acme"], None).json();
    let secret = "c0ffee";
    sc_key(
        file,
        &["integration", "set", "acme", "sentry", "--secret", secret],
        None,
    )
    .json();
    assert!(dir.path().join("sc.db.key").exists());
    let body = std::fs::read(fixture("issue_alert_triggered.docs.json")).unwrap();
    let sig = signalcraft_core::signature::hmac_sha256_hex(secret.as_bytes(), &body);
    let signed = |target: &str, key: Option<&str>, sig: &str, body: &Path| {
        sc_key(
            target,
            &[
                "ingest",
                "acme",
                "sentry",
                "-H",
                "Sentry-Hook-Resource: event_alert",
                "-H",
                &format!("Sentry-Hook-Signature: {sig}"),
                body.to_str().unwrap(),
            ],
            key,
        )
    };
    let first = fixture("issue_alert_triggered.docs.json");
    signed(file, None, &sig, &first).json();
    let groups = sc_key(file, &["groups", "acme"], None).json();

    let report = sc_key(
        file,
        &["migrate", "--from", &from, "--to", &url],
        Some(&pg_key),
    )
    .json();
    assert_eq!(
        report["resealed"], true,
        "the key file's key is not the target's"
    );
    assert_eq!(report["secrets"], 1);
    let tables = report["tables"].as_array().unwrap();
    let rows = |t: &str| {
        tables.iter().find(|x| x["table"] == t).unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        (
            rows("workspaces"),
            rows("integrations"),
            rows("alert_groups")
        ),
        (1, 1, 1)
    );
    assert!(!report.to_string().contains(secret));

    // the PostgreSQL store works with its key: the same groups, the secret verifies
    assert_eq!(
        sc_key(&url, &["groups", "acme"], Some(&pg_key)).json(),
        groups
    );
    // (the replay defence's digests came along: the same signed body is a replay)
    let replay = signed(&url, Some(&pg_key), &sig, &first).json();
    assert_eq!(replay["outcome"], "duplicate", "{replay}");
    let mut doc: Value = serde_json::from_slice(&body).unwrap();
    doc["data"]["event"]["event_id"] = "a".repeat(32).into();
    let next = dir.path().join("next.json");
    std::fs::write(&next, doc.to_string()).unwrap();
    let next_sig =
        signalcraft_core::signature::hmac_sha256_hex(secret.as_bytes(), doc.to_string().as_bytes());
    let out = signed(&url, Some(&pg_key), &next_sig, &next).json();
    assert_eq!(out["alerts"][0]["count"], 2, "{out}");
    let r = signed(&url, Some(&pg_key), &"0".repeat(64), &next);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // a second migration into it is refused, and changes nothing
    let r = sc_key(
        file,
        &["migrate", "--from", &from, "--to", &url],
        Some(&pg_key),
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("is not empty"), "{}", r.stderr);
}
