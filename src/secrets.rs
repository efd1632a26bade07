//! Secrets handed to clients: drawn from a cryptographic generator seeded by the operating
//! system (`rand::rng()`), kept only as hashes, compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The readable prefix of citizen tokens, so that secret scanners and people recognise them.
pub const CITIZEN_TOKEN_PREFIX: &str = "sct_";
/// The readable prefix of API keys.
pub const API_KEY_PREFIX: &str = "smk_";
/// How many characters of an API key are kept in clear to find and name it.
pub const API_KEY_LOOKUP_CHARS: usize = 12;
/// Length of a secret's random part: 256 bits in base64url.
const SECRET_CHARS: usize = 43;

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
        with_prefix(CITIZEN_TOKEN_PREFIX, &self.0)
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

fn with_prefix(prefix: &str, bytes: &[u8; 32]) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A new API key, `smk_` and 256 random bits, with the SHA-256 the store keeps.
pub fn generate_api_key() -> (String, Vec<u8>) {
    let key = with_prefix(API_KEY_PREFIX, &random_bytes());
    let hash = sha256(key.as_bytes());
    (key, hash)
}

/// The part of a well-formed API key that finds it in the store; `None` for anything that
/// cannot be a key.
pub fn api_key_lookup(key: &str) -> Option<&str> {
    let secret = key.strip_prefix(API_KEY_PREFIX)?;
    let well_formed = secret.len() == SECRET_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| &key[..API_KEY_LOOKUP_CHARS])
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
    fn an_api_key_is_found_by_its_prefix_and_kept_as_a_hash() {
        let (key, hash) = generate_api_key();
        assert_eq!(key.len(), 4 + 43);
        assert_eq!(api_key_lookup(&key), Some(&key[..12]));
        assert!(matches_hash(&key, &hash));
        assert_eq!(api_key_lookup("smk_short"), None);
        assert_eq!(api_key_lookup(&key.replace("smk_", "sct_")), None);
        assert_eq!(api_key_lookup(&format!("{}!", &key[..46])), None);
    }

    #[test]
    fn two_tokens_differ() {
        assert!(CitizenToken::generate() != CitizenToken::generate());
    }
}
