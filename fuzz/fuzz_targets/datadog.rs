#![no_main]
//! The datadog source parser on arbitrary bodies (with no secret configured).

use libfuzzer_sys::fuzz_target;
use signalcraft_core::{Headers, Source};

fuzz_target!(|data: &[u8]| {
    signalcraft_fuzz::run_source(
        Source::Datadog,
        &Headers::new(),
        serde_json::Value::Null,
        data,
    );
});
