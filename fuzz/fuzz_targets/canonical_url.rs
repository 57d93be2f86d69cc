//! URL canonicalisation, which decides whether two articles are one: never a panic, only http(s)
//! URLs with a host, and a canonical URL is its own canonical form (else an upsert of the stored
//! URL would not find its own article).
#![no_main]

use dateline::text::canonical_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Some(url) = canonical_url(input) {
        assert!(
            url.starts_with("http://") || url.starts_with("https://"),
            "{url}"
        );
        assert!(!url.contains('#'), "{url}");
        assert_eq!(
            canonical_url(&url).as_deref(),
            Some(url.as_str()),
            "from {input:?}"
        );
    }
});
