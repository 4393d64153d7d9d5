//! Secrets: join codes people type, bearer tokens machines keep, and their hashes.
//!
//! Codes are 16 characters from a 32-letter alphabet without look-alikes (no `0 O 1 I`),
//! shown as `XXXX-XXXX-XXXX-XXXX` (80 bits). They are compared after
//! [`normalize_code`]: case, dashes and spaces do not matter. Tokens are 256 random bits
//! in hex. The server keeps only SHA-256 hashes of both.

use sha2::{Digest as _, Sha256};

use crate::Error;

/// The letters of a code.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
    Ok(buf)
}

/// A new human-typeable code, `XXXX-XXXX-XXXX-XXXX`.
pub fn new_code() -> Result<String, Error> {
    grouped::<16>()
}

/// A short code, `XXXX-XXXX` (40 bits): sign-in codes, which live minutes and are only
/// looked up by signed-in members.
pub fn new_short_code() -> Result<String, Error> {
    grouped::<8>()
}

fn grouped<const N: usize>() -> Result<String, Error> {
    let bytes: [u8; N] = random()?;
    let mut out = String::with_capacity(N + N / 4);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        // 32 divides 256: every letter is equally likely.
        out.push(char::from(ALPHABET[usize::from(b % 32)]));
    }
    Ok(out)
}

/// A code as typed, reduced to what matters: upper case, without dashes and white space.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The stored hash of a code.
pub fn hash_code(code: &str) -> String {
    sha256_hex(normalize_code(code).as_bytes())
}

/// A new bearer token: 256 random bits, hex.
pub fn new_token() -> Result<String, Error> {
    let bytes: [u8; 32] = random()?;
    Ok(hex::encode(bytes))
}

/// The stored hash of a token.
pub fn hash_token(token: &str) -> String {
    sha256_hex(token.trim().as_bytes())
}

/// SHA-256 in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `s` looks like a SHA-256: 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_unambiguous() -> Result<(), Error> {
        let code = new_code()?;
        assert_eq!(code.len(), 19, "{code}");
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert!(
            code.chars()
                .all(|c| c == '-' || ALPHABET.contains(&(c as u8)))
        );
        assert!(!code.contains(['0', 'O', '1', 'I']));
        assert_ne!(code, new_code()?);
        Ok(())
    }

    #[test]
    fn codes_match_in_any_case_with_or_without_dashes() {
        let h = hash_code("ABCD-EFGH-JKLM-NPQR");
        assert_eq!(hash_code("abcdefghjklmnpqr"), h);
        assert_eq!(hash_code(" abcd-efgh jklm-NPQR "), h);
        assert_ne!(hash_code("ABCD-EFGH-JKLM-NPQS"), h);
    }

    #[test]
    fn tokens_are_256_bits_of_hex() -> Result<(), Error> {
        let t = new_token()?;
        assert_eq!(t.len(), 64);
        assert!(is_sha256_hex(&t));
        assert_eq!(hash_token(&t).len(), 64);
        assert!(!is_sha256_hex("ABCDEF"));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        Ok(())
    }
}
