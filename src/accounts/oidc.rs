//! OpenID Connect providers (Kakao today): discovery, the provider's keys, ID-token checks, the
//! authorization-code exchange with PKCE and userinfo. It knows nothing of our routes or accounts:
//! `identities` decides what a verified identity means. A second provider (Naver, Google, Apple)
//! is a `Preset` and its configuration, not new flow code.
//!
//! JWT parsing and RS256 verification are `jsonwebtoken`'s; what is ours is the policy: RS256
//! only, which issuer and audience, the 60 s leeway on our clock, the nonce, and how often the
//! keys may be fetched again.
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::OidcClient;

/// What differs between providers besides their registration.
pub struct Preset {
    /// The provider's id in routes and the `identities` list (`kakao`).
    pub id: &'static str,
    /// Its name as people know it.
    pub name: &'static str,
    pub default_issuer: &'static str,
    /// The scopes a web sign-in asks for.
    pub scope: &'static str,
}

pub const KAKAO: Preset = Preset {
    id: "kakao",
    name: "카카오",
    default_issuer: "https://kauth.kakao.com",
    scope: "openid profile_nickname profile_image account_email",
};

/// Clock skew we forgive on `exp` and `iat`.
const LEEWAY_SECS: i64 = 60;
/// The keys are fetched again for an unknown `kid` at most this often, so a flood of tokens with
/// made-up key ids costs the provider one request a minute.
const REFETCH_MS: i64 = 60_000;
/// Discovery is read again after a day (endpoints rarely move; keys are fetched separately).
const DISCOVERY_TTL_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The token, code or answer is not acceptable. The reason is for our logs, never a token.
    #[error("invalid: {0}")]
    Invalid(&'static str),
    /// The provider could not be reached or answered nonsense.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}

#[derive(Clone, Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    /// When the keys were last fetched (ms), 0 before the first time.
    fetched_at: i64,
}

/// The claims of a verified ID token that we use.
#[derive(Clone, Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: Option<bool>,
}

impl IdClaims {
    /// The email, only when the provider says it is verified.
    pub fn verified_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|_| self.email_verified == Some(true))
    }
}

/// What userinfo adds on the web flow: Kakao's OIDC userinfo (`email`, `email_verified`) or its
/// user API shape (`kakao_account.email`, `kakao_account.is_email_verified`); both are read.
#[derive(Debug, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
    #[serde(default)]
    picture: Option<String>,
    #[serde(default)]
    kakao_account: Option<KakaoAccount>,
}

#[derive(Debug, Default, Deserialize)]
struct KakaoAccount {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    is_email_verified: Option<bool>,
}

impl UserInfo {
    pub fn verified_email(&self) -> Option<&str> {
        if self.email_verified == Some(true) {
            if let Some(e) = self.email.as_deref() {
                return Some(e);
            }
        }
        let account = self.kakao_account.as_ref()?;
        account
            .email
            .as_deref()
            .filter(|_| account.is_email_verified == Some(true))
    }

    pub fn picture(&self) -> Option<&str> {
        self.picture.as_deref()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// What the code exchange gives: the ID token and the access token for userinfo.
pub struct Exchanged {
    pub id_token: String,
    pub access_token: Option<String>,
}

/// A PKCE pair: the verifier stays with us, the S256 challenge goes to the provider.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new(verifier: String) -> Pkce {
        let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }
}

pub struct Provider {
    pub preset: &'static Preset,
    client: OidcClient,
    http: reqwest::Client,
    discovery: tokio::sync::RwLock<Option<(Discovery, i64)>>,
    keys: RwLock<Keys>,
    /// Held while the keys are fetched, so concurrent unknown `kid`s make one request.
    fetching: tokio::sync::Mutex<()>,
}

