//! Group commit: single-delivery ingests from several threads share one transaction and one
//! COMMIT (`Store::write_grouped`), each caller answered only after that commit. The answers and
//! the stored state equal those of the same deliveries ingested one after another in the order
//! the commits applied them; a failing member stores nothing and leaves the others committed;
//! other writers (rules, the dispatcher) interleave with open groups.

use crate::batch::sentry_body;
use crate::common::StoreUnderTest;
use crate::common::{Db, Harness, fixture};
use crate::http::{Reply, TestServer};
use serde_json::json;
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::{Engine, ErrorKind, Headers, IngestOutcome, Outcome, RuleSet, Source};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const THREADS: usize = 8;

/// One delivery of a stream.
#[derive(Clone)]
struct Item {
    source: Source,
    headers: Headers,
    body: Vec<u8>,
}

fn item(source: Source, headers: Headers, body: Vec<u8>) -> Item {
    Item {
        source,
        headers,
        body,
    }
}

fn event_alert(request_id: Option<&str>) -> Headers {
    let h = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    match request_id {
        Some(id) => h.with("Request-ID", id),
        None => h,
    }
}

/// A mixed stream of real payloads: Sentry event alerts over a few issues (some repeated,
/// some sharing a delivery id), Sentry issue webhooks (created, resolved, assigned), an
/// installation (ignored), Alertmanager firing and resolved notifications, Grafana deliveries
/// without a valid signature (the workspace's Grafana integration has a secret) and a body
/// that is not JSON.
fn mixed_stream() -> Vec<Item> {
    let issue = |r: &str| Headers::new().with("Sentry-Hook-Resource", r);
    let mut out = Vec::new();
    for i in 0..24 {
        // the zulip issue fixtures' issue id, so that their resolve meets these events
        let issue_id = if i % 4 == 0 {
            "1638821441"
        } else {
            ["7", "8", "9"][i % 3]
        };
        // Two deliveries share each delivery id, and a repeated event has no delivery id: a
        // duplicate's answer (and reason) does not depend on where it falls in the order.
        let rid = (i % 5 == 2).then(|| format!("req-{}", i / 10));
        out.push(item(
            Source::Sentry,
            event_alert(rid.as_deref()),
            sentry_body(&format!("ev-{i}"), issue_id, &format!("event {i}")),
        ));
        if i % 6 == 3 {
            // the same event again: a duplicate by event id
            out.push(item(
                Source::Sentry,
                event_alert(None),
                sentry_body(&format!("ev-{i}"), issue_id, &format!("event {i}")),
            ));
        }
    }
    for _ in 0..3 {
        out.push(item(
            Source::Sentry,
            issue("issue"),
            fixture("sentry/issue_created.zulip.json"),
        ));
        out.push(item(
            Source::Sentry,
            issue("issue"),
            fixture("sentry/issue_resolved.zulip.json"),
        ));
        out.push(item(
            Source::Sentry,
            issue("issue"),
            fixture("sentry/issue_assigned.zulip.json"),
        ));
    }
    out.push(item(
        Source::Sentry,
        issue("installation"),
        fixture("sentry/installation_created.docs.json"),
    ));
    for _ in 0..4 {
        for f in [
            "alertmanager/alertmanager-bot_firing.json",
            "alertmanager/alertmanager-bot_resolved.json",
            "alertmanager/prometheus-msteams_firing_3_alerts.json",
            "alertmanager/zulip_firing_2_alerts.json",
        ] {
            out.push(item(Source::Alertmanager, Headers::new(), fixture(f)));
        }
    }
    let grafana = fixture("grafana/grafana_docs_firing_2_alerts.json");
    out.push(item(Source::Grafana, Headers::new(), grafana.clone()));
    out.push(item(
        Source::Grafana,
        Headers::new().with("X-Grafana-Alerting-Signature", "00ff"),
        grafana,
    ));
    out.push(item(
        Source::Sentry,
        event_alert(None),
        b"{\"action\": \"triggered\", \"data\": ".to_vec(),
    ));
    out
}

