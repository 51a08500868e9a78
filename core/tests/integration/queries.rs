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

/// 40 groups with many ties: four share each receipt second, severities repeat every five,
/// counts 1 to 3 repeat, a few assigned; some acknowledged or resolved.
fn tied() -> Harness {
    let h = Harness::on_disk();
    let levels = ["debug", "info", "warning", "error", "fatal"];
    for i in 0..40u32 {
        if i % 4 == 0 {
            h.advance(TimeDelta::seconds(1));
        }
        let env = if i % 2 == 0 { "production" } else { "staging" };
        h.sentry("event_alert", &event(i, env, levels[(i % 5) as usize]))
            .unwrap();
    }
    h.advance(TimeDelta::seconds(1));
    // joins: group i gets i % 3 more events, in one later second (more ties on last_seen)
    for i in 0..40u32 {
        for j in 0..(i % 3) {
            let mut doc: serde_json::Value =
                serde_json::from_slice(&event(i, "x", "debug")).unwrap();
            let e = &mut doc["data"]["event"];
            e["environment"] = (if i % 2 == 0 { "production" } else { "staging" }).into();
            e["level"] = levels[(i % 5) as usize].into();
            e["event_id"] = format!("{:016x}{:016x}", i + 1000, j + 1).into();
            h.sentry("event_alert", doc.to_string().as_bytes()).unwrap();
        }
    }
    h
}

fn all_pages(h: &Harness, base: &GroupQuery, limit: u32) -> Vec<signalcraft_core::AlertGroup> {
    let mut out = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
        let page = h
            .engine
            .groups(
                h.ws(),
                &GroupQuery {
                    limit: Some(limit),
                    cursor: cursor.clone(),
                    ..base.clone()
                },
            )
            .unwrap();
        assert!(page.groups.len() <= limit as usize);
        out.extend(page.groups);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
    panic!("no last page after 1000 pages");
}

