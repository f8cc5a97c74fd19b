//! Access tokens are HS256 JWTs; refresh tokens are random strings stored only as SHA-256 hashes.
//!
//! A signed-in client sends the same access token with every request for its 15 minutes, so the
//! tokens verified recently are remembered (the whole token, its subject, login, the login's
//! session key and expiry): a request with one of them skips the decoding, the MAC, the JSON and
//! the session key's hash, which were most of what a signed-in page cost more than an anonymous
//! one. Only a token whose signature was checked is
//! remembered, its expiry is checked on every use, and the key never changes in a process, so the
//! answer is the one verifying again would give. Whether its login still stands is not decided
//! here (`accounts::service::check_access`).
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct TokenKeys {
    /// The MAC with the key already absorbed, cloned for each use.
    keyed: HmacSha256,
    verified: Arc<RwLock<HashMap<String, Remembered>>>,
}

/// A verified token's answer and its expiry (epoch ms).
#[derive(Clone)]
struct Remembered {
    verified: Verified,
    expires_ms: i64,
}

/// Bounds the memory of remembered tokens (a few hundred bytes each): past it, the expired ones
/// go, and if most are still live, all of them (they are verified again on their next use).
const REMEMBERED_MAX: usize = 50_000;

#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    sub: String,
    /// The login (refresh-token family) that issued this token: ending the login ends the token
    /// and the sockets opened with it.
    #[serde(default)]
    sid: String,
    iat: i64,
    exp: i64,
}

/// A valid access token's subject and login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub user_id: i64,
    pub family: String,
    /// `session_key(family)`, worked out once with the signature rather than on every request.
    pub session: u64,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        TokenKeys {
            keyed: HmacSha256::new_from_slice(secret).expect("hmac takes any key length"),
            verified: Arc::default(),
        }
    }

    pub fn issue(&self, user_id: i64, family: &str, now_ms: i64, ttl_secs: i64) -> String {
        let iat = now_ms / 1000;
        let claims = Claims {
            sub: user_id.to_string(),
            sid: family.to_string(),
            iat,
            exp: iat + ttl_secs,
        };
        let payload = serde_json::to_vec(&claims).expect("claims serialize");
        let signing_input = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
        let sig = self.mac(signing_input.as_bytes()).finalize().into_bytes();
        format!("{signing_input}.{}", B64.encode(sig))
    }

    /// The user and login of a valid, unexpired token. Tokens without a login (made before
    /// logins were bound to tokens) are refused: the client refreshes.
    pub fn verify(&self, token: &str, now_ms: i64) -> Option<Verified> {
        let remembered = self
            .verified
            .read()
            .expect("tokens lock")
            .get(token)
            .cloned();
        if let Some(r) = remembered {
            return (now_ms < r.expires_ms).then_some(r.verified);
        }
        let (verified, expires_ms) = self.check(token)?;
        if now_ms >= expires_ms {
            return None;
        }
        let mut map = self.verified.write().expect("tokens lock");
        if map.len() >= REMEMBERED_MAX {
            map.retain(|_, r| now_ms < r.expires_ms);
            if map.len() >= REMEMBERED_MAX / 2 {
                map.clear();
            }
        }
        map.insert(
            token.to_string(),
            Remembered {
                verified: verified.clone(),
                expires_ms,
            },
        );
        Some(verified)
    }

    /// The signature, header and claims of a token, and its expiry; `None` when any is wrong.
    fn check(&self, token: &str) -> Option<(Verified, i64)> {
        let (signing_input, sig) = token.rsplit_once('.')?;
        let (header, payload) = signing_input.split_once('.')?;
        let sig = B64.decode(sig).ok()?;
        self.mac(signing_input.as_bytes()).verify_slice(&sig).ok()?;
        let header: serde_json::Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
        if header.get("alg")?.as_str()? != "HS256" {
            return None;
        }
        let claims: Claims = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
        if claims.sid.is_empty() {
            return None;
        }
        Some((
            Verified {
                user_id: claims.sub.parse().ok()?,
                session: session_key(&claims.sid),
                family: claims.sid,
            },
            claims.exp.checked_mul(1000)?,
        ))
    }

    fn mac(&self, data: &[u8]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(data);
        mac
    }
}

pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    B64.encode(b)
}

/// A login's short key, used to find its sockets: the first 8 bytes of the family's SHA-256.
pub fn session_key(family: &str) -> u64 {
    let d = Sha256::digest(family.as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_expiry_and_tamper() {
        let k = TokenKeys::new(b"secret");
        let t = k.issue(42, "fam", 1_000_000, 60);
        let ok = Verified {
            user_id: 42,
            family: "fam".into(),
            session: session_key("fam"),
        };
        assert_eq!(k.verify(&t, 1_000_000), Some(ok));
        let no_login = k.issue(42, "", 1_000_000, 60);
        assert_eq!(k.verify(&no_login, 1_000_000), None);
        assert_eq!(k.verify(&t, 1_000_000 + 61_000), None);
        let other = TokenKeys::new(b"other");
        assert_eq!(other.verify(&t, 1_000_000), None);
        let mut bad = t.clone();
        bad.push('x');
        assert_eq!(k.verify(&bad, 1_000_000), None);
    }

    #[test]
    fn a_remembered_token_still_expires_and_a_forged_one_is_never_remembered() {
        let k = TokenKeys::new(b"secret");
        let t = k.issue(7, "fam", 1_000_000, 60);
        assert!(k.verify(&t, 1_000_000).is_some(), "verified and remembered");
        assert!(k.verify(&t, 1_000_000 + 59_999).is_some(), "remembered");
        assert_eq!(
            k.verify(&t, 1_000_000 + 60_000),
            None,
            "expired all the same"
        );
        // Another user's claims under the remembered token's signature: refused, never stored.
        let (input, sig) = t.rsplit_once('.').unwrap();
        let (header, _) = input.split_once('.').unwrap();
        let claims = B64.encode(r#"{"sub":"8","sid":"fam","iat":1000,"exp":1060}"#);
        let forged = format!("{header}.{claims}.{sig}");
        assert_eq!(k.verify(&forged, 1_000_000), None);
        assert_eq!(k.verify(&forged, 1_000_000), None);
        assert!(!k.verified.read().unwrap().contains_key(&forged));
        // The memory stays bounded.
        for i in 0..(REMEMBERED_MAX as i64 + 10) {
            let t = k.issue(i, "fam", 1_000_000, 60);
            assert!(k.verify(&t, 1_000_000).is_some());
        }
        assert!(k.verified.read().unwrap().len() <= REMEMBERED_MAX);
    }
}
