#![no_main]
//! Slack's interactive request body: the form decoder and the `block_actions` parser, and the
//! signature check over the same bytes. Whatever parses must map to a command or a typed error.

use libfuzzer_sys::fuzz_target;
use signalcraft_core::Headers;
use signalcraft_core::actions::slack;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_531_420_618, 0).unwrap_or_default();
    let headers = Headers::new()
        .with("X-Slack-Request-Timestamp", "1531420618")
        .with(
            "X-Slack-Signature",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        );
    let _ = slack::verify("8f742231b10e8888abcd99yyyzzz85a5", &headers, data, now);
    if let Ok(action) = slack::parse(data) {
        assert!(!action.user_id.is_empty());
        let _ = slack::command(&action, now);
        let _ = slack::actor(&action);
    }
});