/// A workspace whose every event notifies a channel (so that ingests write outbox rows) and
/// whose Grafana integration has a secret.
fn configured() -> Harness {
    let h = Harness::on_disk();
    let rules = RuleSet::from_json(&json!([
        {"id": "crit", "when": {"field": "severity", "op": "eq", "value": "critical"},
         "then": {"notify": ["oncall"]}},
        {"id": "all", "when": {}, "then": {"notify": ["pager"], "repeat_interval_mins": 1}}
    ]))
    .unwrap();
    h.engine.put_rules(h.ws(), &rules).unwrap();
    h.configure(
        Source::Grafana,
        serde_json::Value::Null,
        Some("grafana-secret"),
    );
    h
}

/// What an answer says, without the ids that depend on the workspace's id.
fn answer(r: &signalcraft_core::Result<IngestOutcome>) -> String {
    match r {
        Ok(o) => {
            let alerts: Vec<String> = o
                .alerts
                .iter()
                .map(|a| {
                    format!(
                        "{:?} {:?} {} {} {} {}",
                        a.decision,
                        a.status,
                        a.count,
                        a.severity.as_str(),
                        a.fingerprint,
                        a.route
                            .as_ref()
                            .map(|r| format!("{:?}", r.notify))
                            .unwrap_or_default()
                    )
                })
                .collect();
            format!("{} {:?} {:?}", o.outcome.as_str(), o.reason, alerts)
        }
        Err(e) => format!("error {}", e.kind().as_str()),
    }
}

/// Ingests every item from `THREADS` threads at once (a shared work queue), answering each
/// item's result by index.
fn concurrently(
    engine: &Arc<Engine>,
    ws: &str,
    items: &Arc<Vec<Item>>,
) -> Vec<signalcraft_core::Result<IngestOutcome>> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (engine, items, next, start) =
                (engine.clone(), items.clone(), next.clone(), start.clone());
            let ws = ws.to_string();
            std::thread::spawn(move || {
                start.wait();
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(it) = items.get(i) else { break };
                    out.push((i, engine.ingest(&ws, it.source, &it.headers, &it.body)));
                }
                out
            })
        })
        .collect();
    let mut results: Vec<Option<signalcraft_core::Result<IngestOutcome>>> =
        (0..items.len()).map(|_| None).collect();
    for h in handles {
        for (i, r) in h.join().unwrap() {
            results[i] = Some(r);
        }
    }
    results.into_iter().map(|r| r.unwrap()).collect()
}

