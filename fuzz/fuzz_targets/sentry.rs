#![no_main]
//! The Sentry parser: the first byte picks the `Sentry-Hook-Resource` header, the rest is the body.

use libfuzzer_sys::fuzz_target;
use signalcraft_core::{Headers, Source};
use signalcraft_fuzz::{SENTRY_RESOURCES, run_source};

fuzz_target!(|data: &[u8]| {
    let Some((first, body)) = data.split_first() else {
        return;
    };
    let mut headers = Headers::new();
    if let Some(r) = SENTRY_RESOURCES[usize::from(*first) % SENTRY_RESOURCES.len()] {
        headers.push("Sentry-Hook-Resource", r);
    }
    run_source(Source::Sentry, &headers, serde_json::Value::Null, body);
});
