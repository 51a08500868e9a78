//! Group lifecycle through the engine: act, roles, escalation timers, tick, hygiene, outbox, stats.

use crate::common::StoreUnderTest;
use crate::common::{Harness, fixture, t0};
use chrono::TimeDelta;
use serde_json::json;
use signalcraft_core::engine::Actor;
use signalcraft_core::escalation::EscalationPolicy;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::routing::RuleSet;
use signalcraft_core::{ErrorKind, GroupStatus, IngestDecision, WorkspaceSettings};

pub fn event(h: &Harness, issue: &str, n: u32) -> signalcraft_core::IngestOutcome {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["event_id"] = format!("{n:032x}").into();
    doc["data"]["event"]["issue_id"] = issue.into();
    doc["data"]["event"]["environment"] = "production".into();
    h.sentry("event_alert", doc.to_string().as_bytes()).unwrap()
}

pub fn resolve(h: &Harness, issue: &str) -> signalcraft_core::IngestOutcome {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_resolved.zulip.json")).unwrap();
    doc["data"]["issue"]["id"] = issue.into();
    h.sentry("issue", doc.to_string().as_bytes()).unwrap()
}

fn owner(name: &str) -> Actor {
    Actor::new(name, Role::Owner)
}

pub fn with_policy(h: &Harness) {
    h.engine
        .put_rules(
            h.ws(),
            &RuleSet::from_json(&json!([{"id": "prod", "when": {"field": "environment", "op": "eq", "value": "production"},
                "then": {"notify": ["oncall"], "escalation": "default"}}]))
            .unwrap(),
        )
        .unwrap();
    let policy = EscalationPolicy::from_json(&json!({"steps": [
        {"after_mins": 5, "notify": ["oncall"], "mention": ["@here"]},
        {"after_mins": 15, "notify": ["managers"]}]}))
    .unwrap();
    h.engine.put_escalation(h.ws(), "default", &policy).unwrap();
}

fn outbox(h: &Harness) -> Vec<(String, String, String)> {
    crate::common::Db::open(h.db_path())
        .rows("SELECT channel, kind, status FROM outbox ORDER BY seq")
        .into_iter()
        .map(|r| (r[0].text(), r[1].text(), r[2].text()))
        .collect()
}

fn steps(r: &signalcraft_core::engine::TickReport) -> Vec<usize> {
    r.fired.iter().map(|f| f.step).collect()
}

