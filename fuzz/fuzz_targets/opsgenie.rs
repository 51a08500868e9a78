#![no_main]
//! The opsgenie source parser on arbitrary bodies (with no secret configured).

use libfuzzer_sys::fuzz_target;
use signalcraft_core::{Headers, Source};

fuzz_target!(|data: &[u8]| {
    signalcraft_fuzz::run_source(
        Source::Opsgenie,
        &Headers::new(),
        serde_json::Value::Null,
        data,
    );
});
