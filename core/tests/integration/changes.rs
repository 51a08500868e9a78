//! The change feed: one row per change to a group, in the change's own transaction, numbered
//! per workspace without gaps, in order across engines (and threads) sharing one file.

use crate::common::Harness;
use crate::common::StoreUnderTest;
use crate::lifecycle::{event, resolve, with_policy};
use chrono::TimeDelta;
use signalcraft_core::engine::Actor;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::{ErrorKind, GroupStatus, Source};
use std::sync::Arc;

fn kinds(h: &Harness, ws: &str) -> Vec<(i64, String, GroupStatus)> {
    h.engine
        .changes(ws, None, Some(1000))
        .unwrap()
        .changes
        .into_iter()
        .map(|c| (c.seq, c.kind, c.status))
        .collect()
}

fn member() -> Actor {
    Actor::new("alice", Role::Member)
}

#[test]
fn every_change_to_a_group_is_one_row_in_order() {
    let h = Harness::on_disk();
    assert_eq!(h.engine.changes(h.ws(), None, None).unwrap().last_seq, 0);
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    event(&h, "1", 2);
    let act = |c: Command| h.engine.act(h.ws(), gid.as_str(), &c, &member()).unwrap();
    act(Command::Ack);
    act(Command::Ack); // already acknowledged: no change, no row
    act(Command::Assign {
        user: Some("bob".into()),
    });
    act(Command::Note {
        text: "looking".into(),
    });
    act(Command::Runbook {
        url: "https://runbooks.example/db".into(),
    });
    resolve(&h, "1");
    event(&h, "1", 3); // reopens
    use GroupStatus::*;
    let want: Vec<(i64, String, GroupStatus)> = [
        ("event", Open),
        ("event", Open),
        ("status", Acknowledged),
        ("assignee", Acknowledged),
        ("note", Acknowledged),
        ("runbook", Acknowledged),
        ("status", Resolved),
        ("event", Open),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (k, s))| (i as i64 + 1, k.to_string(), s))
    .collect();
    assert_eq!(kinds(&h, h.ws()), want);
    let page = h.engine.changes(h.ws(), Some(3), Some(2)).unwrap();
    assert_eq!(
        page.changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [4, 5]
    );
    assert_eq!(page.last_seq, 8);
    assert!(page.changes.iter().all(|c| c.group_id == gid));
    assert_eq!(page.changes[0].at, h.engine.now());
    assert!(
        h.engine
            .changes(h.ws(), Some(8), None)
            .unwrap()
            .changes
            .is_empty()
    );
    for (since, limit, path) in [
        (Some(-1), None, "since"),
        (None, Some(0), "limit"),
        (None, Some(1001), "limit"),
    ] {
        let e = h.engine.changes(h.ws(), since, limit).unwrap_err();
        assert_eq!(e.path(), Some(path));
    }
}

#[test]
fn failures_and_dry_runs_write_no_change_and_workspaces_number_apart() {
    let h = Harness::on_disk();
    let body = crate::common::fixture("sentry/issue_alert_triggered.docs.json");
    let hd = signalcraft_core::Headers::new().with("Sentry-Hook-Resource", "event_alert");
    h.engine
        .dry_run(h.ws(), Source::Sentry, &hd, &body, None)
        .unwrap();
    h.engine
        .ingest(h.ws(), Source::Sentry, &hd, b"{\"action\": 1}")
        .unwrap_err();
    let e = h
        .engine
        .act(h.ws(), "grp_nope", &Command::Ack, &member())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(h.engine.changes(h.ws(), None, None).unwrap().last_seq, 0);
    // a viewer's refused command changes nothing either
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    h.engine
        .act(
            h.ws(),
            gid.as_str(),
            &Command::Ack,
            &Actor::new("v", Role::Viewer),
        )
        .unwrap_err();
    assert_eq!(h.engine.changes(h.ws(), None, None).unwrap().last_seq, 1);
    let other = h.engine.create_workspace("globex").unwrap();
    h.engine
        .ingest(other.id.as_str(), Source::Sentry, &hd, &body)
        .unwrap();
    let theirs = h.engine.changes(other.id.as_str(), None, None).unwrap();
    assert_eq!(theirs.last_seq, 1);
    assert_ne!(theirs.changes[0].group_id, gid);
    assert_eq!(
        h.engine.changes(h.ws(), None, None).unwrap().changes.len(),
        1
    );
}

