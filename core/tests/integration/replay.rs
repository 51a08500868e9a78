//! Replay: a week of synthetic history through a candidate rule set, with the exact diff.

use crate::common::{Harness, fixture, t0};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use signalcraft_core::NewSilence;
use signalcraft_core::routing::RuleSet;

fn event(h: &Harness, issue: &str, env: &str, n: u32) {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["event_id"] = format!("{n:032x}").into();
    doc["data"]["event"]["issue_id"] = issue.into();
    doc["data"]["event"]["environment"] = env.into();
    h.sentry("event_alert", doc.to_string().as_bytes()).unwrap();
}

fn resolve(h: &Harness, issue: &str) {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_resolved.zulip.json")).unwrap();
    doc["data"]["issue"]["id"] = issue.into();
    h.sentry("issue", doc.to_string().as_bytes()).unwrap();
}

fn at(h: &Harness, t: DateTime<Utc>) {
    h.clock.set(t);
}

/// Seven days; each day: a production error at 09:00 (its own issue), a staging error at 10:00,
/// the production issue resolved at 11:00, a qa error at 12:00. On day 2 a silence on staging
/// covers 09:30–10:30.
fn week() -> Harness {
    let h = Harness::on_disk();
    h.engine
        .put_rules(h.ws(), &RuleSet::from_json(&json!([
            {"id": "prod", "when": {"field": "environment", "op": "eq", "value": "production"}, "then": {"notify": ["oncall"]}}
        ])).unwrap())
        .unwrap();
    let mut n = 0;
    for d in 0..7i64 {
        let day = t0() + TimeDelta::days(d) - TimeDelta::hours(12); // t0 is noon: start at midnight
        if d == 2 {
            at(&h, day + TimeDelta::minutes(9 * 60 + 30));
            h.engine
                .add_silence(
                    h.ws(),
                    &NewSilence {
                        when: json!({"field": "environment", "op": "eq", "value": "staging"}),
                        starts_at: None,
                        ends_at: day + TimeDelta::minutes(10 * 60 + 30),
                        comment: Some("staging deploy".into()),
                    },
                    "cli",
                )
                .unwrap();
        }
        at(&h, day + TimeDelta::hours(9));
        n += 1;
        event(&h, &format!("100{d}"), "production", n);
        at(&h, day + TimeDelta::hours(10));
        n += 1;
        event(&h, &format!("200{d}"), "staging", n);
        at(&h, day + TimeDelta::hours(11));
        resolve(&h, &format!("100{d}"));
        at(&h, day + TimeDelta::hours(12));
        n += 1;
        event(&h, &format!("300{d}"), "qa", n);
    }
    h
}

fn candidate() -> RuleSet {
    RuleSet::from_json(&json!([
        {"id": "prod", "when": {"all": [{"field": "environment", "op": "eq", "value": "production"},
                                        {"field": "severity", "op": "gte", "value": "critical"}]},
         "then": {"notify": ["oncall"]}},
        {"id": "staging", "when": {"field": "environment", "op": "eq", "value": "staging"}, "then": {"notify": ["dev"]}}
    ])).unwrap()
}

#[test]
fn a_week_of_history_gives_the_exact_diff() {
    let h = week();
    let report = h.engine.replay(h.ws(), &candidate(), None, None).unwrap();
    let v = serde_json::to_value(&report).unwrap();
    assert_eq!(v["events"], 28);
    assert_eq!(v["since"], "2026-03-01T09:00:00Z");
    assert_eq!(
        v["per_rule"],
        json!({"prod": {"before": 7, "after": 0}, "staging": {"before": 0, "after": 7}})
    );
    assert_eq!(
        v["per_channel"],
        json!({
            // 7 firing + 7 resolves lost: under the candidate nothing fired, so nothing resolves
            "oncall": {"before": 14, "after": 0, "gained": 0, "lost": 14},
            // 7 staging events, one of them under the day-2 silence as it was then
            "dev": {"before": 0, "after": 6, "gained": 6, "lost": 0}
        })
    );
    let changed = v["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 21, "every event but the qa ones");
    let silenced: Vec<&serde_json::Value> = changed
        .iter()
        .filter(|c| c["after"]["suppressed_by"].is_string())
        .collect();
    assert_eq!(silenced.len(), 1);
    assert_eq!(silenced[0]["after"]["matched"], json!(["staging"]));
    assert_eq!(
        silenced[0]["before"]["suppressed_by"],
        silenced[0]["after"]["suppressed_by"]
    );

    // deterministic
    let again = h.engine.replay(h.ws(), &candidate(), None, None).unwrap();
    assert_eq!(serde_json::to_value(&again).unwrap(), v);

    // a stretch in the middle: days 2..5 (exclusive), starting state taken from before it
    let since = t0() + TimeDelta::days(2) - TimeDelta::hours(12);
    let until = since + TimeDelta::days(3);
    let part = serde_json::to_value(
        h.engine
            .replay(h.ws(), &candidate(), Some(since), Some(until))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(part["events"], 12);
    assert_eq!(
        part["per_channel"]["oncall"],
        json!({"before": 6, "after": 0, "gained": 0, "lost": 6})
    );

    // the current rules replayed change nothing
    let same = h
        .engine
        .replay(h.ws(), &h.engine.rules(h.ws()).unwrap(), None, None)
        .unwrap();
    assert!(same.changed.is_empty(), "{:?}", same.changed);
    assert_eq!(
        same.per_channel["oncall"].before,
        same.per_channel["oncall"].after
    );
}
