#![no_main]
//! The condition parser of silences and maintenance windows (`routing::Condition::from_json`);
//! a condition that parses is matched against a fixed alert and round-trips through its JSON.

use libfuzzer_sys::fuzz_target;
use signalcraft_core::routing::Condition;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(cond) = Condition::from_json(&value, "when") else {
        return;
    };
    let again = Condition::from_json(&cond.to_json(), "when");
    assert!(
        again.is_ok(),
        "a parsed condition's JSON form does not parse: {again:?}"
    );
    let alert = signalcraft_fuzz::sample_alert();
    std::hint::black_box(cond.matches(&alert));
    std::hint::black_box(cond.check(&alert).is_ok());
});
