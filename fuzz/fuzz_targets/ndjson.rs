//! NDJSON batches (`application/x-ndjson`): any body splits into lines that are each an article
//! or an error naming what is wrong, never a panic.
#![no_main]

use std::collections::HashMap;

use dateline::ingest::input::{ArticleInput, from_json, split_ndjson};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in split_ndjson(data) {
        assert!(!line.contains(&b'\n'));
        if let Ok(input) = from_json::<ArticleInput>(line) {
            let _ = input.validate(&HashMap::new(), false);
        }
    }
});