#[test]
fn every_sort_pages_exactly_with_ties() {
    use signalcraft_core::{GroupSort, SortOrder};
    let h = tied();
    for sort in [
        GroupSort::LastSeen,
        GroupSort::FirstSeen,
        GroupSort::Severity,
        GroupSort::Count,
        GroupSort::LastActivity,
    ] {
        for order in [SortOrder::Desc, SortOrder::Asc] {
            let base = GroupQuery {
                sort,
                order,
                ..Default::default()
            };
            let whole = all_pages(&h, &base, 1000);
            assert_eq!(whole.len(), 40, "{sort:?} {order:?}");
            for limit in [1, 3, 7] {
                let paged = all_pages(&h, &base, limit);
                let ids = |v: &[signalcraft_core::AlertGroup]| {
                    v.iter().map(|g| g.id.0.clone()).collect::<Vec<_>>()
                };
                assert_eq!(ids(&paged), ids(&whole), "{sort:?} {order:?} limit {limit}");
            }
            let key = |g: &signalcraft_core::AlertGroup| -> i64 {
                match sort {
                    GroupSort::LastSeen => g.last_seen.timestamp_millis(),
                    GroupSort::FirstSeen => g.first_seen.timestamp_millis(),
                    GroupSort::Severity => g.severity.rank(),
                    GroupSort::Count => g.count as i64,
                    _ => g.last_activity.timestamp_millis(),
                }
            };
            let keys: Vec<i64> = whole.iter().map(key).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if order == SortOrder::Desc {
                sorted.reverse();
            }
            assert_eq!(keys, sorted, "{sort:?} {order:?} in order");
            // there are ties to get right
            let mut distinct = keys.clone();
            distinct.dedup();
            assert!(distinct.len() < keys.len(), "{sort:?} has ties");
        }
    }
    // severity ties are broken the same way in both orders: asc is desc reversed
    let desc = all_pages(
        &h,
        &GroupQuery {
            sort: GroupSort::Severity,
            ..Default::default()
        },
        5,
    );
    let mut asc = all_pages(
        &h,
        &GroupQuery {
            sort: GroupSort::Severity,
            order: SortOrder::Asc,
            ..Default::default()
        },
        5,
    );
    asc.reverse();
    assert_eq!(desc, asc);
    // a cursor belongs to its sort
    let first = h
        .engine
        .groups(
            h.ws(),
            &GroupQuery {
                sort: GroupSort::Count,
                limit: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
    let e = h
        .engine
        .groups(
            h.ws(),
            &GroupQuery {
                sort: GroupSort::FirstSeen,
                cursor: first.next_cursor,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.path(), Some("cursor"));
}

#[test]
fn filters_by_statuses_severities_assignee_text_and_time() {
    use signalcraft_core::engine::Actor;
    use signalcraft_core::lifecycle::{Command, Role};
    let h = tied();
    let all = all_pages(&h, &GroupQuery::default(), 1000);
    let owner = Actor::new("alice", Role::Owner);
    for g in all.iter().take(6) {
        h.engine
            .act(h.ws(), g.id.as_str(), &Command::Ack, &owner)
            .unwrap();
    }
    for g in all.iter().skip(6).take(4) {
        h.engine
            .act(h.ws(), g.id.as_str(), &Command::Resolve, &owner)
            .unwrap();
    }
    for g in all.iter().skip(2).take(3) {
        h.engine
            .act(
                h.ws(),
                g.id.as_str(),
                &Command::Assign {
                    user: Some("bob".into()),
                },
                &owner,
            )
            .unwrap();
    }
    let q =
        |v: serde_json::Value| all_pages(&h, &signalcraft_core::host::group_query(v).unwrap(), 4);
    assert_eq!(q(serde_json::json!({"status": "open"})).len(), 30);
    assert_eq!(
        q(serde_json::json!({"status": "acknowledged,resolved"})).len(),
        10
    );
    assert_eq!(
        q(serde_json::json!({"status": ["acknowledged", "open"]})).len(),
        36
    );
    let sev = q(serde_json::json!({"severity": "critical,error"}));
    assert_eq!(sev.len(), 16);
    assert!(sev.iter().all(|g| g.severity >= Severity::Error));
    let both = q(
        serde_json::json!({"severity": ["debug"], "status": "open", "environment": "production"}),
    );
    assert!(both.iter().all(|g| g.severity == Severity::Debug
        && g.status == GroupStatus::Open
        && g.environment.as_deref() == Some("production")));
    assert_eq!(q(serde_json::json!({"assignee": "bob"})).len(), 3);
    assert_eq!(q(serde_json::json!({"assignee": "none"})).len(), 37);
    assert_eq!(q(serde_json::json!({"assignee": "carol"})).len(), 0);
    // text search over title and message, wildcards literal
    let title = all[0].title.clone();
    let word: String = title.chars().skip(1).take(6).collect();
    assert_eq!(
        q(serde_json::json!({"q": word.to_uppercase()})).len(),
        40,
        "{word}"
    );
    assert_eq!(q(serde_json::json!({"q": "%"})).len(), 0);
    assert_eq!(q(serde_json::json!({"q": "_"})).len(), 0);
    if let Some(m) = all[0].message.as_deref() {
        let part: String = m.chars().take(5).collect();
        assert!(!q(serde_json::json!({"q": part})).is_empty());
    }
    assert_eq!(
        q(serde_json::json!({"q": "no such text anywhere"})).len(),
        0
    );
    let e = signalcraft_core::host::group_query(serde_json::json!({"q": "x".repeat(300)}))
        .map(|q| h.engine.groups(h.ws(), &q));
    assert!(matches!(e, Ok(Err(ref e)) if e.path() == Some("q")));
    // since/until on last_seen: the first ten seconds' groups that were never joined
    let cut = crate::common::t0() + TimeDelta::seconds(5);
    let before = q(serde_json::json!({"until": cut.to_rfc3339()}));
    let after = q(serde_json::json!({"since": cut.to_rfc3339()}));
    assert_eq!(before.len() + after.len(), 40);
    assert!(!before.is_empty() && !after.is_empty());
    assert!(before.iter().all(|g| g.last_seen < cut));
    assert!(after.iter().all(|g| g.last_seen >= cut));
    // host text: empty values are absent, bad names are named
    assert_eq!(
        q(serde_json::json!({"status": "", "q": "", "limit": "3"})).len(),
        40
    );
    let e = signalcraft_core::host::group_query(serde_json::json!({"status": "open,closed"}))
        .unwrap_err();
    assert_eq!(e.path(), Some("query"));
    assert!(
        e.to_string().contains("status: unknown status \"closed\""),
        "{e}"
    );
    let e = signalcraft_core::host::group_query(serde_json::json!({"sort": "colour"})).unwrap_err();
    assert_eq!(e.path(), Some("query"));
}

/// Every inbox column sorts on the server: status (open first), title (ASCII case folded),
/// source, project, environment and assignee (missing ones as the empty text), each paging
/// exactly through ties in both orders.
#[test]
fn status_and_text_columns_sort_and_page_exactly() {
    use signalcraft_core::engine::Actor;
    use signalcraft_core::lifecycle::{Command, Role};
    use signalcraft_core::{GroupSort, SortOrder};
    let h = Harness::on_disk();
    let titles = ["beta", "Alpha", "alpha", "Gamma", "beta", "delta"];
    let alice = Actor {
        name: "alice".into(),
        role: Role::Member,
    };
    let mut ids = Vec::new();
    for i in 0..30u32 {
        let mut doc: serde_json::Value = serde_json::from_slice(&event(
            i,
            ["production", "staging", "Dev"][(i % 3) as usize],
            "error",
        ))
        .unwrap();
        doc["data"]["event"]["title"] = format!("{} {}", titles[(i % 6) as usize], i % 4).into();
        let out = h.sentry("event_alert", doc.to_string().as_bytes()).unwrap();
        let id = out.alerts[0].group_id.clone().unwrap().0;
        let cmd = match i % 5 {
            1 => Some(Command::Ack),
            2 => Some(Command::Resolve),
            3 => Some(Command::Assign {
                user: Some(["bob", "Alice"][(i % 2) as usize].into()),
            }),
            _ => None,
        };
        if let Some(c) = cmd {
            h.engine.act(h.ws(), &id, &c, &alice).unwrap();
        }
        ids.push(id);
        h.advance(TimeDelta::seconds(1));
    }
    let rank = |s: GroupStatus| match s {
        GroupStatus::Open => 3,
        GroupStatus::Acknowledged => 2,
        GroupStatus::Snoozed => 1,
        GroupStatus::Resolved => 0,
    };
    for sort in [
        GroupSort::Status,
        GroupSort::Title,
        GroupSort::Source,
        GroupSort::Project,
        GroupSort::Environment,
        GroupSort::Assignee,
    ] {
        for order in [SortOrder::Desc, SortOrder::Asc] {
            let base = GroupQuery {
                sort,
                order,
                ..Default::default()
            };
            let whole = all_pages(&h, &base, 1000);
            assert_eq!(whole.len(), 30, "{sort:?} {order:?}");
            for limit in [1, 4] {
                let paged = all_pages(&h, &base, limit);
                let ids = |v: &[signalcraft_core::AlertGroup]| {
                    v.iter().map(|g| g.id.0.clone()).collect::<Vec<_>>()
                };
                assert_eq!(ids(&paged), ids(&whole), "{sort:?} {order:?} limit {limit}");
            }
            let key = |g: &signalcraft_core::AlertGroup| -> (i64, String) {
                let t = |s: Option<&str>| s.unwrap_or_default().to_ascii_lowercase();
                match sort {
                    GroupSort::Status => (rank(g.status), String::new()),
                    GroupSort::Title => (0, t(Some(&g.title))),
                    GroupSort::Source => (0, t(Some(g.source.as_str()))),
                    GroupSort::Project => (0, t(g.project.as_deref())),
                    GroupSort::Environment => (0, t(g.environment.as_deref())),
                    _ => (0, t(g.assignee.as_deref())),
                }
            };
            let keys: Vec<_> = whole.iter().map(key).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if order == SortOrder::Desc {
                sorted.reverse();
            }
            assert_eq!(keys, sorted, "{sort:?} {order:?} in order");
        }
    }
    // desc puts open first and the unassigned last
    let by_status = all_pages(
        &h,
        &GroupQuery {
            sort: GroupSort::Status,
            ..Default::default()
        },
        50,
    );
    assert_eq!(by_status[0].status, GroupStatus::Open);
    assert_eq!(by_status[29].status, GroupStatus::Resolved);
    let by_assignee = all_pages(
        &h,
        &GroupQuery {
            sort: GroupSort::Assignee,
            ..Default::default()
        },
        50,
    );
    assert_eq!(by_assignee[0].assignee.as_deref(), Some("bob"));
    assert_eq!(by_assignee[29].assignee, None);
    let q: GroupQuery =
        serde_json::from_value(serde_json::json!({"sort": "title", "order": "asc"})).unwrap();
    assert_eq!(q.sort, GroupSort::Title);
    assert!(serde_json::from_value::<GroupQuery>(serde_json::json!({"sort": "colour"})).is_err());
}
