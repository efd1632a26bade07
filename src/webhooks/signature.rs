//! Standard Webhooks signatures: HMAC-SHA256 over `{id}.{timestamp}.{body}` with the
//! base64-decoded part of the secret after `whsec_`, sent as `v1,<base64>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The prefix of signing secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` and 256 random bits in base64.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` header value for a message.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .expect("signing secrets are made by generate_secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether `header` (a `webhook-signature` value: space-separated `v1,<base64>` signatures)
/// holds a valid signature of the message, as a receiver checks it. Any input is safe: a
/// malformed secret or header is simply not valid. Signatures are compared in constant time.
pub fn verify(secret: &str, message_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Ok(key) = STANDARD.decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
        return false;
    };
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    header.split(' ').any(|candidate| {
        candidate
            .strip_prefix("v1,")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .is_some_and(|given| {
                bool::from(subtle::ConstantTimeEq::ct_eq(&given[..], &expected[..]))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification and its reference libraries.
    #[test]
    fn the_signature_is_the_one_of_the_specification_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_receiver_verifies_the_signature_and_refuses_any_change() {
        let secret = generate_secret();
        let header = sign(&secret, "msg_1", 1614265330, b"{\"a\":1}");
        assert!(verify(&secret, "msg_1", 1614265330, b"{\"a\":1}", &header));
        assert!(verify(
            &secret,
            "msg_1",
            1614265330,
            b"{\"a\":1}",
            &format!("v1,AAAA {header}")
        ));
        assert!(!verify(&secret, "msg_1", 1614265330, b"{\"a\":2}", &header));
        assert!(!verify(&secret, "msg_2", 1614265330, b"{\"a\":1}", &header));
        assert!(!verify(&secret, "msg_1", 1614265331, b"{\"a\":1}", &header));
        assert!(!verify(
            &generate_secret(),
            "msg_1",
            1614265330,
            b"{\"a\":1}",
            &header
        ));
        assert!(!verify("whsec_not base64!", "msg_1", 1, b"", &header));
        assert!(!verify(
            &secret,
            "msg_1",
            1614265330,
            b"{\"a\":1}",
            "v1,%%% v2,abc"
        ));
    }

    #[test]
    fn a_generated_secret_signs() {
        let secret = generate_secret();
        assert!(secret.starts_with("whsec_"));
        assert!(sign(&secret, "msg_1", 1, b"{}").starts_with("v1,"));
        assert_ne!(
            sign(&secret, "msg_1", 1, b"{}"),
            sign(&secret, "msg_1", 1, b"{ }")
        );
    }
}