/// The stored state, without ids that depend on the workspace's id: groups (key, status,
/// count, reopen count, severity, title) by key and first appearance; events in request order
/// (request rank, decision, status, severity, title, source event id, group key); outbox rows
/// in order (group key, channel, kind, status); requests (source, delivery id) in order.
fn state(db: &std::path::Path) -> Vec<String> {
    let conn = Db::open(db);
    let rows = |sql: &str| -> Vec<String> {
        conn.rows(sql)
            .into_iter()
            .map(|r| {
                r.iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect()
    };
    let mut out = Vec::new();
    out.push("groups".to_string());
    out.extend(rows(
        "SELECT group_key, status, count, reopen_count, severity, title FROM alert_groups
         ORDER BY first_seen, group_key, reopen_count",
    ));
    out.push("events".to_string());
    out.extend(rows(
        "SELECT (SELECT COUNT(*) FROM requests r WHERE r.seq <= e.request_seq), e.decision,
                e.status, e.severity, e.title, e.source_event_id, g.group_key, e.route
         FROM alert_events e LEFT JOIN alert_groups g ON g.id = e.group_id
         ORDER BY e.request_seq, e.seq",
    ));
    out.push("outbox".to_string());
    out.extend(rows(
        "SELECT g.group_key, o.channel, o.kind, o.status FROM outbox o
         LEFT JOIN alert_groups g ON g.id = o.group_id ORDER BY o.seq",
    ));
    out.push("requests".to_string());
    out.extend(rows(
        "SELECT source, delivery_id FROM requests ORDER BY seq",
    ));
    out
}

/// The request sequence number an accepted outcome's events were stored under.
fn request_seq(db: &std::path::Path, o: &IngestOutcome) -> Option<i64> {
    let id = o.alerts.iter().find_map(|a| a.event_id.clone())?;
    Some(Db::open(db).int(&format!(
        "SELECT request_seq FROM alert_events WHERE id = {}",
        crate::common::lit(&id)
    )))
}

/// (a) The mixed stream from 8 threads at once, then the same deliveries one after another in
/// the order the concurrent run's commits applied them (deliveries that stored nothing — a
/// duplicate, an ignored resource, a refused one — last): every answer and the whole stored
/// state are the same.
#[test]
fn concurrent_ingest_equals_one_after_another_in_commit_order() {
    let items = Arc::new(mixed_stream());
    let a = configured();
    let db_a = a.db_path();
    let engine = Arc::new(a.engine);
    let got = concurrently(&engine, a.ws.id.as_str(), &items);
    let kinds: Vec<&str> = got
        .iter()
        .map(|r| match r {
            Ok(o) => o.outcome.as_str(),
            Err(e) => e.kind().as_str(),
        })
        .collect();
    for k in [
        "accepted",
        "duplicate",
        "ignored",
        "signature",
        "invalid_input",
    ] {
        assert!(kinds.contains(&k), "the stream holds no {k}: {kinds:?}");
    }
    // the serial order the commits applied: accepted deliveries by request sequence
    let mut order: Vec<(i64, usize)> = Vec::new();
    let mut rest = Vec::new();
    for (i, r) in got.iter().enumerate() {
        match r.as_ref().ok().and_then(|o| request_seq(&db_a, o)) {
            Some(seq) if r.as_ref().is_ok_and(|o| o.outcome == Outcome::Accepted) => {
                order.push((seq, i))
            }
            _ => rest.push(i),
        }
    }
    order.sort();
    let serial_order: Vec<usize> = order.iter().map(|(_, i)| *i).chain(rest).collect();

    let b = configured();
    for &i in &serial_order {
        let it = &items[i];
        let r = b.engine.ingest(b.ws(), it.source, &it.headers, &it.body);
        assert_eq!(answer(&r), answer(&got[i]), "delivery {i}'s answer");
    }
    let (sa, sb) = (state(&db_a), state(&b.db_path()));
    assert!(sa.len() > 40, "{sa:#?}");
    assert_eq!(sa, sb);
    // nothing half-stored: one request row per accepted delivery
    let requests = sa.iter().skip_while(|l| *l != "requests").count() - 1;
    assert_eq!(requests, order.len());
    drop(engine);
}

/// (b) 8 threads send the same 30 deliveries (each thread in its own order): 15 share a
/// delivery id, 15 an event id. Each is accepted once and a duplicate everywhere else; each
/// is stored once.
#[test]
fn the_same_deliveries_from_eight_threads_are_stored_once() {
    let h = Harness::on_disk();
    let db = h.db_path();
    let ws = h.ws.id.to_string();
    hammer_the_same(&[Arc::new(h.engine)], &ws, &db);
}

/// (b) The same with two engines on one database file, 4 threads each: each engine groups its
/// own callers, and the other's transactions wait for the file's write lock (busy timeout).
#[test]
fn the_same_deliveries_from_two_engines_on_one_file_are_stored_once() {
    let h = Harness::on_disk();
    let db = h.db_path();
    let ws = h.ws.id.to_string();
    let other = crate::common::builder()
        .store(&db)
        .clock(h.clock.clone())
        .build()
        .unwrap();
    hammer_the_same(&[Arc::new(h.engine), Arc::new(other)], &ws, &db);
}

fn hammer_the_same(engines: &[Arc<Engine>], ws: &str, db: &std::path::Path) {
    let items: Arc<Vec<Item>> = Arc::new(
        (0..30)
            .map(|i| {
                let rid = (i % 2 == 0).then(|| format!("delivery-{i}"));
                item(
                    Source::Sentry,
                    event_alert(rid.as_deref()),
                    sentry_body(&format!("same-{i}"), &format!("{}", i % 4), "same"),
                )
            })
            .collect(),
    );
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let engine = engines[t % engines.len()].clone();
            let (items, start) = (items.clone(), start.clone());
            let ws = ws.to_string();
            std::thread::spawn(move || {
                start.wait();
                let mut accepted = Vec::new();
                for k in 0..items.len() {
                    let i = (k * 7 + t * 11) % items.len();
                    let it = &items[i];
                    let o = engine
                        .ingest(&ws, it.source, &it.headers, &it.body)
                        .unwrap();
                    match o.outcome {
                        Outcome::Accepted => accepted.push(i),
                        Outcome::Duplicate => {}
                        other => panic!("delivery {i}: {other:?}"),
                    }
                }
                accepted
            })
        })
        .collect();
    let mut accepted: Vec<usize> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    accepted.sort();
    assert_eq!(
        accepted,
        (0..30).collect::<Vec<_>>(),
        "each accepted exactly once"
    );
    let conn = Db::open(db);
    let one = |sql: &str| -> i64 { conn.int(sql) };
    assert_eq!(one("SELECT COUNT(*) FROM requests"), 30);
    assert_eq!(one("SELECT COUNT(*) FROM alert_events"), 30);
    assert_eq!(
        one("SELECT COUNT(DISTINCT source_event_id) FROM alert_events"),
        30
    );
    assert_eq!(one("SELECT COUNT(*) FROM alert_groups"), 4);
    assert_eq!(
        one("SELECT CAST(SUM(count) AS BIGINT) FROM alert_groups"),
        30
    );
}

