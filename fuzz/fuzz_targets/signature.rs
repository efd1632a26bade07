//! Verifying a webhook signature from any secret, header and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sammen::webhooks::signature::verify;

fuzz_target!(|input: (&str, &str, i64, &[u8], &str)| {
    let (secret, id, timestamp, body, header) = input;
    let _ = verify(secret, id, timestamp, body, header);
});
