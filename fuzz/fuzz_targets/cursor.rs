//! The cursor decoder: any `cursor` a client sends is a position, a 400 for a malformed cursor,
//! or a 400 for another list's cursor; never a panic. What decodes re-encodes to itself.
#![no_main]

use dateline::queries::cursor;
use dateline::store::article_sql::ArticleKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let filters = cursor::digest("topic=politics&language=en");
    if let Ok(Some(key)) = cursor::decode::<ArticleKey>(&filters, Some(input)) {
        let again = cursor::encode(&filters, &key);
        let back = cursor::decode::<ArticleKey>(&filters, Some(&again));
        assert_eq!(back.ok().flatten(), Some(key));
        assert!(cursor::decode::<ArticleKey>(&cursor::digest("other"), Some(&again)).is_err());
    }
    if let Ok(Some(slug)) = cursor::decode_slug(&filters, Some(input)) {
        assert!(!slug.contains('\0'), "a slug cursor never carries a NUL");
    }
});
