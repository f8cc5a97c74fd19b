//! Access tokens are HS256 JWTs; refresh tokens are random strings stored only as SHA-256 hashes.
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct TokenKeys {
    secret: Vec<u8>,
}

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
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        TokenKeys {
            secret: secret.to_vec(),
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
        let (signing_input, sig) = token.rsplit_once('.')?;
        let (header, payload) = signing_input.split_once('.')?;
        let header: serde_json::Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
        if header.get("alg")?.as_str()? != "HS256" {
            return None;
        }
        let sig = B64.decode(sig).ok()?;
        self.mac(signing_input.as_bytes()).verify_slice(&sig).ok()?;
        let claims: Claims = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
        if claims.exp * 1000 <= now_ms || claims.sid.is_empty() {
            return None;
        }
        Some(Verified {
            user_id: claims.sub.parse().ok()?,
            family: claims.sid,
        })
    }

    fn mac(&self, data: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("hmac takes any key length");
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
}
