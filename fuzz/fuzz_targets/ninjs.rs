//! The ninjs reader (`application/ninjs+json`, 2.x and 3.x), then the article rules: any JSON
//! document is an article or a list of field errors, never a panic.
#![no_main]

use std::collections::HashMap;

use dateline::ingest::input::from_ninjs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(input) = from_ninjs(&doc) {
        let _ = input.validate(&HashMap::new(), false);
    }
});
