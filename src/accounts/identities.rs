//! Sign-in identities (Kakao): signing in, or making an account, from a verified ID token;
//! linking and unlinking; and the browser's sign-in round trip (start, callback).
//!
//! Rules, all here: an identity is the pair (provider, `sub`) and belongs to one account; accounts
//! are never matched by email (a provider's email only fills a new account's empty email, when
//! verified and unused); an account keeps at least one way to sign in; a web sign-in's `state` is
//! used once and only by the browser that started it.
use super::model::*;
use super::oidc::{IdClaims, OidcError, Pkce, Provider};
use super::service::issue_session;
use super::store::{self, PendingLogin};
use super::tokens::{hash_token, random_token};
use crate::clock::Ts;
use crate::domain::caller::AuthUser;
use crate::domain::error::{AppError, AppResult, Problems};
use crate::state::AppState;

/// A web sign-in must come back within this time.
pub const WEB_LOGIN_TTL_SECS: i64 = 600;
const ID_TOKEN_MAX: usize = 8192;
const NONCE_MAX: usize = 512;

/// The configured providers, as `GET /auth/providers` lists them.
pub fn providers(state: &AppState) -> Vec<ProviderInfo> {
    state
        .oidc
        .all()
        .map(|p| ProviderInfo {
            id: p.preset.id.to_string(),
            name: p.preset.name.to_string(),
        })
        .collect()
}

fn provider<'a>(state: &'a AppState, id: &str) -> AppResult<&'a Provider> {
    state
        .oidc
        .get(id)
        .ok_or_else(|| AppError::NotFound("이 로그인 방법은 설정되어 있지 않아요".into()))
}

/// A token the provider's keys do not vouch for is 401 (the reason goes to the log, the token
/// never); a provider we cannot reach is 503.
fn refused(provider: &Provider, e: OidcError) -> AppError {
    match e {
        OidcError::Invalid(why) => {
            tracing::info!(provider = provider.preset.id, why, "identity refused");
            AppError::Unauthenticated("로그인 정보를 확인하지 못했어요".into())
        }
        OidcError::Unavailable(why) => {
            tracing::warn!(provider = provider.preset.id, %why, "provider unavailable");
            AppError::Unavailable(format!(
                "{}에 연결하지 못했어요. 잠시 후 다시 시도해 주세요",
                provider.preset.name
            ))
        }
    }
}

fn check_input(input: &IdTokenInput) -> AppResult<()> {
    let mut p = Problems::default();
    p.check(
        !input.id_token.is_empty() && input.id_token.len() <= ID_TOKEN_MAX,
        "id_token",
        "ID 토큰이 비었거나 너무 길어요",
    );
    p.check(
        input.nonce.as_ref().is_none_or(|n| n.len() <= NONCE_MAX),
        "nonce",
        "nonce가 너무 길어요",
    );
    p.finish()
}

/// The provider and the claims of an app's ID token (404 without the provider, 400 for a
/// malformed body, 401 for a token the provider does not vouch for).
async fn verified<'a>(
    state: &'a AppState,
    provider_id: &str,
    input: &IdTokenInput,
) -> AppResult<(&'a Provider, IdClaims)> {
    let p = provider(state, provider_id)?;
    check_input(input)?;
    let claims = p
        .verify(
            &input.id_token,
            input.nonce.as_deref(),
            state.clock.now_ms(),
        )
        .await
        .map_err(|e| refused(p, e))?;
    Ok((p, claims))
}

/// The user's identities, as the private user and `GET /me/identities` show them.
pub async fn list(state: &AppState, user: i64) -> AppResult<Vec<Identity>> {
    Ok(store::identities_of(&state.db, user)
        .await?
        .into_iter()
        .map(|(provider, at)| Identity {
            provider,
            linked_at: Ts(at),
        })
        .collect())
}