/// A sample of the engine's metrics text.
fn metric(engine: &Engine, name: &str) -> f64 {
    let text = engine.metrics_text().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// (c) Deliveries whose write fails (a trigger refuses their event: `RAISE(ABORT)` fails the
/// statement, `RAISE(ROLLBACK)` makes SQLite roll the whole transaction back) among others from
/// 8 threads: each failing one answers a storage error and stores nothing, every other one is
/// accepted and stored, exactly as if each had been ingested alone.
#[test]
fn a_failing_member_stores_nothing_and_the_others_commit() {
    let h = Harness::on_disk();
    let db = Db::open(h.db_path());
    if crate::common::on_postgres() {
        // PostgreSQL has no RAISE(ROLLBACK): any error fails the whole transaction unless the
        // writer rolls back to a savepoint; the second trigger raises an error of the
        // transaction-rollback class (40000), the first a plain one.
        db.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF NEW.title = 'refused by abort' THEN
                 RAISE EXCEPTION 'refused by the test';
               ELSIF NEW.title = 'refused by rollback' THEN
                 RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'transaction_rollback';
               END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER refuse BEFORE INSERT ON alert_events
               FOR EACH ROW EXECUTE FUNCTION refuse();",
        );
    } else {
        db.execute(
            "CREATE TRIGGER refuse_abort BEFORE INSERT ON alert_events
               WHEN NEW.title = 'refused by abort'
               BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
             CREATE TRIGGER refuse_rollback BEFORE INSERT ON alert_events
               WHEN NEW.title = 'refused by rollback'
               BEGIN SELECT RAISE(ROLLBACK, 'refused by the test'); END;",
        );
    }
    let items: Arc<Vec<Item>> = Arc::new(
        (0..160)
            .map(|i| {
                let title = match i % 8 {
                    3 => "refused by abort",
                    6 => "refused by rollback",
                    _ => "kept",
                };
                item(
                    Source::Sentry,
                    event_alert(None),
                    sentry_body(&format!("f-{i}"), &format!("{}", i % 5), title),
                )
            })
            .collect(),
    );
    let db = h.db_path();
    let engine = Arc::new(h.engine);
    let commits = metric(&engine, "signalcraft_store_commits_total");
    let got = concurrently(&engine, h.ws.id.as_str(), &items);
    for (i, r) in got.iter().enumerate() {
        match i % 8 {
            3 | 6 => assert_eq!(
                r.as_ref().map(|o| o.outcome).unwrap_err().kind(),
                ErrorKind::Storage,
                "delivery {i}"
            ),
            _ => assert_eq!(
                r.as_ref().unwrap().outcome,
                Outcome::Accepted,
                "delivery {i}"
            ),
        }
    }
    let conn = Db::open(&db);
    let one = |sql: &str| -> i64 { conn.int(sql) };
    assert_eq!(one("SELECT COUNT(*) FROM requests"), 120);
    assert_eq!(
        one("SELECT COUNT(*) FROM alert_events WHERE title = 'kept'"),
        120
    );
    assert_eq!(one("SELECT COUNT(*) FROM alert_events"), 120);
    assert_eq!(
        one("SELECT CAST(SUM(count) AS BIGINT) FROM alert_groups"),
        120
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM alert_groups WHERE title <> 'kept'"),
        0,
        "a refused delivery's group"
    );
    let twice = one(
        "SELECT COUNT(*) FROM (SELECT group_key FROM alert_groups WHERE status <> 'resolved'
         GROUP BY group_key HAVING COUNT(*) > 1) AS twice",
    );
    assert_eq!(twice, 0);
    assert!(metric(&engine, "signalcraft_store_commits_total") > commits);
    // a failing delivery shared a group with others, which were rolled back and ran again
    // alone (40 failing among 160 from 8 threads: some always meet others in a group)
    assert!(metric(&engine, "signalcraft_group_reruns_total") > 0.0);
}

