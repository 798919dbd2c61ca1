//! Token secrets: 256 random bits from the operating system's CSPRNG, shown
//! once as `twn_<id>_<secret>`; only their SHA-256 is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "twn_";

pub fn generate() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The token as handed to its holder.
pub fn compose(id: i64, secret: &str) -> String {
    format!("{PREFIX}{id}_{secret}")
}

/// Splits a presented token into its id and secret.
pub fn parse(token: &str) -> Option<(i64, &str)> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    Some((id.parse().ok()?, secret))
}

/// Compares the hash of a presented secret with a stored one in constant time.
pub fn matches(secret: &str, stored_hash: &str) -> bool {
    hash(secret).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composed_token_parses_back_and_matches_its_hash() {
        let secret = generate().unwrap();
        assert_eq!(secret.len(), 43, "256 bits in base64url");
        let token = compose(42, &secret);
        let (id, presented) = parse(&token).unwrap();
        assert_eq!(id, 42);
        assert!(matches(presented, &hash(&secret)));
        assert!(!matches("guess", &hash(&secret)));
        assert_ne!(generate().unwrap(), secret);
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        for token in ["", "twn_", "twn_x_abc", "abc", "Bearer twn_1_x"] {
            assert!(parse(token).is_none(), "{token}");
        }
    }
}