/// Apps: signs in with an ID token from the provider's SDK, making the account on first use.
pub async fn sign_in_with_token(
    state: &AppState,
    provider_id: &str,
    input: IdTokenInput,
) -> AppResult<IdentityAuthResponse> {
    let (p, claims) = verified(state, provider_id, &input).await?;
    let email = claims.verified_email().map(str::to_string);
    let (user, created) = account_for(state, p, &claims, email.as_deref()).await?;
    if created {
        adopt_picture(state, provider_id, user, claims.picture.clone());
    }
    Ok(IdentityAuthResponse {
        auth: issue_session(state, user).await?,
        created,
    })
}

/// The account of an identity, made when the identity is new: (user id, made now).
async fn account_for(
    state: &AppState,
    p: &Provider,
    claims: &IdClaims,
    email: Option<&str>,
) -> AppResult<(i64, bool)> {
    let provider_id = p.preset.id;
    for _ in 0..5 {
        if let Some(user) = store::identity_owner(&state.db, provider_id, &claims.sub).await? {
            let row = store::by_id(&state.db, user)
                .await?
                .ok_or_else(AppError::unauthenticated)?;
            if row.deleted_at.is_some() {
                return Err(AppError::unauthenticated());
            }
            if row.suspended != 0 {
                return Err(AppError::Forbidden("이용이 정지된 계정이에요".into()));
            }
            return Ok((user, false));
        }
        let email = match email.map(normalize_email).filter(|e| valid_email(e)) {
            Some(e) if !store::email_taken(&state.db, &e).await? => e,
            // Another account has it: that account is not ours to take; this one has no email.
            _ => format!("{NO_EMAIL_PREFIX}{}", random_token(12)),
        };
        let nickname = unique_nickname(state, claims.nickname.as_deref()).await?;
        let now = state.clock.now_ms();
        match store::insert_identity_user(
            &state.db,
            &email,
            &nickname,
            provider_id,
            &claims.sub,
            now,
        )
        .await
        {
            Ok(id) => return Ok((id, true)),
            // Raced: the identity was made by a concurrent sign-in (found on the next turn), or
            // the email or nickname was taken meanwhile (chosen again).
            Err(e) if crate::db::is_conflict(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Unavailable(
        "계정을 만들지 못했어요. 다시 시도해 주세요".into(),
    ))
}

/// A new account takes the provider's profile picture as its avatar, in the background (the
/// sign-in does not wait for a download); any failure leaves the default avatar.
fn adopt_picture(state: &AppState, provider_id: &str, user: i64, url: Option<String>) {
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return;
    };
    let state = state.clone();
    let provider_id = provider_id.to_string();
    tokio::spawn(async move {
        let Some(p) = state.oidc.get(&provider_id) else {
            return;
        };
        let result = match p.picture(&url).await {
            Ok(bytes) => super::service::store_avatar(&state, user, bytes)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(why) = result {
            tracing::info!(user, %why, "provider picture not used");
        }
    });
}

/// A nickname from the provider's, made valid (allowed characters, 2–10 of them) and unique by a
/// number suffix.
async fn unique_nickname(state: &AppState, raw: Option<&str>) -> AppResult<String> {
    let base = nickname_base(raw);
    // Every candidate checked in one query: the base, then base2, base3, …
    let candidates: Vec<String> = std::iter::once(base.clone())
        .chain((2..200u32).map(|n| with_suffix(&base, &n.to_string())))
        .collect();
    let taken = store::taken_nicknames(&state.db, &candidates).await?;
    if let Some(free) = candidates.into_iter().find(|c| !taken.contains(c)) {
        return Ok(free);
    }
    let digits: u32 = rand::random::<u32>() % 1_000_000;
    Ok(with_suffix(&base, &digits.to_string()))
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// The provider's nickname with what our rules refuse left out, cut to 10 characters; "이웃"
/// stands in for what is left too short.
pub fn nickname_base(raw: Option<&str>) -> String {
    let kept: String = raw
        .unwrap_or("")
        .chars()
        .filter(|c| allowed(*c))
        .take(NICKNAME_MAX)
        .collect();
    if kept.chars().count() >= NICKNAME_MIN {
        kept
    } else {
        with_suffix(&kept, "이웃")
    }
}

fn with_suffix(base: &str, suffix: &str) -> String {
    let room = NICKNAME_MAX - suffix.chars().count();
    base.chars().take(room).chain(suffix.chars()).collect()
}

/// Links an identity (verified like a sign-in) to the signed-in account.
pub async fn link(
    state: &AppState,
    user: AuthUser,
    provider_id: &str,
    input: IdTokenInput,
) -> AppResult<Identity> {
    let (p, claims) = verified(state, provider_id, &input).await?;
    link_claims(state, user.id, p, &claims).await
}

async fn link_claims(
    state: &AppState,
    user: i64,
    p: &Provider,
    claims: &IdClaims,
) -> AppResult<Identity> {
    let provider_id = p.preset.id;
    let taken = || {
        AppError::Conflict(format!(
            "이 {} 계정은 다른 계정에 연결되어 있어요",
            p.preset.name
        ))
    };
    match store::identity_owner(&state.db, provider_id, &claims.sub).await? {
        Some(owner) if owner == user => {}
        Some(_) => return Err(taken()),
        None => {
            let now = state.clock.now_ms();
            match store::insert_identity(&state.db, user, provider_id, &claims.sub, now).await {
                Ok(()) => {}
                Err(e) if crate::db::is_conflict(&e) => {
                    // Either the identity was linked elsewhere meanwhile, or this account
                    // already has another identity of this provider.
                    return Err(
                        match store::identity_owner(&state.db, provider_id, &claims.sub).await? {
                            Some(owner) if owner != user => taken(),
                            _ => AppError::Conflict(format!(
                                "이미 다른 {} 계정이 연결되어 있어요. 먼저 연결을 해제해 주세요",
                                p.preset.name
                            )),
                        },
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    list(state, user)
        .await?
        .into_iter()
        .find(|i| i.provider == provider_id)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("linked identity not found")))
}

/// Unlinks the account's identity of a provider; 409 when it is the only way left to sign in.
/// Works whether or not the provider is still configured.
pub async fn unlink(state: &AppState, user: AuthUser, provider_id: &str) -> AppResult<()> {
    if store::delete_identity_if_not_last(&state.db, user.id, provider_id).await? {
        return Ok(());
    }
    let linked = store::identities_of(&state.db, user.id)
        .await?
        .iter()
        .any(|(p, _)| p == provider_id);
    if linked {
        Err(AppError::Conflict(
            "다른 로그인 방법이 없어요. 먼저 비밀번호를 설정해 주세요".into(),
        ))
    } else {
        Err(AppError::NotFound("연결되어 있지 않아요".into()))
    }
}

// ---------------------------------------------------------------- the browser's round trip

/// Why a web sign-in did not finish; each has a code for the URL and a Korean explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebFailure {
    /// The person said no on the provider's page.
    Denied,
    /// No such sign-in, used already, expired, or started in another browser.
    Expired,
    /// The provider's answer did not check out (code refused, bad ID token).
    Invalid,
    /// The provider could not be reached.
    Unavailable,
    Suspended,
    /// Linking: the identity belongs to another account (or this one has another).
    Taken,
}

impl WebFailure {
    pub const ALL: [WebFailure; 6] = [
        WebFailure::Denied,
        WebFailure::Expired,
        WebFailure::Invalid,
        WebFailure::Unavailable,
        WebFailure::Suspended,
        WebFailure::Taken,
    ];

    pub fn code(self) -> &'static str {
        match self {
            WebFailure::Denied => "denied",
            WebFailure::Expired => "expired",
            WebFailure::Invalid => "invalid",
            WebFailure::Unavailable => "unavailable",
            WebFailure::Suspended => "suspended",
            WebFailure::Taken => "taken",
        }
    }

    pub fn parse(code: &str) -> Option<WebFailure> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            WebFailure::Denied => {
                "카카오 로그인을 취소했어요. 다시 시도하려면 아래 버튼을 눌러 주세요."
            }
            WebFailure::Expired => {
                "로그인 요청이 만료되었거나 다른 브라우저에서 시작됐어요. 다시 시도해 주세요."
            }
            WebFailure::Invalid => {
                "카카오에서 받은 로그인 정보를 확인하지 못했어요. 다시 시도해 주세요."
            }
            WebFailure::Unavailable => "카카오에 연결하지 못했어요. 잠시 후 다시 시도해 주세요.",
            WebFailure::Suspended => "이용이 정지된 계정이에요.",
            WebFailure::Taken => "이 카카오 계정은 이미 다른 계정에 연결되어 있어요.",
        }
    }
}

/// Where the browser goes, and the binding cookie's value (kept when the browser had one).
pub struct WebStart {
    pub location: String,
    pub browser_key: String,
}

pub fn redirect_uri(state: &AppState, provider_id: &str) -> String {
    format!(
        "{}/auth/{provider_id}/callback",
        state.public_url.trim_end_matches('/')
    )
}

/// Starts a web sign-in (or, with `link_user`, a link): a single-use state bound to this browser,
/// a nonce and a PKCE pair, kept server-side for 10 minutes.
pub async fn start_web(
    state: &AppState,
    provider_id: &str,
    next: String,
    link_user: Option<i64>,
    browser_key: Option<String>,
    addr: &str,
) -> AppResult<WebStart> {
    let p = provider(state, provider_id)?;
    let now = state.clock.now_ms();
    // Each start stores a row: bounded per address. The slot is never given back; starts are
    // cheap for people and 30 in 15 minutes is far more than one person needs.
    let _slot = state
        .throttle
        .reserve(
            &state.db,
            super::limiter::Limit::ProviderStartPerAddr,
            addr,
            now,
        )
        .await?;
    let browser_key = browser_key
        .filter(|k| k.len() >= 16 && k.len() <= 64)
        .unwrap_or_else(|| random_token(24));
    let state_param = random_token(24);
    let nonce = random_token(24);
    let pkce = Pkce::new(random_token(32));
    let location = p
        .authorize_url(
            now,
            &redirect_uri(state, provider_id),
            &state_param,
            &nonce,
            &pkce.challenge,
        )
        .await
        .map_err(|e| refused(p, e))?;
    store::insert_pending_login(
        &state.db,
        &hash_token(&state_param),
        &PendingLogin {
            provider: provider_id.to_string(),
            browser_hash: hash_token(&browser_key),
            nonce,
            verifier: pkce.verifier,
            next_path: next,
            link_user,
            expires_at: now + WEB_LOGIN_TTL_SECS * 1000,
        },
        now,
    )
    .await?;
    Ok(WebStart {
        location,
        browser_key,
    })
}

/// What the provider sent back to the callback.
#[derive(Default, serde::Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

pub enum WebOutcome {
    SignedIn {
        auth: Box<AuthResponse>,
        created: bool,
        next: String,
    },
    Linked {
        next: String,
    },
}

/// A failed callback: why, and whether it was a link (so the page returns to settings).
pub struct WebFailed {
    pub failure: WebFailure,
    pub linking: bool,
}

/// Finishes a web sign-in: takes the state (once), checks it belongs to this browser and has not
/// expired, trades the code (with the PKCE verifier), checks the ID token and its nonce, reads
/// userinfo for a verified email, then signs in, makes the account, or links.
pub async fn finish_web(
    state: &AppState,
    provider_id: &str,
    cb: Callback,
    browser_key: Option<&str>,
) -> Result<WebOutcome, WebFailed> {
    let fail = |failure, linking| WebFailed { failure, linking };
    let p = provider(state, provider_id).map_err(|_| fail(WebFailure::Expired, false))?;
    let state_param = cb
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .ok_or(fail(WebFailure::Expired, false))?;
    let pending = store::take_pending_login(&state.db, &hash_token(state_param))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "taking a web sign-in");
            fail(WebFailure::Unavailable, false)
        })?
        .ok_or(fail(WebFailure::Expired, false))?;
    let linking = pending.link_user.is_some();
    let now = state.clock.now_ms();
    let same_browser = browser_key.is_some_and(|k| hash_token(k) == pending.browser_hash);
    if !same_browser || pending.expires_at < now || pending.provider != provider_id {
        return Err(fail(WebFailure::Expired, linking));
    }
    if cb.error.is_some() {
        return Err(fail(WebFailure::Denied, linking));
    }
    let code = cb
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or(fail(WebFailure::Invalid, linking))?;
    let oidc_failure = |e: OidcError| {
        let failure = match refused(p, e) {
            AppError::Unavailable(_) => WebFailure::Unavailable,
            _ => WebFailure::Invalid,
        };
        fail(failure, linking)
    };
    let tokens = p
        .exchange(
            now,
            code,
            &pending.verifier,
            &redirect_uri(state, provider_id),
        )
        .await
        .map_err(oidc_failure)?;
    let claims = p
        .verify(&tokens.id_token, Some(&pending.nonce), now)
        .await
        .map_err(oidc_failure)?;
    let app_failure = |e: AppError| {
        let failure = match e {
            AppError::Forbidden(_) => WebFailure::Suspended,
            AppError::Conflict(_) => WebFailure::Taken,
            AppError::Unauthenticated(_) => WebFailure::Invalid,
            other => {
                tracing::error!(error = %other, "finishing a web sign-in");
                WebFailure::Unavailable
            }
        };
        fail(failure, linking)
    };
    if let Some(user) = pending.link_user {
        link_claims(state, user, p, &claims)
            .await
            .map_err(app_failure)?;
        return Ok(WebOutcome::Linked {
            next: pending.next_path,
        });
    }
    // The ID token's email when verified, else userinfo's (Kakao marks it there); the picture
    // likewise.
    let mut email = claims.verified_email().map(str::to_string);
    let mut picture = claims.picture.clone();
    if email.is_none() || picture.is_none() {
        if let Some(access) = tokens.access_token.as_deref() {
            let info = p
                .userinfo(now, access, &claims.sub)
                .await
                .map_err(oidc_failure)?;
            email = email.or_else(|| info.verified_email().map(str::to_string));
            picture = picture.or_else(|| info.picture().map(str::to_string));
        }
    }
    let (user, created) = account_for(state, p, &claims, email.as_deref())
        .await
        .map_err(app_failure)?;
    if created {
        adopt_picture(state, provider_id, user, picture);
    }
    let auth = issue_session(state, user).await.map_err(app_failure)?;
    Ok(WebOutcome::SignedIn {
        auth: Box::new(auth),
        created,
        next: pending.next_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_from_providers_follow_our_rules() {
        assert_eq!(nickname_base(Some("망원동 이웃")), "망원동이웃");
        assert_eq!(nickname_base(Some("Kim🙂Min-su")), "KimMinsu");
        assert_eq!(
            nickname_base(Some("가나다라마바사아자차카")),
            "가나다라마바사아자차"
        );
        assert_eq!(nickname_base(Some("김")), "김이웃");
        assert_eq!(nickname_base(Some("🙂")), "이웃");
        assert_eq!(nickname_base(None), "이웃");
        assert_eq!(
            with_suffix("가나다라마바사아자차", "12"),
            "가나다라마바사아12"
        );
        for raw in [
            Some("a"),
            Some("ㄱㄴㄷ"),
            Some("x y z w v u t s r q p"),
            None,
        ] {
            assert!(valid_nickname(&nickname_base(raw)), "{raw:?}");
        }
    }

    #[test]
    fn failure_codes_round_trip() {
        for f in WebFailure::ALL {
            assert_eq!(WebFailure::parse(f.code()), Some(f));
            assert!(!f.message().is_empty());
        }
        assert_eq!(WebFailure::parse("<script>"), None);
    }
}
