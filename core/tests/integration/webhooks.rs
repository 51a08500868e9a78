//! The authenticated webhook: ingest keys (query, bearer, rotation), signature precedence,
//! `auto` refusing to route around protected integrations, the per-workspace rate limit, and
//! the health every delivery leaves behind.

use crate::common::StoreUnderTest;
use crate::common::{Harness, compact, fixture};
use chrono::TimeDelta;
use signalcraft_core::signature::hmac_sha256_hex;
use signalcraft_core::webhook::IngestRateLimit;
use signalcraft_core::{ErrorKind, Headers, IntegrationUpdate, Outcome, Source};

fn am_body() -> Vec<u8> {
    fixture("alertmanager/alertmanager-bot_firing.json")
}

fn sentry_body() -> Vec<u8> {
    serde_json::to_vec(&compact("sentry/issue_alert_triggered.docs.json")).unwrap()
}

fn sentry_headers() -> Headers {
    Headers::new().with("Sentry-Hook-Resource", "event_alert")
}

fn am(h: &Harness, headers: &Headers, key: Option<&str>) -> signalcraft_core::Result<Outcome> {
    h.engine
        .webhook(h.ws(), Some(Source::Alertmanager), headers, &am_body(), key)
        .map(|o| o.outcome)
}

fn stored(h: &Harness) -> i64 {
    h.row_counts().iter().map(|(_, n)| n).sum()
}

fn allow_unauthenticated(h: &Harness) {
    let mut s = h.engine.settings(h.ws()).unwrap();
    s.allow_unauthenticated_ingest = true;
    h.engine.set_settings(h.ws(), &s).unwrap();
}