/// (c) A delivery whose COMMIT fails (a trigger adds a row breaking a deferred foreign key,
/// which SQLite checks at COMMIT) among others from 8 threads: its group is rolled back whole
/// and every member runs again alone, so the failing one answers a storage error and stores
/// nothing, and every other one is accepted and stored.
#[test]
fn a_failed_group_commit_fails_only_the_delivery_that_broke_it() {
    let h = Harness::on_disk();
    let db = h.db_path();
    if crate::common::on_postgres() {
        // PostgreSQL checks a deferred foreign key at COMMIT too
        Db::open(&db).execute(
            "CREATE TABLE test_dangling (ref TEXT COLLATE \"C\" REFERENCES workspaces(id)
               DEFERRABLE INITIALLY DEFERRED);
             CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF NEW.title = 'refused at commit' THEN
                 INSERT INTO test_dangling VALUES ('no such workspace');
               END IF;
               RETURN NULL;
             END $$;
             CREATE TRIGGER refuse_at_commit AFTER INSERT ON alert_events
               FOR EACH ROW EXECUTE FUNCTION refuse_at_commit();",
        );
    } else {
        Db::open(&db).execute(
            "CREATE TABLE test_dangling (ref TEXT REFERENCES workspaces(id)
               DEFERRABLE INITIALLY DEFERRED);
             CREATE TRIGGER refuse_at_commit AFTER INSERT ON alert_events
               WHEN NEW.title = 'refused at commit'
               BEGIN INSERT INTO test_dangling VALUES ('no such workspace'); END;",
        );
    }
    let items: Arc<Vec<Item>> = Arc::new(
        (0..160)
            .map(|i| {
                let title = if i % 8 == 5 {
                    "refused at commit"
                } else {
                    "kept"
                };
                item(
                    Source::Sentry,
                    event_alert(None),
                    sentry_body(&format!("c-{i}"), &format!("{}", i % 5), title),
                )
            })
            .collect(),
    );
    let engine = Arc::new(h.engine);
    let reruns = metric(&engine, "signalcraft_group_reruns_total");
    let got = concurrently(&engine, h.ws.id.as_str(), &items);
    for (i, r) in got.iter().enumerate() {
        if i % 8 == 5 {
            let e = r.as_ref().map(|o| o.outcome).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Storage, "delivery {i}: {e}");
            assert!(e.to_string().contains("committing"), "delivery {i}: {e}");
        } else {
            assert_eq!(
                r.as_ref().unwrap().outcome,
                Outcome::Accepted,
                "delivery {i}"
            );
        }
    }
    let conn = Db::open(&db);
    let one = |sql: &str| -> i64 { conn.int(sql) };
    assert_eq!(one("SELECT COUNT(*) FROM requests"), 140);
    assert_eq!(one("SELECT COUNT(*) FROM alert_events"), 140);
    assert_eq!(one("SELECT COUNT(*) FROM test_dangling"), 0);
    assert_eq!(
        one("SELECT CAST(SUM(count) AS BIGINT) FROM alert_groups"),
        140
    );
    assert!(metric(&engine, "signalcraft_group_reruns_total") > reruns);
}

