#![no_main]
//! The generic JSON source with a fixed mapping, on arbitrary bodies.

use libfuzzer_sys::fuzz_target;
use signalcraft_core::{Headers, Source};

fuzz_target!(|data: &[u8]| {
    signalcraft_fuzz::run_source(
        Source::Generic,
        &Headers::new(),
        signalcraft_fuzz::generic_mapping(),
        data,
    );
});
