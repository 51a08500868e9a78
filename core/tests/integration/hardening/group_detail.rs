//! Bounded work per request: a group's detail answers one page of its events and timeline
//! (newest first), however many the group has; the rest comes page by page with a cursor.

use crate::common::{Harness, fixture};
use signalcraft_core::engine::Actor;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::{Delivery, ErrorKind, Headers, ItemPage, Source};
use std::collections::HashSet;

/// The Sentry fixture as event `n` of one issue: the same group, a new event each time.
fn event_of_one_issue(n: usize) -> Vec<u8> {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["event_id"] = format!("{n:032x}").into();
    doc.to_string().into_bytes()
}

#[test]
fn a_group_of_1000_events_answers_one_bounded_page_and_the_rest_by_cursor() {
    let h = Harness::on_disk();
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let bodies: Vec<Vec<u8>> = (0..1000).map(event_of_one_issue).collect();
    for chunk in bodies.chunks(100) {
        let deliveries: Vec<Delivery<'_>> = chunk
            .iter()
            .map(|b| Delivery {
                source: Source::Sentry,
                headers: &headers,
                body: b,
            })
            .collect();
        for slot in h.engine.ingest_batch(h.ws(), &deliveries).unwrap() {
            slot.unwrap();
        }
    }
    let groups = h.engine.groups(h.ws(), &Default::default()).unwrap();
    assert_eq!(groups.groups.len(), 1, "one issue, one group");
    let gid = groups.groups[0].id.0.clone();
    assert_eq!(groups.groups[0].count, 1000);
    // 60 state changes on top of the open
    let alice = Actor {
        name: "user:alice".into(),
        role: Role::Member,
    };
    for i in 0..60 {
        let c = if i % 2 == 0 {
            Command::Ack
        } else {
            Command::Unack
        };
        h.engine.act(h.ws(), &gid, &c, &alice).unwrap();
    }

    let d = h.engine.group(h.ws(), &gid).unwrap();
    assert_eq!(
        d.events.len(),
        50,
        "the detail holds one page of events, not 1000"
    );
    assert_eq!(d.timeline.len(), 50, "and one page of the timeline, not 61");
    assert!(d.events_next.is_some() && d.timeline_next.is_some());
    // newest first: the last event ingested and the last command lead
    let newest_source_id = format!("{:032x}", 999);
    assert_eq!(
        d.events[0].source_event_id.as_deref(),
        Some(newest_source_id.as_str())
    );
    assert_eq!(d.timeline[0].command, "unack");
    assert_eq!(d.timeline[49].command, "ack");

    // the whole list by cursor: every event exactly once, newest first, pages bounded
    let mut seen = Vec::new();
    let mut cursor = None::<String>;
    let mut pages = 0;
    loop {
        let page = h
            .engine
            .group_events(h.ws(), &gid, cursor.as_deref(), Some(200))
            .unwrap();
        assert!(page.items.len() <= 200);
        pages += 1;
        seen.extend(
            page.items
                .iter()
                .map(|e| e.source_event_id.clone().unwrap()),
        );
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    let expected: Vec<String> = (0..1000).rev().map(|n| format!("{n:032x}")).collect();
    assert_eq!(seen, expected, "newest first, no gap, no repeat");

    // the detail's cursor continues where its first page ended
    let rest = h
        .engine
        .group_events(h.ws(), &gid, d.events_next.as_deref(), None)
        .unwrap();
    assert_eq!(rest.items.len(), 50);
    assert_eq!(
        rest.items[0].source_event_id.as_deref(),
        Some(format!("{:032x}", 949).as_str())
    );
    let first: HashSet<&str> = d.events.iter().map(|e| e.id.as_str()).collect();
    assert!(rest.items.iter().all(|e| !first.contains(e.id.as_str())));

    let tail = h
        .engine
        .group_timeline(h.ws(), &gid, d.timeline_next.as_deref(), None)
        .unwrap();
    assert_eq!(
        tail.items.len(),
        11,
        "61 entries: 50 in the detail, 11 after"
    );
    assert_eq!(tail.items.last().map(|t| t.command.as_str()), Some("open"));
    assert_eq!(tail.next, None);

    // bounds and bad cursors are input errors naming the field
    let err = |r: signalcraft_core::Result<ItemPage<signalcraft_core::StoredEvent>>| {
        let e = r.unwrap_err();
        (e.kind(), e.to_string())
    };
    let (kind, msg) = err(h.engine.group_events(h.ws(), &gid, None, Some(201)));
    assert_eq!(kind, ErrorKind::InvalidInput);
    assert!(msg.starts_with("limit: must be 1 to 200"), "{msg}");
    let (kind, msg) = err(h.engine.group_events(h.ws(), &gid, None, Some(0)));
    assert_eq!(kind, ErrorKind::InvalidInput, "{msg}");
    // a timeline cursor does not page events
    let (kind, msg) = err(h
        .engine
        .group_events(h.ws(), &gid, d.timeline_next.as_deref(), None));
    assert_eq!(kind, ErrorKind::InvalidInput);
    assert!(msg.starts_with("cursor:"), "{msg}");
    let (kind, _) = err(h.engine.group_events(h.ws(), "grp_nope", None, None));
    assert_eq!(kind, ErrorKind::NotFound);
}