impl Provider {
    pub fn new(preset: &'static Preset, client: OidcClient) -> Provider {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client builds with static settings");
        Provider {
            preset,
            client,
            http,
            discovery: tokio::sync::RwLock::new(None),
            keys: RwLock::new(Keys::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    pub fn issuer(&self) -> &str {
        self.client.issuer.trim_end_matches('/')
    }

    pub fn client_id(&self) -> &str {
        &self.client.client_id
    }

    async fn discovery(&self, now: i64) -> Result<Discovery, OidcError> {
        if let Some((d, at)) = self.discovery.read().await.as_ref() {
            if now - at < DISCOVERY_TTL_MS {
                return Ok(d.clone());
            }
        }
        let mut slot = self.discovery.write().await;
        if let Some((d, at)) = slot.as_ref() {
            if now - at < DISCOVERY_TTL_MS {
                return Ok(d.clone());
            }
        }
        let url = format!("{}/.well-known/openid-configuration", self.issuer());
        let d: Discovery = self.get_json(&url).await?;
        // The document must speak for the issuer we were configured with (OpenID Discovery §4.3).
        if d.issuer.trim_end_matches('/') != self.issuer() {
            return Err(OidcError::Unavailable(
                "discovery names another issuer".into(),
            ));
        }
        *slot = Some((d.clone(), now));
        Ok(d)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(format!("GET {url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(OidcError::Unavailable(format!(
                "GET {url}: {}",
                resp.status()
            )));
        }
        resp.json()
            .await
            .map_err(|e| OidcError::Unavailable(format!("GET {url}: {e}")))
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().ok()?.by_kid.get(kid).cloned()
    }

    /// Fetches the keys unless they were fetched in the last minute (or another task is fetching
    /// them now and got there first).
    async fn refetch_keys(&self, now: i64) -> Result<(), OidcError> {
        let _one = self.fetching.lock().await;
        let last = self.keys.read().map(|k| k.fetched_at).unwrap_or(0);
        if last != 0 && now - last < REFETCH_MS {
            return Ok(());
        }
        let d = self.discovery(now).await?;
        let set: JwkSet = self.get_json(&d.jwks_uri).await?;
        let mut by_kid = HashMap::new();
        for jwk in &set.keys {
            let rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
            let for_signing = !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption));
            let (Some(kid), true, true) = (jwk.common.key_id.as_ref(), rsa, for_signing) else {
                continue;
            };
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                by_kid.insert(kid.clone(), key);
            }
        }
        if let Ok(mut k) = self.keys.write() {
            *k = Keys {
                by_kid,
                fetched_at: now,
            };
        }
        Ok(())
    }

    /// Checks an ID token: RS256 with a key of the provider's JWKS (an unknown `kid` fetches the
    /// keys again, at most once a minute), `iss` = the issuer, `aud` = our client id, `exp` not
    /// past and `iat` not ahead of `now` by more than 60 s, and `nonce` when one was sent.
    pub async fn verify(
        &self,
        token: &str,
        nonce: Option<&str>,
        now_ms: i64,
    ) -> Result<IdClaims, OidcError> {
        // `alg: none` and unknown algorithms fail to parse here; HS256 and the rest are refused
        // below, so a token "signed" with our public key as an HMAC secret never verifies.
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| OidcError::Invalid("malformed"))?;
        if header.alg != Algorithm::RS256 {
            return Err(OidcError::Invalid("algorithm is not RS256"));
        }
        let kid = header.kid.ok_or(OidcError::Invalid("no kid"))?;
        let key = match self.key(&kid) {
            Some(k) => k,
            None => {
                self.refetch_keys(now_ms).await?;
                self.key(&kid).ok_or(OidcError::Invalid("unknown key"))?
            }
        };
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[self.issuer()]);
        v.set_audience(&[self.client_id()]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Time is checked below against our clock, which tests can move.
        v.validate_exp = false;
        v.leeway = 0;
        let data = jsonwebtoken::decode::<IdClaims>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            OidcError::Invalid(match e.kind() {
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::MissingRequiredClaim(_) => "missing claim",
                _ => "invalid token",
            })
        })?;
        let c = data.claims;
        let now = now_ms.div_euclid(1000);
        if c.exp + LEEWAY_SECS < now {
            return Err(OidcError::Invalid("expired"));
        }
        if c.iat > now + LEEWAY_SECS {
            return Err(OidcError::Invalid("issued in the future"));
        }
        if c.sub.is_empty() {
            return Err(OidcError::Invalid("empty subject"));
        }
        if let Some(want) = nonce {
            if c.nonce.as_deref() != Some(want) {
                return Err(OidcError::Invalid("nonce mismatch"));
            }
        }
        Ok(c)
    }

    /// Where the browser goes to sign in (authorization code flow with PKCE S256).
    pub async fn authorize_url(
        &self,
        now: i64,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        challenge: &str,
    ) -> Result<String, OidcError> {
        let d = self.discovery(now).await?;
        let mut url = url::Url::parse(&d.authorization_endpoint)
            .map_err(|_| OidcError::Unavailable("authorization_endpoint is not a URL".into()))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", self.client_id())
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", self.preset.scope)
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// Trades an authorization code for tokens (with the PKCE verifier, and the client secret
    /// when one is configured).
    pub async fn exchange(
        &self,
        now: i64,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Exchanged, OidcError> {
        let d = self.discovery(now).await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", self.client_id()),
            ("redirect_uri", redirect_uri),
            ("code", code),
            ("code_verifier", verifier),
        ];
        if let Some(secret) = self.client.client_secret.as_deref() {
            form.push(("client_secret", secret));
        }
        let resp = self
            .http
            .post(&d.token_endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(format!("token endpoint: {e}")))?;
        if resp.status().is_server_error() {
            return Err(OidcError::Unavailable(format!(
                "token endpoint: {}",
                resp.status()
            )));
        }
        if !resp.status().is_success() {
            // A used, expired or foreign code, a wrong verifier or secret: the provider says no.
            return Err(OidcError::Invalid("code refused"));
        }
        let t: TokenAnswer = resp
            .json()
            .await
            .map_err(|_| OidcError::Invalid("token answer unreadable"))?;
        Ok(Exchanged {
            id_token: t.id_token.ok_or(OidcError::Invalid("no id_token"))?,
            access_token: t.access_token,
        })
    }

    /// Userinfo for the signed-in subject; an answer about someone else is refused.
    pub async fn userinfo(
        &self,
        now: i64,
        access_token: &str,
        sub: &str,
    ) -> Result<UserInfo, OidcError> {
        let d = self.discovery(now).await?;
        let Some(endpoint) = d.userinfo_endpoint else {
            return Ok(UserInfo::default());
        };
        let resp = self
            .http
            .get(&endpoint)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(format!("userinfo: {e}")))?;
        if !resp.status().is_success() {
            return Err(OidcError::Unavailable(format!(
                "userinfo: {}",
                resp.status()
            )));
        }
        let info: UserInfo = resp
            .json()
            .await
            .map_err(|_| OidcError::Invalid("userinfo unreadable"))?;
        if info.sub.as_deref().is_some_and(|s| s != sub) {
            return Err(OidcError::Invalid("userinfo is about another subject"));
        }
        Ok(info)
    }
}