#[test]
fn without_a_key_or_a_secret_nothing_gets_in_by_default() {
    let h = Harness::on_disk();
    let e = am(&h, &Headers::new(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    assert_eq!(stored(&h), 0);
    // the trusted path still works
    h.engine
        .ingest(h.ws(), Source::Alertmanager, &Headers::new(), &am_body())
        .unwrap();
    // an unknown workspace is not found
    let e = h
        .engine
        .webhook(
            "ghost",
            Some(Source::Alertmanager),
            &Headers::new(),
            &am_body(),
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // the opt-out accepts unauthenticated deliveries
    allow_unauthenticated(&h);
    assert_eq!(am(&h, &Headers::new(), None).unwrap(), Outcome::Accepted);
}

#[test]
fn keys_come_by_query_or_bearer_and_rotate() {
    let h = Harness::on_disk();
    allow_unauthenticated(&h);
    let k1 = h
        .engine
        .create_ingest_key(h.ws(), Source::Alertmanager)
        .unwrap();
    let k2 = h
        .engine
        .create_ingest_key(h.ws(), Source::Alertmanager)
        .unwrap();
    assert!(k1.key.starts_with("sck_"));
    assert_ne!(k1.key, k2.key);
    // once a key exists, the opt-out no longer lets unauthenticated deliveries in
    let e = am(&h, &Headers::new(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    // both live keys work, by query and by bearer
    assert_eq!(
        am(&h, &Headers::new(), Some(&k1.key)).unwrap(),
        Outcome::Accepted
    );
    let bearer = Headers::new().with("Authorization", format!("Bearer {}", k2.key));
    assert_eq!(am(&h, &bearer, None).unwrap(), Outcome::Accepted);
    // a wrong key, or another source's
    let e = am(&h, &Headers::new(), Some("sck_wrong")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    let grafana = h.engine.create_ingest_key(h.ws(), Source::Grafana).unwrap();
    let e = am(&h, &Headers::new(), Some(&grafana.key)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    // keys are listed by prefix and last use, never in full
    h.advance(TimeDelta::minutes(2));
    am(&h, &Headers::new(), Some(&k1.key)).unwrap();
    let view = h.engine.integration(h.ws(), Source::Alertmanager).unwrap();
    assert_eq!(view.keys.len(), 2);
    assert_eq!(view.keys[0].id, k1.id);
    assert_eq!(view.keys[0].prefix, &k1.key[..8]);
    assert_eq!(view.keys[0].last_used_at, Some(h.engine.now()));
    let listed = serde_json::to_string(&view).unwrap();
    assert!(!listed.contains(&k1.key) && !listed.contains(&k2.key));
    // revoke the old key: it stops working, the new one goes on
    h.engine
        .revoke_ingest_key(h.ws(), Source::Alertmanager, &k1.id)
        .unwrap();
    let e = am(&h, &Headers::new(), Some(&k1.key)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert_eq!(am(&h, &bearer, None).unwrap(), Outcome::Accepted);
    let e = h
        .engine
        .revoke_ingest_key(h.ws(), Source::Alertmanager, &k1.id)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // another workspace's key is no key here
    let other = h.engine.create_workspace("globex").unwrap();
    let theirs = h
        .engine
        .create_ingest_key(other.id.as_str(), Source::Alertmanager)
        .unwrap();
    let e = am(&h, &Headers::new(), Some(&theirs.key)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    let e = h
        .engine
        .revoke_ingest_key(other.id.as_str(), Source::Alertmanager, &k2.id)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn a_secret_makes_the_signature_required_even_with_a_key() {
    let h = Harness::on_disk();
    let secret = "s3cret-s3cret";
    h.engine
        .set_integration(
            h.ws(),
            Source::Sentry,
            &IntegrationUpdate {
                secret: Some(secret.into()),
                ..Default::default()
            },
        )
        .unwrap();
    let key = h.engine.create_ingest_key(h.ws(), Source::Sentry).unwrap();
    let body = sentry_body();
    let e = h
        .engine
        .webhook(
            h.ws(),
            Some(Source::Sentry),
            &sentry_headers(),
            &body,
            Some(&key.key),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    assert_eq!(stored(&h), 0);
    let mut signed = sentry_headers();
    signed.push(
        "Sentry-Hook-Signature",
        hmac_sha256_hex(secret.as_bytes(), &body),
    );
    let out = h
        .engine
        .webhook(h.ws(), Some(Source::Sentry), &signed, &body, None)
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
}

#[test]
fn auto_authenticates_as_the_source_it_picks_and_never_routes_around_protection() {
    let h = Harness::on_disk();
    allow_unauthenticated(&h);
    // nothing protected yet: auto accepts unauthenticated deliveries, saying which source
    let out = h
        .engine
        .webhook(h.ws(), None, &Headers::new(), &am_body(), None)
        .unwrap();
    assert_eq!(out.source, Source::Alertmanager);
    assert!(
        out.notes[0].starts_with("auto: alertmanager"),
        "{:?}",
        out.notes
    );
    // a key on sentry protects the workspace: unauthenticated auto deliveries are refused,
    // even for alertmanager, which has no key of its own — as a signature error (auth is the
    // workspace's, not the body's shape)
    let sentry_key = h.engine.create_ingest_key(h.ws(), Source::Sentry).unwrap();
    let e = h
        .engine
        .webhook(h.ws(), None, &Headers::new(), &am_body(), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature);
    // while the alertmanager route itself still follows alertmanager's own settings
    assert_eq!(am(&h, &Headers::new(), None).unwrap(), Outcome::Accepted);
    // sentry's key does not open alertmanager's door through auto
    let e = h
        .engine
        .webhook(
            h.ws(),
            None,
            &Headers::new(),
            &am_body(),
            Some(&sentry_key.key),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature);
    // and a Sentry-shaped body through auto is authenticated by sentry's key
    let out = h
        .engine
        .webhook(
            h.ws(),
            None,
            &sentry_headers(),
            &sentry_body(),
            Some(&sentry_key.key),
        )
        .unwrap();
    assert_eq!(out.source, Source::Sentry);
    // a secret on sentry: an unsigned sentry body through auto is a signature error
    h.engine
        .set_integration(
            h.ws(),
            Source::Sentry,
            &IntegrationUpdate {
                secret: Some("another-secret".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let e = h
        .engine
        .webhook(
            h.ws(),
            None,
            &sentry_headers(),
            &sentry_body(),
            Some(&sentry_key.key),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature);
}

#[test]
fn the_rate_limit_refuses_over_the_bucket_and_stores_nothing() {
    let h = Harness::on_disk();
    let key = h
        .engine
        .create_ingest_key(h.ws(), Source::Alertmanager)
        .unwrap();
    let mut s = h.engine.settings(h.ws()).unwrap();
    assert_eq!(
        s.ingest_rate_limit,
        IngestRateLimit {
            per_min: 6000,
            burst: 600
        }
    );
    s.ingest_rate_limit = IngestRateLimit {
        per_min: 30,
        burst: 2,
    };
    h.engine.set_settings(h.ws(), &s).unwrap();
    am(&h, &Headers::new(), Some(&key.key)).unwrap();
    am(&h, &Headers::new(), Some(&key.key)).unwrap();
    let before = h.row_counts();
    let e = am(&h, &Headers::new(), Some(&key.key)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
    assert_eq!(e.retry_after_secs(), Some(2));
    assert_eq!(h.row_counts(), before, "nothing stored over the limit");
    h.advance(TimeDelta::seconds(1));
    let e = am(&h, &Headers::new(), Some(&key.key)).unwrap_err();
    assert_eq!(e.retry_after_secs(), Some(1));
    h.advance(TimeDelta::seconds(1));
    am(&h, &Headers::new(), Some(&key.key)).unwrap();
    // the bucket is the workspace's, shared by engines on the same file
    let other = crate::common::builder()
        .store(h.db_path())
        .clock(h.clock.clone())
        .build()
        .unwrap();
    let e = other
        .webhook(
            h.ws(),
            Some(Source::Alertmanager),
            &Headers::new(),
            &am_body(),
            Some(&key.key),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    // a bad limit is refused
    s.ingest_rate_limit.burst = 0;
    let e = h.engine.set_settings(h.ws(), &s).unwrap_err();
    assert_eq!(e.path(), Some("settings.ingest_rate_limit.burst"));
}

#[test]
fn health_counts_accepted_and_refused_deliveries_by_reason() {
    let h = Harness::on_disk();
    let key = h
        .engine
        .create_ingest_key(h.ws(), Source::Alertmanager)
        .unwrap();
    am(&h, &Headers::new(), Some(&key.key)).unwrap();
    am(&h, &Headers::new(), Some(&key.key)).unwrap();
    am(&h, &Headers::new(), None).unwrap_err();
    am(&h, &Headers::new(), Some("sck_nope")).unwrap_err();
    h.advance(TimeDelta::minutes(1));
    let e = h
        .engine
        .webhook(
            h.ws(),
            Some(Source::Alertmanager),
            &Headers::new(),
            b"{\"version\": \"4\", \"alerts\": 7}",
            Some(&key.key),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let small = crate::common::builder()
        .store(h.db_path())
        .clock(h.clock.clone())
        .max_body_bytes(100)
        .build()
        .unwrap();
    let e = small
        .webhook(
            h.ws(),
            Some(Source::Alertmanager),
            &Headers::new(),
            &am_body(),
            Some(&key.key),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    // auto that tells no source is counted under "auto", not under a source
    let e = h
        .engine
        .webhook(h.ws(), None, &Headers::new(), b"{\"hello\": 1}", None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    let list = h.engine.integrations(h.ws()).unwrap();
    assert_eq!(list.len(), Source::ALL.len());
    let amh = list
        .iter()
        .find(|i| i.source == Source::Alertmanager)
        .unwrap();
    assert!(amh.configured);
    assert_eq!(amh.keys.len(), 1);
    assert_eq!(amh.health.accepted_24h, 2);
    let rejected: Vec<(&str, u64)> = amh
        .health
        .rejected_24h
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        rejected,
        [
            ("invalid_input", 1),
            ("invalid_key", 1),
            ("missing_key", 1),
            ("too_large", 1)
        ]
    );
    let last = amh.health.last_error.as_ref().unwrap();
    assert_eq!(last.kind, "too_large");
    assert_eq!(last.at, h.engine.now());
    assert_eq!(amh.health.last_accepted_at, Some(crate::common::t0()));
    assert_eq!(amh.health.last_delivery_at, Some(h.engine.now()));
    let sentry = list.iter().find(|i| i.source == Source::Sentry).unwrap();
    assert!(!sentry.configured);
    assert_eq!(sentry.health.accepted_24h, 0);
    assert!(sentry.health.last_error.is_none());
    // a day and more later the counts are gone, the last error stays
    h.advance(TimeDelta::hours(26));
    let list = h.engine.integrations(h.ws()).unwrap();
    let amh = list
        .iter()
        .find(|i| i.source == Source::Alertmanager)
        .unwrap();
    assert_eq!(amh.health.accepted_24h, 0);
    assert!(amh.health.rejected_24h.is_empty());
    assert!(amh.health.last_error.is_some());
}
