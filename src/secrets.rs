//! Secrets handed to clients: drawn from a cryptographic generator seeded by the operating
//! system (`rand::rng()`), kept only as hashes, compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The readable prefix of citizen tokens, so that secret scanners and people recognise them.
pub const CITIZEN_TOKEN_PREFIX: &str = "sct_";

/// SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// 256 random bits.
fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    bytes
}

/// A citizen token: 256 random bits, in the form given to the citizen.
#[derive(Clone, PartialEq, Eq)]
pub struct CitizenToken([u8; 32]);

impl CitizenToken {
    /// A fresh token.
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    /// The text the citizen keeps: `sct_` and 43 base64url characters.
    pub fn reveal(&self) -> String {
        format!("{CITIZEN_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(self.0))
    }

    /// What the store keeps.
    pub fn hash(&self) -> Vec<u8> {
        sha256(self.reveal().as_bytes())
    }

    /// The token sealed with a pad derived from an idempotency key: the database alone cannot
    /// reveal it, a retry that presents the key can.
    pub fn seal(&self, idempotency_key: &str) -> Vec<u8> {
        xor(&self.0, &seal_pad(idempotency_key)).to_vec()
    }

    /// Opens a token sealed with [`CitizenToken::seal`].
    pub fn unseal(sealed: &[u8], idempotency_key: &str) -> Option<Self> {
        let sealed: [u8; 32] = sealed.try_into().ok()?;
        Some(Self(xor(&sealed, &seal_pad(idempotency_key))))
    }
}

fn seal_pad(idempotency_key: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"sammen/idempotency-seal/v1\0");
    hasher.update(idempotency_key.as_bytes());
    hasher.finalize().into()
}

fn xor(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

/// Whether `presented` hashes to `stored`, in constant time.
pub fn matches_hash(presented: &str, stored: &[u8]) -> bool {
    sha256(presented.as_bytes()).ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_kept_as_a_hash_and_only_the_key_unseals_it() {
        let token = CitizenToken::generate();
        let text = token.reveal();
        assert!(text.starts_with("sct_"));
        assert_eq!(text.len(), 4 + 43);
        assert!(matches_hash(&text, &token.hash()));
        assert!(!matches_hash("sct_other", &token.hash()));

        let sealed = token.seal("key-1");
        assert_ne!(sealed, token.0.to_vec());
        assert!(CitizenToken::unseal(&sealed, "key-1") == Some(token.clone()));
        assert!(CitizenToken::unseal(&sealed, "key-2") != Some(token));
    }

    #[test]
    fn two_tokens_differ() {
        assert!(CitizenToken::generate() != CitizenToken::generate());
    }
}