/// (d) Grouping happens: 8 threads × 40 single ingests are all committed through group commits
/// (`signalcraft_grouped_writes_total` counts each), in fewer COMMITs than deliveries
/// (`signalcraft_store_commits_total`). Threads queue for the one writer whenever one writes,
/// so a commit shared by two or more is certain over 320 deliveries, however loaded the machine.
#[test]
fn concurrent_ingests_share_commits() {
    let h = Harness::on_disk();
    let items: Arc<Vec<Item>> = Arc::new(
        (0..320)
            .map(|i| {
                item(
                    Source::Sentry,
                    event_alert(None),
                    sentry_body(&format!("g-{i}"), &format!("{}", i % 10), "grouped"),
                )
            })
            .collect(),
    );
    let db = h.db_path();
    let engine = Arc::new(h.engine);
    let commits = metric(&engine, "signalcraft_store_commits_total");
    let grouped = metric(&engine, "signalcraft_grouped_writes_total");
    let answers: Vec<String> = concurrently(&engine, h.ws.id.as_str(), &items)
        .iter()
        .map(answer)
        .collect();
    assert!(
        answers.iter().all(|a| a.starts_with("accepted")),
        "{answers:?}"
    );
    let commits = metric(&engine, "signalcraft_store_commits_total") - commits;
    let grouped = metric(&engine, "signalcraft_grouped_writes_total") - grouped;
    assert_eq!(
        grouped, 320.0,
        "every single ingest goes through a group commit"
    );
    assert!(
        commits < 320.0,
        "{commits} commits for 320 concurrent ingests: nothing was grouped"
    );
    // one after another, each delivery is its own commit
    let before = metric(&engine, "signalcraft_store_commits_total");
    for i in 0..5 {
        let body = sentry_body(&format!("alone-{i}"), "1", "alone");
        engine
            .ingest(h.ws.id.as_str(), Source::Sentry, &event_alert(None), &body)
            .unwrap();
    }
    assert_eq!(
        metric(&engine, "signalcraft_store_commits_total") - before,
        5.0
    );
    let events = Db::open(&db).int("SELECT COUNT(*) FROM alert_events");
    assert_eq!(events, 325);
}

