//! Decoding the opaque cursors of every list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sammen::routes::{decode_cursor, encode_cursor};

fuzz_target!(|raw: &str| {
    if let Some(key) = decode_cursor("ideas", raw) {
        assert_eq!(decode_cursor("ideas", &encode_cursor("ideas", &key)), Some(key));
    }
});