/// Profile pictures larger than this are not taken (the image pipeline's own upload limit).
const PICTURE_MAX_BYTES: usize = 10 * 1024 * 1024;

impl Provider {
    /// Downloads a profile picture the provider named, when it is on https (or on the issuer's
    /// own scheme and host, for a provider run locally): at most 10 MB, within the client's
    /// timeouts, no redirects.
    pub async fn picture(&self, url: &str) -> Result<Vec<u8>, OidcError> {
        let parsed = url::Url::parse(url).map_err(|_| OidcError::Invalid("picture URL"))?;
        let issuer = url::Url::parse(self.issuer()).ok();
        let same_origin = issuer.is_some_and(|i| i.origin() == parsed.origin());
        if parsed.scheme() != "https" && !same_origin {
            return Err(OidcError::Invalid("picture URL is not https"));
        }
        let mut resp = self
            .http
            .get(parsed)
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(format!("picture: {e}")))?;
        if !resp.status().is_success() {
            return Err(OidcError::Unavailable(format!(
                "picture: {}",
                resp.status()
            )));
        }
        if resp
            .content_length()
            .is_some_and(|n| n as usize > PICTURE_MAX_BYTES)
        {
            return Err(OidcError::Invalid("picture too large"));
        }
        let mut out = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| OidcError::Unavailable(format!("picture: {e}")))?
        {
            if out.len() + chunk.len() > PICTURE_MAX_BYTES {
                return Err(OidcError::Invalid("picture too large"));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// The configured providers, by id.
#[derive(Default)]
pub struct Providers {
    list: Vec<std::sync::Arc<Provider>>,
}

impl Providers {
    pub fn from_config(config: &crate::config::Config) -> Providers {
        let mut list = Vec::new();
        if let Some(kakao) = &config.kakao {
            list.push(std::sync::Arc::new(Provider::new(&KAKAO, kakao.clone())));
        }
        Providers { list }
    }

    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.list
            .iter()
            .find(|p| p.preset.id == id)
            .map(|p| p.as_ref())
    }

    pub fn all(&self) -> impl Iterator<Item = &Provider> {
        self.list.iter().map(|p| p.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc7636_s256() {
        // RFC 7636 appendix B.
        let p = Pkce::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(p.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn userinfo_reads_both_shapes_and_only_verified_emails() {
        let oidc: UserInfo =
            serde_json::from_str(r#"{"sub":"1","email":"a@b.kr","email_verified":true}"#).unwrap();
        assert_eq!(oidc.verified_email(), Some("a@b.kr"));
        let kakao: UserInfo = serde_json::from_str(
            r#"{"id":1,"kakao_account":{"email":"c@d.kr","is_email_verified":true}}"#,
        )
        .unwrap();
        assert_eq!(kakao.verified_email(), Some("c@d.kr"));
        let unverified: UserInfo = serde_json::from_str(
            r#"{"kakao_account":{"email":"c@d.kr","is_email_verified":false}}"#,
        )
        .unwrap();
        assert_eq!(unverified.verified_email(), None);
    }
}
