//! Dedup windows through the engine, on disk, with a manual clock.

use crate::common::{Harness, fixture};
use chrono::TimeDelta;
use signalcraft_core::{DedupPolicy, DedupWindow, GroupStatus, IngestDecision, WorkspaceSettings};

fn event(n: u32) -> Vec<u8> {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["event_id"] = format!("{n:032x}").into();
    doc.to_string().into_bytes()
}

fn resolve() -> Vec<u8> {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_resolved.zulip.json")).unwrap();
    doc["data"]["issue"]["id"] = "1117540176".into();
    doc.to_string().into_bytes()
}

fn with_window(h: &Harness, window: DedupWindow) {
    let settings = WorkspaceSettings {
        dedup: DedupPolicy {
            window,
            ..DedupPolicy::default()
        },
        ..WorkspaceSettings::default()
    };
    h.engine.set_settings(h.ws(), &settings).unwrap();
}

#[test]
fn joins_inside_the_window_and_opens_a_new_group_after_it() {
    let h = Harness::on_disk();
    let first = h.sentry("event_alert", &event(1)).unwrap();
    assert_eq!(first.alerts[0].decision, IngestDecision::NewGroup);
    h.advance(TimeDelta::minutes(60)); // exactly at the window's length: inside
    let second = h.sentry("event_alert", &event(2)).unwrap();
    assert_eq!(second.alerts[0].decision, IngestDecision::Joined);
    assert_eq!(second.alerts[0].group_id, first.alerts[0].group_id);
    assert_eq!(second.alerts[0].count, 2);
    h.advance(TimeDelta::minutes(60) + TimeDelta::milliseconds(1));
    let third = h.sentry("event_alert", &event(3)).unwrap();
    assert_eq!(third.alerts[0].decision, IngestDecision::NewGroup);
    assert_ne!(third.alerts[0].group_id, first.alerts[0].group_id);
    assert_eq!(third.alerts[0].count, 1);
}

#[test]
fn rolling_and_fixed_are_told_apart() {
    for (window, expect) in [
        (DedupWindow::Rolling, IngestDecision::Joined),
        (DedupWindow::Fixed, IngestDecision::NewGroup),
        (DedupWindow::UntilResolved, IngestDecision::Joined),
    ] {
        let h = Harness::on_disk();
        with_window(&h, window);
        h.sentry("event_alert", &event(1)).unwrap();
        h.advance(TimeDelta::minutes(40));
        assert_eq!(
            h.sentry("event_alert", &event(2)).unwrap().alerts[0].decision,
            IngestDecision::Joined
        );
        h.advance(TimeDelta::minutes(40)); // 80 min after the first, 40 after the last
        let d = h.sentry("event_alert", &event(3)).unwrap().alerts[0].decision;
        assert_eq!(d, expect, "{window:?}");
    }
}

#[test]
fn until_resolved_joins_days_later() {
    let h = Harness::on_disk();
    with_window(&h, DedupWindow::UntilResolved);
    h.sentry("event_alert", &event(1)).unwrap();
    h.advance(TimeDelta::days(9));
    assert_eq!(
        h.sentry("event_alert", &event(2)).unwrap().alerts[0].decision,
        IngestDecision::Joined
    );
}

#[test]
fn reopens_after_resolve_but_not_after_the_reopen_window() {
    let h = Harness::on_disk();
    let first = h.sentry("event_alert", &event(1)).unwrap();
    let gid = first.alerts[0].group_id.clone().unwrap();
    h.advance(TimeDelta::minutes(5));
    let r = h.sentry("issue", &resolve()).unwrap();
    assert_eq!(r.alerts[0].decision, IngestDecision::Resolved);
    assert_eq!(r.alerts[0].status, Some(GroupStatus::Resolved));

    h.advance(TimeDelta::minutes(60)); // at the reopen window's edge
    let again = h.sentry("event_alert", &event(2)).unwrap();
    assert_eq!(again.alerts[0].decision, IngestDecision::Reopened);
    assert_eq!(again.alerts[0].group_id.as_ref(), Some(&gid));
    assert_eq!(again.alerts[0].status, Some(GroupStatus::Open));
    let g = h.engine.group(h.ws(), gid.as_str()).unwrap();
    assert_eq!((g.group.count, g.group.reopen_count), (2, 1));
    let commands: Vec<_> = g.timeline.iter().map(|t| t.command.as_str()).collect();
    assert_eq!(commands, ["reopen", "resolve", "open"], "newest first");
    assert_eq!(g.timeline[0].from, Some(GroupStatus::Resolved));

    // resolve again, wait past the reopen window: a new group
    h.sentry("issue", &resolve()).unwrap();
    h.advance(TimeDelta::minutes(61));
    let later = h.sentry("event_alert", &event(3)).unwrap();
    assert_eq!(later.alerts[0].decision, IngestDecision::NewGroup);
    assert_ne!(later.alerts[0].group_id.as_ref(), Some(&gid));
}

#[test]
fn windows_run_on_receipt_time_not_the_senders_timestamp() {
    let h = Harness::on_disk();
    h.sentry("event_alert", &event(1)).unwrap();
    // the payload's own datetime is from 2019; what counts is when it arrived
    h.advance(TimeDelta::minutes(10));
    assert_eq!(
        h.sentry("event_alert", &event(2)).unwrap().alerts[0].decision,
        IngestDecision::Joined
    );
}
