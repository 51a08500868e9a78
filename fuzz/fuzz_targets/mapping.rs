#![no_main]
//! The generic mapping validator (`sources::validate_options(Source::Generic, …)`); a mapping
//! that validates is then used to parse a fixed body, as ingest would.

use libfuzzer_sys::fuzz_target;
use signalcraft_core::{Headers, Source, sources};

const BODY: &[u8] = br#"{"alerts":[{"id":"a1","summary":"disk full","level":"P1","env":"prod",
"service":"db","state":"alerting","check":"disk","ts":1772366400,"url":"https://x.invalid/a1",
"labels":{"team":"infra","n":3}},{"id":"a2","summary":"ok again","state":"ok","service":"db"}],
"meta":{"count":2,"nested":[1,[2,[3]]]}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(options) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if sources::validate_options(Source::Generic, &options).is_ok() {
        signalcraft_fuzz::run_source(Source::Generic, &Headers::new(), options, BODY);
    }
});
