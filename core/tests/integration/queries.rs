//! Listing groups: filters, newest activity first, cursor pagination.

use crate::common::{Harness, fixture};
use chrono::TimeDelta;
use signalcraft_core::{ErrorKind, GroupQuery, GroupStatus, Severity, Source};

fn event(issue: u32, env: &str, level: &str) -> Vec<u8> {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    let e = &mut doc["data"]["event"];
    e["issue_id"] = issue.to_string().into();
    e["event_id"] = format!("{issue:016x}{:016x}", env.len() * 31 + level.len()).into();
    e["environment"] = env.into();
    e["level"] = level.into();
    doc.to_string().into_bytes()
}

fn seeded() -> Harness {
    let h = Harness::on_disk();
    let levels = ["debug", "info", "warning", "error", "fatal"];
    for i in 0..25u32 {
        let env = if i % 2 == 0 { "production" } else { "staging" };
        h.sentry("event_alert", &event(i, env, levels[(i % 5) as usize]))
            .unwrap();
        h.advance(TimeDelta::seconds(1));
    }
    h
}

#[test]
fn newest_activity_first_and_pages_cover_everything_once() {
    let h = seeded();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let q = GroupQuery {
            limit: Some(7),
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = h.engine.groups(h.ws(), &q).unwrap();
        seen.extend(page.groups.iter().map(|g| (g.last_activity, g.id.clone())));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(
        seen.windows(2).all(|w| w[0].0 >= w[1].0),
        "sorted newest first"
    );
    let mut ids: Vec<_> = seen.iter().map(|(_, id)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "no group twice");
}

#[test]
fn filters() {
    let h = seeded();
    let q = |q: GroupQuery| {
        h.engine
            .groups(
                h.ws(),
                &GroupQuery {
                    limit: Some(100),
                    ..q
                },
            )
            .unwrap()
            .groups
    };
    assert_eq!(
        q(GroupQuery {
            environment: Some("production".into()),
            ..Default::default()
        })
        .len(),
        13
    );
    let crit = q(GroupQuery {
        min_severity: Some(Severity::Error),
        ..Default::default()
    });
    assert_eq!(crit.len(), 10);
    assert!(crit.iter().all(|g| g.severity >= Severity::Error));
    assert_eq!(
        q(GroupQuery {
            source: Some(Source::Sentry),
            ..Default::default()
        })
        .len(),
        25
    );
    assert_eq!(
        q(GroupQuery {
            project: Some("front-end".into()),
            ..Default::default()
        })
        .len(),
        25
    );
    assert_eq!(
        q(GroupQuery {
            project: Some("back-end".into()),
            ..Default::default()
        })
        .len(),
        0
    );
    assert_eq!(
        q(GroupQuery::default().status(GroupStatus::Resolved)).len(),
        0
    );
    assert_eq!(q(GroupQuery::default().status(GroupStatus::Open)).len(), 25);
}

#[test]
fn bad_queries_are_invalid_input() {
    let h = seeded();
    for q in [
        GroupQuery {
            limit: Some(0),
            ..Default::default()
        },
        GroupQuery {
            limit: Some(100_000),
            ..Default::default()
        },
        GroupQuery {
            cursor: Some("garbage".into()),
            ..Default::default()
        },
    ] {
        assert_eq!(
            h.engine.groups(h.ws(), &q).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
    assert_eq!(
        h.engine.group(h.ws(), "grp_missing").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn group_detail_has_events_and_timeline() {
    let h = Harness::on_disk();
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    let out = h.sentry("event_alert", &body).unwrap();
    let gid = out.alerts[0].group_id.clone().unwrap();
    let d = h.engine.group(h.ws(), gid.as_str()).unwrap();
    assert_eq!(d.events.len(), 1);
    assert_eq!(d.events[0].decision, "new_group");
    assert_eq!(
        d.events[0].source_event_id.as_deref(),
        Some("e4874d664c3540c1a32eab185f12c5ab")
    );
    assert_eq!(d.events[0].trace["dedup"]["decision"], "new_group");
    assert_eq!(d.timeline.len(), 1);
    assert_eq!(d.timeline[0].command, "open");
    assert_eq!(d.timeline[0].to, Some(GroupStatus::Open));
}