#[test]
fn tick_escalations_and_snooze_ends_are_changes_and_old_rows_are_purged() {
    let h = Harness::on_disk();
    with_policy(&h);
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    h.advance(TimeDelta::minutes(6));
    let fired = h.engine.tick(Some(h.ws())).unwrap();
    assert_eq!(fired.fired.len(), 1);
    h.engine
        .act(
            h.ws(),
            gid.as_str(),
            &Command::Snooze {
                until: h.engine.now() + TimeDelta::minutes(10),
            },
            &member(),
        )
        .unwrap();
    h.advance(TimeDelta::minutes(11));
    h.engine.tick(Some(h.ws())).unwrap();
    let got: Vec<(String, GroupStatus)> = kinds(&h, h.ws())
        .into_iter()
        .map(|(_, k, s)| (k, s))
        .collect();
    assert_eq!(
        got,
        [
            ("event".to_string(), GroupStatus::Open),
            ("escalation".to_string(), GroupStatus::Open),
            ("status".to_string(), GroupStatus::Snoozed),
            ("status".to_string(), GroupStatus::Open),
        ]
    );
    // a week later tick purges them; numbering goes on from where it was
    h.advance(TimeDelta::days(8));
    let mut s = h.engine.settings(h.ws()).unwrap();
    s.hygiene.auto_close_after_mins = 0;
    h.engine.set_settings(h.ws(), &s).unwrap();
    h.engine.tick(Some(h.ws())).unwrap();
    let page = h.engine.changes(h.ws(), None, None).unwrap();
    assert!(
        page.changes
            .iter()
            .all(|c| c.at >= h.engine.now() - TimeDelta::days(7)),
        "{page:?}"
    );
    let last = page.last_seq;
    assert!(last >= 4);
    h.engine
        .act(
            h.ws(),
            gid.as_str(),
            &Command::Note { text: "x".into() },
            &member(),
        )
        .unwrap();
    let page = h.engine.changes(h.ws(), Some(last), None).unwrap();
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].seq, last + 1);
}

#[test]
fn two_engines_on_one_file_number_changes_in_commit_order() {
    let h = Harness::on_disk();
    let other = Arc::new(
        crate::common::builder()
            .store(h.db_path())
            .clock(h.clock.clone())
            .build()
            .unwrap(),
    );
    let gid = event(&h, "1", 1).alerts[0].group_id.clone().unwrap();
    other
        .act(h.ws(), gid.as_str(), &Command::Ack, &member())
        .unwrap();
    // each engine sees the other's changes
    let seen = h.engine.changes(h.ws(), None, None).unwrap();
    assert_eq!(seen.last_seq, 2);
    assert_eq!(seen.changes[1].kind, "status");
    assert_eq!(
        other.changes(h.ws(), None, None).unwrap().changes[0].kind,
        "event"
    );

    // both write at once from threads: every seq once, no gap, and a poller that follows the
    // last seq it saw misses nothing
    let ws = h.ws().to_string();
    let base: serde_json::Value = serde_json::from_slice(&crate::common::fixture(
        "sentry/issue_alert_triggered.docs.json",
    ))
    .unwrap();
    let mut threads = Vec::new();
    for (t, engine) in [
        Arc::new(
            crate::common::builder()
                .store(h.db_path())
                .clock(h.clock.clone())
                .build()
                .unwrap(),
        ),
        other.clone(),
    ]
    .into_iter()
    .enumerate()
    {
        let (ws, base) = (ws.clone(), base.clone());
        threads.push(std::thread::spawn(move || {
            let hd = signalcraft_core::Headers::new().with("Sentry-Hook-Resource", "event_alert");
            for n in 0..25 {
                let mut doc = base.clone();
                doc["data"]["event"]["event_id"] = format!("{:032x}", 1000 + t * 100 + n).into();
                let out = engine
                    .ingest(&ws, Source::Sentry, &hd, doc.to_string().as_bytes())
                    .unwrap();
                assert_ne!(
                    out.alerts[0].decision,
                    signalcraft_core::IngestDecision::Duplicate
                );
            }
        }));
    }
    let mut followed = Vec::new();
    let mut since = 2;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while followed.len() < 50 && std::time::Instant::now() < deadline {
        let page = other.changes(&ws, Some(since), Some(7)).unwrap();
        for c in &page.changes {
            followed.push(c.seq);
            since = c.seq;
        }
        if page.changes.is_empty() {
            if threads.iter().all(|t| t.is_finished()) && page.last_seq == since {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(followed, (3..=52).collect::<Vec<i64>>());
    assert_eq!(h.engine.changes(&ws, None, None).unwrap().last_seq, 52);
}
