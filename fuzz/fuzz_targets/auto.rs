#![no_main]
//! Auto-detection, then the detected source's parser (as `Engine::ingest_auto` does). The first
//! byte picks a header set that detection looks at.

use libfuzzer_sys::fuzz_target;
use signalcraft_core::{Headers, json, sources};

fuzz_target!(|data: &[u8]| {
    let Some((first, body)) = data.split_first() else {
        return;
    };
    let headers = match first % 5 {
        0 => Headers::new(),
        1 => Headers::new().with("Sentry-Hook-Resource", "event_alert"),
        2 => Headers::new().with("User-Agent", "Alertmanager/0.25.0"),
        3 => Headers::new().with("User-Agent", "Grafana"),
        _ => Headers::new().with("X-Grafana-Alerting-Signature", "00"),
    };
    let Ok(doc) = json::parse_body(body) else {
        return;
    };
    if let Some((source, _why)) = sources::detect(&headers, &doc) {
        signalcraft_fuzz::run_source(source, &headers, serde_json::Value::Null, body);
    }
});
