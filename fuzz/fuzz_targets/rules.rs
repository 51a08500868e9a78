#![no_main]
//! The routing rules parser (`RuleSet::from_json`); a rule set that parses is evaluated against a
//! fixed alert and must survive a round trip through its JSON form.

use libfuzzer_sys::fuzz_target;
use signalcraft_core::RuleSet;
use signalcraft_core::routing::{GroupContext, RouteEvent, RoutingContext, evaluate};
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(rules) = RuleSet::from_json(&value) else {
        return;
    };
    let again = RuleSet::from_json(&rules.to_json());
    assert!(
        again.is_ok(),
        "a parsed rule set's JSON form does not parse: {again:?}"
    );
    let alert = signalcraft_fuzz::sample_alert();
    let ctx = RoutingContext {
        rules: &rules,
        default_route: None,
        silences: &[],
        windows: &[],
    };
    let channels = BTreeMap::new();
    let group = GroupContext {
        event: RouteEvent::Opened,
        channels: &channels,
    };
    let (_, trace) = evaluate(&ctx, &alert, &group, signalcraft_fuzz::now());
    std::hint::black_box(trace.explain(&rules, &alert));
});