/// (e) Groups open while other writers run: rules replaced back and forth between two channels
/// and the dispatcher delivering to a loopback receiver, while 6 threads ingest. Every
/// delivery is stored once, each event's notifications follow one rule set whole (the one it was
/// routed with), the outbox holds exactly the notifications decided, and each sent one reached
/// the receiver once.
#[test]
fn groups_interleave_with_rule_changes_and_the_dispatcher() {
    let server = TestServer::start(|_, _| Reply::status(204));
    let h = configured_channels(&server);
    let ingesters = 6;
    let per_thread = 40;
    let db = h.db_path();
    let engine = Arc::new(h.engine);
    let ws = h.ws.id.to_string();
    let start = Arc::new(Barrier::new(ingesters + 2));
    let done = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for t in 0..ingesters {
        let (engine, ws, start, done) = (engine.clone(), ws.clone(), start.clone(), done.clone());
        handles.push(std::thread::spawn(move || {
            start.wait();
            for i in 0..per_thread {
                let body = sentry_body(&format!("w{t}-{i}"), &format!("{t}-{}", i % 8), "mixed");
                let o = engine
                    .ingest(&ws, Source::Sentry, &event_alert(None), &body)
                    .unwrap();
                assert_eq!(o.outcome, Outcome::Accepted);
            }
            done.fetch_add(1, Ordering::SeqCst);
        }));
    }
    {
        let (engine, ws, start, done) = (engine.clone(), ws.clone(), start.clone(), done.clone());
        handles.push(std::thread::spawn(move || {
            start.wait();
            let mut k = 0;
            while done.load(Ordering::SeqCst) < ingesters {
                engine.put_rules(&ws, &rules_to(["a", "b"][k % 2])).unwrap();
                k += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
        }));
    }
    {
        let (engine, start, done) = (engine.clone(), start.clone(), done.clone());
        handles.push(std::thread::spawn(move || {
            start.wait();
            while done.load(Ordering::SeqCst) < ingesters {
                engine.dispatch(None, Duration::from_millis(5)).unwrap();
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    let report = engine.dispatch(None, Duration::from_secs(10)).unwrap();
    assert_eq!(report.failed, 0);

    let n = (ingesters * per_thread) as i64;
    let conn = Db::open(&db);
    let one = |sql: &str| -> i64 { conn.int(sql) };
    assert_eq!(one("SELECT COUNT(*) FROM alert_events"), n);
    assert_eq!(
        one("SELECT CAST(SUM(count) AS BIGINT) FROM alert_groups"),
        n
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM alert_groups"),
        (ingesters * 8) as i64
    );
    // each new group notified the one channel of the rules it was routed with
    assert_eq!(
        one(
            "SELECT COUNT(*) FROM alert_events WHERE decision = 'new_group'
             AND route NOT LIKE '%\"notify\":[\"a\"]%' AND route NOT LIKE '%\"notify\":[\"b\"]%'"
        ),
        0
    );
    let decided: BTreeMap<String, i64> = by_channel(
        &conn,
        crate::common::dialect(
            "SELECT j.value, COUNT(*) FROM alert_events, json_each(route, '$.notify') j GROUP BY 1",
            "SELECT j.value, COUNT(*) FROM alert_events, json_each(json_extract(route, '$.notify')) j
             GROUP BY 1",
        ),
    );
    // (the dispatcher folds a burst on one channel into a digest row of its own)
    let queued = by_channel(
        &conn,
        "SELECT channel, COUNT(*) FROM outbox WHERE kind <> 'digest' GROUP BY 1",
    );
    assert_eq!(decided, queued);
    // every new group notified, and a group also when it joins under the other rule set
    assert!(decided.values().sum::<i64>() >= (ingesters * 8) as i64);
    // each row delivered once, or left by the dispatcher's own rules (a notification folded
    // into a digest is cancelled; a digest waits for its interval)
    let sent = one("SELECT COUNT(*) FROM outbox WHERE status = 'sent'");
    assert_eq!(
        one("SELECT COUNT(*) FROM outbox WHERE status NOT IN ('sent', 'cancelled', 'pending')"),
        0
    );
    assert!(sent > 0);
    assert_eq!(server.requests().len() as i64, sent);
}

fn rules_to(channel: &str) -> RuleSet {
    RuleSet::from_json(&json!([
        {"id": "all", "when": {}, "then": {"notify": [channel], "group_wait_secs": 0}}
    ]))
    .unwrap()
}

fn configured_channels(server: &TestServer) -> Harness {
    let h = Harness::on_disk();
    for c in ["a", "b"] {
        h.engine
            .set_channel(
                h.ws(),
                c,
                ChannelKind::Webhook,
                &json!({"url": server.url(&format!("/{c}"))}),
            )
            .unwrap();
    }
    h.engine.put_rules(h.ws(), &rules_to("a")).unwrap();
    h
}

fn by_channel(conn: &Db, sql: &str) -> BTreeMap<String, i64> {
    conn.rows(sql)
        .into_iter()
        .map(|r| (r[0].text(), r[1].int()))
        .collect()
}
