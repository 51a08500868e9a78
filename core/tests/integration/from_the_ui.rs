//! Tests from the UI: a test notification through the real outbox to real servers on
//! 127.0.0.1 (webhook, Slack, PagerDuty), and each source's built-in sample through the real
//! ingest path, signed when the integration has a secret.

use crate::common::Harness;
use crate::http::{Reply, TestServer};
use serde_json::json;
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::routing::RuleSet;
use signalcraft_core::{ErrorKind, IngestDecision, IntegrationUpdate, Outcome, Source};
use std::time::Duration;

#[test]
fn a_test_notification_goes_through_the_outbox_marked_test() {
    let hook = TestServer::start(|_, _| Reply::status(204));
    let slack = TestServer::start(|_, _| {
        Reply::json(
            200,
            json!({"ok": true, "channel": "C1", "ts": "1772366400.000001"}),
        )
    });
    let pd = TestServer::start(|_, _| {
        Reply::json(
            202,
            json!({"status": "success", "message": "Event processed"}),
        )
    });
    let h = Harness::on_disk();
    let set = |name: &str, kind: ChannelKind, config: serde_json::Value| {
        h.engine.set_channel(h.ws(), name, kind, &config).unwrap();
    };
    set(
        "hook",
        ChannelKind::Webhook,
        json!({"url": hook.url("/alerts"), "secret": "whsec"}),
    );
    set(
        "chat",
        ChannelKind::Slack,
        json!({"token": "xoxb-t", "channel": "#ops", "api_base": slack.url("/api")}),
    );
    set(
        "pager",
        ChannelKind::Pagerduty,
        json!({"routing_key": "R0123456789abcdef0123456789abcdef", "events_url": pd.url("/v2/enqueue")}),
    );
    let queued = h.engine.test_channel(h.ws(), "hook").unwrap();
    assert!(queued.test);
    assert_eq!(
        (
            queued.status.as_str(),
            queued.notification.as_str(),
            queued.channel.as_str()
        ),
        ("pending", "test", "hook")
    );
    assert_eq!(queued.group_id, None);
    h.engine.test_channel(h.ws(), "chat").unwrap();
    h.engine.test_channel(h.ws(), "pager").unwrap();
    assert_eq!(
        h.engine.test_channel(h.ws(), "nope").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let sent = h.engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!((sent.sent, sent.failed), (3, 0));
    // the webhook got a signed test body
    let r = &hook.requests()[0];
    assert_eq!(r.json()["type"], "test");
    assert_eq!(r.json()["event"]["test"], true);
    assert!(r.header("X-SignalCraft-Signature").is_some());
    // Slack a plain message in the channel
    let m = &slack.requests()[0];
    assert!(m.path.ends_with("/chat.postMessage"));
    assert_eq!(m.json()["channel"], "#ops");
    assert!(
        m.json()["text"]
            .as_str()
            .unwrap()
            .contains("Test notification")
    );
    // PagerDuty an info event with its own key
    let e = pd.requests()[0].json();
    assert_eq!(e["event_action"], "trigger");
    assert!(
        e["dedup_key"]
            .as_str()
            .unwrap()
            .starts_with("signalcraft-test-")
    );
    assert_eq!(e["payload"]["severity"], "info");
    // the delivery log shows them as tests, sent
    let log = h.engine.deliveries(h.ws(), None).unwrap();
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|d| d.test && d.status == "sent" && d.attempts == 1)
    );
    let v = serde_json::to_value(&log[0]).unwrap();
    assert_eq!(v["test"], true);
}

#[test]
fn every_sample_goes_through_the_real_ingest_path() {
    let h = Harness::on_disk();
    for source in Source::ALL {
        if source == Source::Generic {
            let e = h.engine.test_integration(h.ws(), source).unwrap_err();
            assert_eq!(
                (e.kind(), e.path()),
                (ErrorKind::InvalidInput, Some("source"))
            );
            assert!(h.engine.sample_payload(source).is_err());
            continue;
        }
        let sample = h.engine.sample_payload(source).unwrap();
        assert!(serde_json::from_str::<serde_json::Value>(&sample.body).is_ok());
        let out = h.engine.test_integration(h.ws(), source).unwrap();
        assert_eq!(out.outcome, Outcome::Accepted, "{source}: {out:?}");
        assert_eq!(out.source, source);
        assert!(out.notes[0].starts_with(&format!("test: the built-in {source} sample")));
        assert!(
            out.alerts
                .iter()
                .all(|a| a.decision == IngestDecision::NewGroup),
            "{source}"
        );
    }
    // a second test of a source with event ids is a new event, not a duplicate
    let again = h.engine.test_integration(h.ws(), Source::Sentry).unwrap();
    assert_eq!(again.alerts[0].decision, IngestDecision::Joined);
    assert_eq!(again.alerts[0].count, 2);
}

#[test]
fn a_sample_is_signed_with_the_integrations_secret_and_routed() {
    let hook = TestServer::start(|_, _| Reply::status(204));
    let h = Harness::on_disk();
    let secret = |source: Source, options: Option<serde_json::Value>| {
        h.engine
            .set_integration(
                h.ws(),
                source,
                &IntegrationUpdate {
                    secret: Some("s3cret".into()),
                    max_skew_secs: Some(300),
                    options,
                    ..Default::default()
                },
            )
            .unwrap();
    };
    secret(Source::Sentry, None);
    secret(
        Source::Grafana,
        Some(json!({"timestamp_header": "X-Grafana-Alerting-Signature-Timestamp"})),
    );
    secret(Source::Pagerduty, None);
    h.engine
        .set_channel(
            h.ws(),
            "hook",
            ChannelKind::Webhook,
            &json!({"url": hook.url("/a")}),
        )
        .unwrap();
    h.engine
        .put_rules(
            h.ws(),
            &RuleSet::from_json(&json!([{"id": "all", "when": {}, "then": {"notify": ["hook"]}}]))
                .unwrap(),
        )
        .unwrap();
    // unsigned, the same sample is refused: the signature check is what the test runs through
    for source in [Source::Sentry, Source::Grafana, Source::Pagerduty] {
        let s = h.engine.sample_payload(source).unwrap();
        let e = h
            .engine
            .ingest(h.ws(), source, &s.headers(), s.body.as_bytes())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Signature, "{source}");
        let out = h.engine.test_integration(h.ws(), source).unwrap();
        assert_eq!(out.outcome, Outcome::Accepted, "{source}");
        assert!(out.notes[0].ends_with("signed with the integration's secret"));
        assert_eq!(out.alerts[0].route.as_ref().unwrap().notify, ["hook"]);
    }
    let sent = h.engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert!(sent.sent >= 3, "{sent:?}");
    assert_eq!(hook.requests()[0].json()["type"], "firing");
}
