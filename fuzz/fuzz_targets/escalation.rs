#![no_main]
//! The escalation policy parser; a policy that parses drives a timer through its steps.

use libfuzzer_sys::fuzz_target;
use signalcraft_core::escalation::{Escalation, EscalationPolicy};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(policy) = EscalationPolicy::from_json(&value) else {
        return;
    };
    let again = EscalationPolicy::from_json(&policy.to_json());
    assert_eq!(
        again.ok().as_ref(),
        Some(&policy),
        "a parsed policy's JSON form gives it back"
    );
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let mut e = Escalation::start("p", &policy, t0);
    let far = t0 + chrono::TimeDelta::days(400);
    let fired = e.fire_due(&policy, far);
    assert!(fired.len() <= policy.steps.len() * (policy.repeat as usize + 1));
});