#[test]
fn act_runs_the_state_machine_with_timeline_entries() {
    let h = Harness::on_disk();
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    let g = gid.as_str();
    let acked = h
        .engine
        .act(h.ws(), g, &Command::Ack, &owner("alice"))
        .unwrap();
    assert_eq!(acked.status, GroupStatus::Acknowledged);
    assert_eq!(acked.acknowledged_at, Some(t0()));
    // a double click: same answer, no new entry
    let again = h
        .engine
        .act(h.ws(), g, &Command::Ack, &owner("alice"))
        .unwrap();
    assert_eq!(again, acked);
    h.engine
        .act(
            h.ws(),
            g,
            &Command::Assign {
                user: Some("bob".into()),
            },
            &owner("alice"),
        )
        .unwrap();
    h.engine
        .act(
            h.ws(),
            g,
            &Command::Note {
                text: "db failover".into(),
            },
            &owner("bob"),
        )
        .unwrap();
    h.engine
        .act(
            h.ws(),
            g,
            &Command::Runbook {
                url: "https://wiki.example/rb/db".into(),
            },
            &owner("bob"),
        )
        .unwrap();
    let resolved = h
        .engine
        .act(h.ws(), g, &Command::Resolve, &owner("bob"))
        .unwrap();
    assert_eq!(resolved.status, GroupStatus::Resolved);
    let err = h
        .engine
        .act(h.ws(), g, &Command::Ack, &owner("carol"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        err.to_string()
            .contains("cannot ack a group that is resolved"),
        "{err}"
    );
    let reopened = h
        .engine
        .act(h.ws(), g, &Command::Reopen, &owner("carol"))
        .unwrap();
    assert_eq!(
        (reopened.status, reopened.resolved_at),
        (GroupStatus::Open, None)
    );
    let d = h.engine.group(h.ws(), g).unwrap();
    let tl: Vec<(&str, &str, Option<GroupStatus>, Option<GroupStatus>)> = d
        .timeline
        .iter()
        .rev() // newest first: read it oldest first
        .map(|t| (t.command.as_str(), t.actor.as_str(), t.from, t.to))
        .collect();
    use GroupStatus::*;
    assert_eq!(
        tl,
        [
            ("open", "source:sentry", None, Some(Open)),
            ("ack", "alice", Some(Open), Some(Acknowledged)),
            ("assign", "alice", Some(Acknowledged), Some(Acknowledged)),
            ("note", "bob", Some(Acknowledged), Some(Acknowledged)),
            ("runbook", "bob", Some(Acknowledged), Some(Acknowledged)),
            ("resolve", "bob", Some(Acknowledged), Some(Resolved)),
            ("reopen", "carol", Some(Resolved), Some(Open)),
        ]
    );
    assert_eq!(d.timeline[3].detail, json!({"text": "db failover"}));
    assert_eq!(d.group.assignee.as_deref(), Some("bob"));
    assert_eq!(
        d.group.runbook.as_deref(),
        Some("https://wiki.example/rb/db")
    );
}

#[test]
fn roles_and_arguments() {
    let h = Harness::on_disk();
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    let viewer = Actor::new("vic", Role::Viewer);
    assert_eq!(
        h.engine
            .act(h.ws(), gid.as_str(), &Command::Ack, &viewer)
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    let member = Actor::new("mia", Role::Member);
    assert_eq!(
        h.engine
            .act(h.ws(), gid.as_str(), &Command::Ack, &member)
            .unwrap()
            .status,
        GroupStatus::Acknowledged
    );
    let past = Command::Snooze {
        until: t0() - TimeDelta::minutes(1),
    };
    assert_eq!(
        h.engine
            .act(h.ws(), gid.as_str(), &past, &member)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        h.engine
            .act(h.ws(), "grp_nope", &Command::Ack, &member)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn escalation_fires_each_step_once_in_order_and_ack_stops_it() {
    let h = Harness::on_disk();
    with_policy(&h);
    let out = event(&h, "1", 1);
    assert_eq!(out.alerts[0].trace["escalation"]["started"], true);
    let gid = out.alerts[0].group_id.clone().unwrap();
    h.advance(TimeDelta::minutes(4));
    assert!(h.engine.tick(None).unwrap().fired.is_empty());
    h.advance(TimeDelta::minutes(1));
    let r = h.engine.tick(None).unwrap();
    assert_eq!(steps(&r), [1]);
    assert_eq!(r.fired[0].at, t0() + TimeDelta::minutes(5));
    assert!(
        h.engine.tick(None).unwrap().fired.is_empty(),
        "exactly once"
    );
    h.advance(TimeDelta::minutes(5));
    h.engine
        .act(h.ws(), gid.as_str(), &Command::Ack, &owner("alice"))
        .unwrap();
    h.advance(TimeDelta::hours(1));
    assert!(
        h.engine.tick(None).unwrap().fired.is_empty(),
        "ack cancels the rest"
    );
    let d = h.engine.group(h.ws(), gid.as_str()).unwrap();
    let esc: Vec<_> = d
        .timeline
        .iter()
        .filter(|t| t.command == "escalate")
        .collect();
    assert_eq!(esc.len(), 1);
    assert_eq!(esc[0].detail["step"], 1);
    // unack re-arms at the first step not fired, its delay (15 min) counted from now
    h.engine
        .act(h.ws(), gid.as_str(), &Command::Unack, &owner("alice"))
        .unwrap();
    h.advance(TimeDelta::minutes(14));
    assert!(h.engine.tick(None).unwrap().fired.is_empty());
    h.advance(TimeDelta::minutes(1));
    assert_eq!(steps(&h.engine.tick(None).unwrap()), [2]);
    let kinds: Vec<(String, String)> = outbox(&h).into_iter().map(|(c, k, _)| (c, k)).collect();
    assert_eq!(
        kinds,
        [
            ("oncall".into(), "firing".into()),
            ("oncall".into(), "escalation".into()),
            ("oncall".into(), "status".into()), // ack
            ("oncall".into(), "status".into()), // unack
            ("managers".into(), "escalation".into()),
        ]
    );
}

#[test]
fn timers_survive_a_restart_and_two_engines_fire_once() {
    let h = Harness::on_disk();
    with_policy(&h);
    event(&h, "1", 1);
    event(&h, "2", 2);
    let path = h.db_path();
    let later = t0() + TimeDelta::minutes(20);
    // two fresh engines (a restart) on the same file tick at once
    let fired: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let path = path.clone();
                s.spawn(move || {
                    let e = crate::common::builder()
                        .store(&path)
                        .clock(std::sync::Arc::new(signalcraft_core::ManualClock::new(
                            later,
                        )))
                        .build()
                        .unwrap();
                    e.tick(None).unwrap().fired.len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        fired.iter().sum::<usize>(),
        4,
        "two groups x two steps, once each: {fired:?}"
    );
}

#[test]
fn snooze_pauses_and_its_expiry_reopens_and_rearms() {
    let h = Harness::on_disk();
    with_policy(&h);
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    h.engine
        .act(
            h.ws(),
            gid.as_str(),
            &Command::Snooze {
                until: t0() + TimeDelta::hours(1),
            },
            &owner("al"),
        )
        .unwrap();
    h.advance(TimeDelta::minutes(30));
    let r = h.engine.tick(None).unwrap();
    assert!(r.fired.is_empty() && r.unsnoozed == 0);
    // a new event on a snoozed group keeps it snoozed
    let joined = event(&h, "1", 2);
    assert_eq!(
        (joined.alerts[0].decision, joined.alerts[0].status),
        (IngestDecision::Joined, Some(GroupStatus::Snoozed))
    );
    h.advance(TimeDelta::minutes(30));
    let r = h.engine.tick(None).unwrap();
    assert_eq!(r.unsnoozed, 1);
    assert!(
        r.fired.is_empty(),
        "re-armed: step 1 is due 5 min after the expiry"
    );
    let g = h.engine.group(h.ws(), gid.as_str()).unwrap();
    assert_eq!(g.group.status, GroupStatus::Open);
    assert_eq!(g.timeline[0].actor, "system:snooze-expiry");
    h.advance(TimeDelta::minutes(5));
    assert_eq!(steps(&h.engine.tick(None).unwrap()), [1]);
}

#[test]
fn auto_close_and_retention() {
    let h = Harness::on_disk();
    let a = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    h.advance(TimeDelta::hours(12));
    let b = event(&h, "2", 2).alerts[0].group_id.clone().unwrap();
    h.advance(TimeDelta::hours(12)); // a: 24 h idle; b: 12 h
    let r = h.engine.tick(None).unwrap();
    assert_eq!(r.auto_closed, 1);
    let ga = h.engine.group(h.ws(), a.as_str()).unwrap();
    assert_eq!(ga.group.status, GroupStatus::Resolved);
    let last = &ga.timeline[0];
    assert_eq!(
        (last.actor.as_str(), last.command.as_str()),
        ("system:auto-close", "resolve")
    );
    assert_eq!(
        h.engine.group(h.ws(), b.as_str()).unwrap().group.status,
        GroupStatus::Open
    );
    // 30 days after the resolve, a's events and timeline go; b (resolved later) stays
    h.advance(TimeDelta::hours(12));
    h.engine.tick(None).unwrap(); // b auto-closes now
    h.advance(TimeDelta::days(30) - TimeDelta::hours(12));
    let r = h.engine.tick(None).unwrap();
    assert_eq!(r.purged, 1);
    let ga = h.engine.group(h.ws(), a.as_str()).unwrap();
    assert!(ga.events.is_empty() && ga.timeline.is_empty());
    assert_eq!(ga.group.count, 1, "the group's summary stays");
    assert_eq!(h.engine.group(h.ws(), b.as_str()).unwrap().events.len(), 1);
    assert_eq!(h.engine.tick(None).unwrap().purged, 0, "purged once");
    // settings turn both off
    let s = WorkspaceSettings {
        hygiene: signalcraft_core::workspace::HygienePolicy {
            auto_close_after_mins: 0,
            retention_days: 0,
        },
        ..Default::default()
    };
    h.engine.set_settings(h.ws(), &s).unwrap();
    let c = event(&h, "3", 3).alerts[0].group_id.clone().unwrap();
    h.advance(TimeDelta::days(400));
    let r = h.engine.tick(None).unwrap();
    assert_eq!((r.auto_closed, r.purged), (0, 0));
    assert_eq!(
        h.engine.group(h.ws(), c.as_str()).unwrap().group.status,
        GroupStatus::Open
    );
}

#[test]
fn resolve_within_group_wait_cancels_the_page() {
    let h = Harness::on_disk();
    h.engine
        .put_rules(
            h.ws(),
            &RuleSet::from_json(&json!([{"id": "r", "when": {},
        "then": {"notify": ["pager"], "group_wait_secs": 120}}]))
            .unwrap(),
        )
        .unwrap();
    event(&h, "1", 1);
    assert_eq!(
        outbox(&h),
        [("pager".into(), "firing".into(), "pending".into())]
    );
    h.advance(TimeDelta::seconds(60));
    let r = resolve(&h, "1");
    assert!(
        r.alerts[0].route.as_ref().unwrap().notify.is_empty(),
        "no resolve for a page never sent"
    );
    assert_eq!(
        outbox(&h),
        [("pager".into(), "firing".into(), "cancelled".into())]
    );
    // after the wait, a resolve goes out
    event(&h, "2", 2);
    h.advance(TimeDelta::seconds(121));
    let r = resolve(&h, "2");
    assert_eq!(r.alerts[0].route.as_ref().unwrap().notify, ["pager"]);
}

#[test]
fn resolve_cancels_escalation_and_sends_the_resolve() {
    let h = Harness::on_disk();
    with_policy(&h);
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    h.engine
        .act(h.ws(), gid.as_str(), &Command::Resolve, &owner("al"))
        .unwrap();
    h.advance(TimeDelta::hours(1));
    assert!(
        h.engine.tick(None).unwrap().fired.is_empty(),
        "resolve cancels"
    );
    let outbox_kinds: Vec<String> = outbox(&h).into_iter().map(|(_, k, _)| k).collect();
    assert_eq!(outbox_kinds, ["firing", "resolved"]);
}

#[test]
fn stats_match_hand_computed_figures() {
    let h = Harness::on_disk();
    let at = |mins: i64| h.clock.set(t0() + TimeDelta::minutes(mins));
    at(-30 * 60);
    event(&h, "9", 90); // G0: the window before
    at(-120);
    let g1 = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    at(-110);
    event(&h, "1", 2);
    at(-100);
    h.engine
        .act(h.ws(), g1.as_str(), &Command::Ack, &owner("alice"))
        .unwrap();
    at(-70);
    event(&h, "1", 4); // joins G1 (40 min after its last event)
    at(-60);
    event(&h, "2", 3); // G2
    at(-50);
    resolve(&h, "2");
    at(-20);
    h.engine
        .act(h.ws(), g1.as_str(), &Command::Resolve, &owner("alice"))
        .unwrap();
    at(-10);
    event(&h, "3", 5); // G3
    at(0);
    let s = serde_json::to_value(h.engine.stats(h.ws(), "24h").unwrap()).unwrap();
    assert_eq!(s["window"], "24h");
    assert_eq!(s["events"], 6, "G1 x3, G2 x1 + its resolve, G3 x1");
    assert_eq!(s["events_previous"], 1);
    assert_eq!(s["new_groups"], 3);
    assert_eq!(s["dedup_ratio"], 0.5, "1 - 3 groups / 6 events");
    assert_eq!(s["ack_rate"].as_f64().unwrap(), 1.0 / 3.0);
    assert_eq!(s["mtta_secs"], json!({"median": 1200.0, "p90": 1200.0}));
    assert_eq!(s["mttr_secs"], json!({"median": 600.0, "p90": 6000.0}));
    assert_eq!(
        s["noisy"]["sources"],
        json!([{"name": "sentry", "events": 6}])
    );
    assert_eq!(
        s["noisy"]["projects"],
        json!([{"name": "front-end", "events": 6}])
    );
    assert_eq!(
        s["noisy"]["fingerprints"],
        json!([
        {"name": "issue:1", "events": 3}, {"name": "issue:2", "events": 2}, {"name": "issue:3", "events": 1}])
    );
    assert_eq!(
        s["last_event_by_source"],
        json!({"sentry": "2026-03-01T11:50:00Z"})
    );
    assert_eq!(
        s["by_status"],
        json!({"acknowledged": 0, "open": 2, "resolved": 2, "snoozed": 0})
    );
    assert_eq!(
        s["by_severity"],
        json!({"critical": 0, "debug": 0, "error": 4, "info": 0, "warning": 0})
    );
    // hourly series over 24 h: 25 buckets aligned to the hour (the last one holds only "now")
    let series = s["series"].as_array().unwrap();
    assert_eq!(series.len(), 25);
    assert_eq!(series[0]["at"], "2026-02-28T12:00:00Z");
    assert_eq!(series[22]["at"], "2026-03-01T10:00:00Z");
    assert_eq!(
        (
            series[22]["events"].clone(),
            series[22]["new_groups"].clone()
        ),
        (json!(3), json!(1))
    );
    assert_eq!(
        (
            series[23]["events"].clone(),
            series[23]["new_groups"].clone()
        ),
        (json!(3), json!(2))
    );
    assert_eq!(series[22]["by_severity"]["error"], 3);
    assert_eq!(series[22]["by_severity"]["debug"], 0);
    let total: u64 = series.iter().map(|p| p["events"].as_u64().unwrap()).sum();
    assert_eq!(total, 6);
    // the last hour in 5-minute buckets
    let s = serde_json::to_value(h.engine.stats(h.ws(), "1h").unwrap()).unwrap();
    let series = s["series"].as_array().unwrap();
    assert_eq!(series.len(), 13);
    let counts: Vec<u64> = series
        .iter()
        .map(|p| p["events"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    assert_eq!(series[10]["at"], "2026-03-01T11:50:00Z");
    assert_eq!(
        h.engine.stats(h.ws(), "soon").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

mod timeline_props {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Event(u8),
        SourceResolve(u8),
        Act(u8, u8),
        Wait(u16),
        Tick,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..3).prop_map(Op::Event),
            (0u8..3).prop_map(Op::SourceResolve),
            (0u8..9, 0u8..3).prop_map(|(c, g)| Op::Act(c, g)),
            (1u16..2000).prop_map(Op::Wait),
            Just(Op::Tick),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// For any interleaving of events and commands, each group's timeline chains (every
        /// entry starts where the one before ended) and ends at the stored status.
        #[test]
        fn the_timeline_replays_to_the_stored_state(ops in prop::collection::vec(op(), 1..30)) {
            let h = Harness::on_disk();
            with_policy(&h);
            let mut n = 0;
            let mut groups: Vec<String> = Vec::new();
            for o in ops {
                match o {
                    Op::Event(i) => {
                        n += 1;
                        if let Some(g) = event(&h, &format!("{i}"), n).alerts[0].group_id.clone()
                            && !groups.contains(&g.0) { groups.push(g.0); }
                    }
                    Op::SourceResolve(i) => { resolve(&h, &format!("{i}")); }
                    Op::Act(c, g) => {
                        let Some(id) = groups.get(g as usize) else { continue };
                        let cmd = match c {
                            0 => Command::Ack, 1 => Command::Unack, 2 => Command::Resolve, 3 => Command::Reopen,
                            4 => Command::Snooze { until: h.engine.now() + TimeDelta::minutes(30) },
                            5 => Command::Unsnooze, 6 => Command::Assign { user: Some("x".into()) },
                            7 => Command::Note { text: "n".into() }, _ => Command::Runbook { url: "https://r".into() },
                        };
                        let _ = h.engine.act(h.ws(), id, &cmd, &owner("p"));
                    }
                    Op::Wait(m) => h.advance(TimeDelta::minutes(i64::from(m))),
                    Op::Tick => { h.engine.tick(None).unwrap(); }
                }
            }
            for id in &groups {
                let d = h.engine.group(h.ws(), id).unwrap();
                let mut status = None;
                prop_assert!(d.timeline_next.is_none(), "fewer than a page");
                for e in d.timeline.iter().rev() {
                    prop_assert_eq!(e.from, status, "{} at {}", e.command, e.at);
                    status = e.to;
                }
                prop_assert_eq!(status, Some(d.group.status));
            }
        }
    }
}

#[test]
fn workspaces_are_walls_for_commands_too() {
    let h = Harness::on_disk();
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    let other = h.engine.create_workspace("globex").unwrap();
    let err = h
        .engine
        .act(
            other.id.as_str(),
            gid.as_str(),
            &Command::Resolve,
            &owner("mallory"),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        h.engine.group(h.ws(), gid.as_str()).unwrap().group.status,
        GroupStatus::Open
    );
    // another workspace's group is not_found there, as if it did not exist
    assert_eq!(
        h.engine
            .deliveries(other.id.as_str(), Some(gid.as_str()))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert!(
        h.engine
            .tick(Some(other.id.as_str()))
            .unwrap()
            .fired
            .is_empty()
    );
}

#[test]
fn act_many_answers_each_id_on_its_own() {
    let h = Harness::on_disk();
    let g1 = event(&h, "1", 1).alerts[0].group_id.clone().unwrap().0;
    let g2 = event(&h, "2", 2).alerts[0].group_id.clone().unwrap().0;
    let other = h.engine.create_workspace("other").unwrap();
    let foreign = h
        .engine
        .ingest(
            other.id.as_str(),
            signalcraft_core::Source::Sentry,
            &signalcraft_core::Headers::new().with("Sentry-Hook-Resource", "event_alert"),
            &fixture("sentry/issue_alert_triggered.docs.json"),
        )
        .unwrap()
        .alerts[0]
        .group_id
        .clone()
        .unwrap()
        .0;
    h.engine
        .act(h.ws(), &g2, &Command::Resolve, &owner("alice"))
        .unwrap();
    let ids = vec![
        g1.clone(),
        foreign.clone(),
        g2.clone(),
        "grp_nope".to_string(),
        g1.clone(),
    ];
    let slots = h
        .engine
        .act_many(h.ws(), &ids, &Command::Ack, &owner("alice"))
        .unwrap();
    let v = signalcraft_core::host::act_many_json(&slots).unwrap();
    assert_eq!(v[0]["id"], g1.as_str());
    assert_eq!(v[0]["ok"]["status"], "acknowledged");
    assert_eq!(
        v[1]["error"]["kind"], "not_found",
        "another workspace's group"
    );
    assert_eq!(v[2]["error"]["kind"], "conflict", "ack on a resolved group");
    assert_eq!(v[3]["error"]["kind"], "not_found");
    assert_eq!(
        v[4]["ok"]["status"], "acknowledged",
        "a second ack is a no-op"
    );
    // the other workspace's group is untouched
    let theirs = h.engine.group(other.id.as_str(), &foreign).unwrap();
    assert_eq!(theirs.group.status, GroupStatus::Open);
    // what concerns every id fails the call
    let viewer = Actor::new("v", Role::Viewer);
    assert_eq!(
        h.engine
            .act_many(h.ws(), &ids, &Command::Ack, &viewer)
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    let many: Vec<String> = (0..1001).map(|i| format!("grp_{i}")).collect();
    assert_eq!(
        h.engine
            .act_many(h.ws(), &many, &Command::Ack, &owner("a"))
            .unwrap_err()
            .path(),
        Some("ids")
    );
    assert_eq!(
        h.engine
            .act_many("nope", &ids, &Command::Ack, &owner("a"))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn deleting_policies_and_channels() {
    let h = Harness::on_disk();
    with_policy(&h);
    h.engine
        .set_channel(
            h.ws(),
            "oncall",
            signalcraft_core::notify::ChannelKind::Webhook,
            &json!({"url": "http://127.0.0.1:9/x"}),
        )
        .unwrap();
    h.engine
        .set_channel(
            h.ws(),
            "spare",
            signalcraft_core::notify::ChannelKind::Webhook,
            &json!({"url": "http://127.0.0.1:9/y"}),
        )
        .unwrap();
    event(&h, "1", 1);
    // the rules name "oncall": refused, nothing changed
    let e = h.engine.delete_channel(h.ws(), "oncall").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.to_string().contains("prod"), "{e}");
    assert_eq!(h.engine.channels(h.ws()).unwrap().len(), 2);
    h.engine.delete_channel(h.ws(), "spare").unwrap();
    assert_eq!(h.engine.channels(h.ws()).unwrap().len(), 1);
    assert_eq!(
        h.engine.delete_channel(h.ws(), "spare").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // with the rules gone, the channel goes and its pending notification is cancelled
    h.engine.put_rules(h.ws(), &RuleSet::default()).unwrap();
    h.engine.delete_channel(h.ws(), "oncall").unwrap();
    assert!(
        outbox(&h)
            .iter()
            .all(|(_, _, status)| status == "cancelled")
    );
    // the running escalation stops with its policy
    h.engine.delete_escalation(h.ws(), "default").unwrap();
    assert!(h.engine.escalations(h.ws()).unwrap().is_empty());
    h.advance(TimeDelta::minutes(30));
    assert!(h.engine.tick(None).unwrap().fired.is_empty());
    assert_eq!(
        h.engine
            .delete_escalation(h.ws(), "default")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn ready_probes_a_write_and_says_how_the_background_loop_is() {
    let h = Harness::on_disk();
    let r = h.engine.ready();
    assert!(r.database_writable, "{r:?}");
    assert_eq!((r.database_error, r.background.as_str()), (None, "stopped"));
    let engine = std::sync::Arc::new(crate::common::builder().store(h.db_path()).build().unwrap());
    engine.start_background().unwrap();
    assert_eq!(engine.ready().background, "running");
    engine.stop();
    assert_eq!(engine.ready().background, "stopped");
    // the probe wrote nothing
    assert_eq!(h.row_counts(), Harness::on_disk().row_counts());
}

#[test]
fn settings_change_by_a_merge_patch_in_one_checked_write() {
    let h = Harness::on_disk();
    let after = h
        .engine
        .patch_settings(h.ws(), &json!({"hygiene": {"retention_days": 7}}))
        .unwrap();
    assert_eq!(after.hygiene.retention_days, 7);
    assert_eq!(
        after.hygiene.auto_close_after_mins,
        WorkspaceSettings::default().hygiene.auto_close_after_mins,
        "the members the patch leaves out keep their value"
    );
    assert_eq!(h.engine.settings(h.ws()).unwrap(), after);
    // null returns a member to its default
    let back = h
        .engine
        .patch_settings(h.ws(), &json!({"hygiene": {"retention_days": null}}))
        .unwrap();
    assert_eq!(back.hygiene.retention_days, 30);
    // a bad field is refused with where it is, and nothing is written
    let e = h
        .engine
        .patch_settings(h.ws(), &json!({"hygiene": {"retention_days": "soon"}}))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("settings"), "{e}");
    let e = h.engine.patch_settings(h.ws(), &json!([1])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(h.engine.settings(h.ws()).unwrap(), back);
    assert_eq!(
        h.engine
            .patch_settings("nope", &json!({}))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}
