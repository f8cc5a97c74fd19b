//! Accounts' HTML pages: a public profile, my page and the profile settings form.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::accounts::identities::{self, Callback, WebFailure, WebOutcome};
use crate::catalog::model::{ItemFilter, StatusFilter};
use crate::catalog::service as catalog;
use crate::domain::error::AppError;
use crate::domain::page::{Bounded, PageReq};
use crate::rentals;
use crate::rentals::model::{RentalFilter, RentalState};
use crate::state::AppState;
use crate::web::render::{pagination, parse_id, render, Chip, Layout, PageLink, PER_PAGE};
use crate::web::session::{self, provider_cookie, see_other, with_cookies, PROVIDER_COOKIE};
use crate::web::view::{self, Card, RentalView, ReviewView};
use crate::web::{Ctx, QueryMap};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users/{id}", get(user))
        .route("/me", get(me))
        .route("/me/settings", get(settings))
        .route("/auth/{provider}/start", get(provider_start))
        .route("/auth/{provider}/callback", get(provider_callback))
        .route("/welcome", get(welcome))
}

// ---------------------------------------------------------------- users

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    l: Layout,
    id: i64,
    region_verified: bool,
    /// A signed-in viewer other than this user (not deleted) may block, unblock or report them.
    can_block: bool,
    blocked: bool,
    can_report: bool,
    thermo: view::Thermo,
    nickname: String,
    avatar: String,
    bio: String,
    region: String,
    score: String,
    joined: String,
    deleted: bool,
    reviews: Vec<ReviewView>,
    cards: Vec<Card>,
}

pub async fn user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let id = parse_id(&ctx, &id)?;
    let now = state.clock.now_ms();
    let u = crate::accounts::blocks::profile_for(&state, id, ctx.user)
        .await
        .map_err(|e| ctx.fail(e))?;
    let reviews = rentals::service::reviews_of_user(
        &state,
        id,
        ctx.user,
        PageReq {
            page: 1,
            per_page: 20,
        },
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    let items = catalog::list(
        &state,
        ctx.user,
        &ItemFilter {
            owner: Bounded::new(id).ok(),
            status: Some(StatusFilter::Any),
            ..Default::default()
        },
        PageReq {
            page: 1,
            per_page: 24,
        },
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    let page = UserPage {
        l: Layout::new(&ctx, &u.nickname),
        id,
        region_verified: u.region_verified,
        can_block: ctx.user.is_some_and(|v| v.id != id) && !u.deleted,
        blocked: u.blocked == Some(true),
        can_report: !u.deleted && ctx.user.is_some_and(|me| me.id != id),
        thermo: view::thermo(u.trust),
        nickname: u.nickname.clone(),
        avatar: u.avatar_url.clone().unwrap_or_default(),
        bio: u.bio.clone(),
        region: view::region_name(&u.region),
        score: view::score_text(&u),
        joined: view::date(u.joined_at.0),
        deleted: u.deleted,
        reviews: reviews.items.iter().map(|r| view::review(now, r)).collect(),
        cards: items.items.iter().map(|s| view::card(now, s)).collect(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- my page

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    l: Layout,
    nickname: String,
    avatar: String,
    region: String,
    score: String,
    tab: String,
    tabs: Vec<Chip>,
    rentals: Vec<RentalView>,
    cards: Vec<Card>,
    empty: String,
    pages: Vec<PageLink>,
    prev: String,
    next: String,
}

const TABS: &[(&str, &str)] = &[
    ("ongoing", "대여 중"),
    ("done", "대여 완료"),
    ("requests", "요청"),
    ("bookmarks", "찜한 물품"),
    ("items", "내 물품"),
];

pub async fn me(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let (user, me) = ctx.me(&state).await?;
    let now = state.clock.now_ms();
    let tab = p
        .str("tab")
        .filter(|t| TABS.iter().any(|(k, _)| k == t))
        .unwrap_or("ongoing")
        .to_string();
    let page = p.page();
    let req = PageReq {
        page,
        per_page: PER_PAGE,
    };
    let (rentals_v, cards, total) = match tab.as_str() {
        "bookmarks" => {
            let list = catalog::my_bookmarks(&state, user, req)
                .await
                .map_err(|e| ctx.fail(e))?;
            let cards = list.items.iter().map(|s| view::card(now, s)).collect();
            (Vec::new(), cards, list.total)
        }
        "items" => {
            let list = catalog::list(
                &state,
                Some(user),
                &ItemFilter {
                    owner: Bounded::new(user.id).ok(),
                    status: Some(StatusFilter::Any),
                    ..Default::default()
                },
                req,
            )
            .await
            .map_err(|e| ctx.fail(e))?;
            let cards = list.items.iter().map(|s| view::card(now, s)).collect();
            (Vec::new(), cards, list.total)
        }
        t => {
            let wanted = match t {
                "done" => RentalState::Closed,
                "requests" => RentalState::Pending,
                _ => RentalState::Ongoing,
            };
            let filter = RentalFilter {
                role: None,
                state: Some(wanted),
            };
            let list = rentals::service::list(&state, user, filter, req)
                .await
                .map_err(|e| ctx.fail(e))?;
            let rows: Vec<RentalView> = list.items.iter().map(|r| view::rental(user, r)).collect();
            (rows, Vec::new(), list.total)
        }
    };
    let empty = match tab.as_str() {
        "ongoing" => "지금 대여 중인 물건이 없어요. 홈에서 필요한 물건을 찾아보세요.",
        "done" => "아직 끝난 대여가 없어요.",
        "requests" => "기다리는 대여 요청이 없어요.",
        "bookmarks" => "찜한 물품이 없어요. 마음에 드는 물건에 ♥를 눌러 보세요.",
        _ => "아직 등록한 물건이 없어요. 첫 물건을 올려 보세요.",
    };
    let tab_href = |t: &str, pg: i64| {
        if pg > 1 {
            format!("/me?tab={t}&page={pg}")
        } else {
            format!("/me?tab={t}")
        }
    };
    let tabs = TABS
        .iter()
        .map(|(k, label)| Chip {
            label: label.to_string(),
            href: tab_href(k, 1),
            active: *k == tab,
        })
        .collect();
    let (pages, prev, next) = pagination(total, page, |n| tab_href(&tab, n));
    let page = MePage {
        l: Layout::new(&ctx, "내 정보"),
        nickname: me.public.nickname.clone(),
        avatar: me.public.avatar_url.clone().unwrap_or_default(),
        region: view::region_name(&me.public.region),
        score: view::score_text(&me.public),
        tab,
        tabs,
        rentals: rentals_v,
        cards,
        empty: empty.to_string(),
        pages,
        prev,
        next,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

/// One way to sign in, as the settings page lists it.
struct MethodView {
    provider: String,
    name: String,
    /// When it was linked, empty when it is not.
    linked: String,
    /// Where linking starts (for a configured provider that is not linked).
    link_href: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    l: Layout,
    nickname: String,
    bio: String,
    email: String,
    avatar: String,
    region_code: String,
    region_name: String,
    has_password: bool,
    region_verified: bool,
    methods: Vec<MethodView>,
    /// Why linking failed, when the provider sent the browser back here.
    method_error: String,
    blocked: Vec<crate::accounts::PublicUser>,
    /// The "알림 설정" section (notifications' view).
    alerts: crate::notifications::pages::AlertSettingsView,
}

pub async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let (user, me) = ctx.me(&state).await?;
    let blocked = crate::accounts::blocks::list(&state, user)
        .await
        .map_err(|e| ctx.fail(e))?;
    let alerts = crate::notifications::pages::settings_view(&state, user)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut methods: Vec<MethodView> = identities::providers(&state)
        .into_iter()
        .map(|p| MethodView {
            link_href: format!("/auth/{}/start?link=1&next=/me/settings", p.id),
            provider: p.id,
            name: p.name,
            linked: String::new(),
        })
        .collect();
    for i in &me.identities {
        let linked = view::date(i.linked_at.0);
        match methods.iter_mut().find(|m| m.provider == i.provider) {
            Some(m) => m.linked = linked,
            // Linked while a provider was configured that no longer is: still listed, so it can
            // be unlinked.
            None => methods.push(MethodView {
                provider: i.provider.clone(),
                name: i.provider.clone(),
                linked,
                link_href: String::new(),
            }),
        }
    }
    let (region_code, region_name) = view::picker_fields(&me.public.region);
    let page = SettingsPage {
        l: Layout::new(&ctx, "프로필 수정"),
        blocked,
        has_password: me.has_password,
        region_verified: me.public.region_verified,
        methods,
        method_error: p
            .str("error")
            .and_then(WebFailure::parse)
            .map(|f| f.message().to_string())
            .unwrap_or_default(),
        nickname: me.public.nickname.clone(),
        bio: me.public.bio.clone(),
        email: me.email.clone().unwrap_or_default(),
        avatar: me.public.avatar_url.clone().unwrap_or_default(),
        region_code,
        region_name,
        alerts,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

// ---------------------------------------------------------------- sign in with a provider

/// `GET /auth/{provider}/start?next=…[&link=1]`: 302 to the provider's sign-in page. With
/// `link=1` the signed-in account links the identity instead of signing in.
pub async fn provider_start(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(provider): Path<String>,
    headers: HeaderMap,
    p: QueryMap,
) -> Result<Response, Response> {
    let next = session::safe_next(&state.public_url, p.str("next"));
    let link_user = match p.str("link") {
        Some("1") => Some(ctx.require()?.id),
        _ if ctx.user.is_some() => return Ok(see_other(&next)),
        _ => None,
    };
    let key = crate::http::extract::cookie_in(&headers, PROVIDER_COOKIE);
    match identities::start_web(&state, &provider, next, link_user, key, &ctx.ip).await {
        Ok(start) => {
            let mut resp =
                (StatusCode::FOUND, [(header::LOCATION, start.location)]).into_response();
            let cookie = provider_cookie(
                &start.browser_key,
                identities::WEB_LOGIN_TTL_SECS,
                ctx.secure,
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(resp)
        }
        Err(AppError::Unavailable(_)) => Ok(see_other(&failure_target(
            WebFailure::Unavailable,
            link_user.is_some(),
        ))),
        Err(e) => Err(ctx.fail(e)),
    }
}

fn failure_target(f: WebFailure, linking: bool) -> String {
    if linking {
        format!("/me/settings?error={}", f.code())
    } else {
        format!("/login?error={}", f.code())
    }
}

/// `GET /auth/{provider}/callback?code&state` (or `?error&state`): signs the browser in (a new
/// account goes on to choose its 동네), links, or returns to `/login` saying why.
pub async fn provider_callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(provider): Path<String>,
    headers: HeaderMap,
    p: QueryMap,
) -> Response {
    let key = crate::http::extract::cookie_in(&headers, PROVIDER_COOKIE);
    let cb = Callback {
        code: p.str("code").map(str::to_string),
        state: p.str("state").map(str::to_string),
        error: p.str("error").map(str::to_string),
    };
    let resp = match identities::finish_web(&state, &provider, cb, key.as_deref()).await {
        Ok(WebOutcome::SignedIn {
            auth,
            created,
            next,
        }) => {
            let to = if created {
                format!("/welcome?next={}", session::encode(&next))
            } else {
                next
            };
            session::signed_in_redirect(&state, &ctx, &auth, &to)
        }
        Ok(WebOutcome::Linked { next }) => see_other(&next),
        Err(failed) => see_other(&failure_target(failed.failure, failed.linking)),
    };
    let mut resp = with_cookies(resp, vec![provider_cookie("", 0, ctx.secure)]);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    l: Layout,
    nickname: String,
    next: String,
    region_code: String,
    region_name: String,
}

/// A new account's first page: choose the 동네 before anything else (skippable).
pub async fn welcome(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let (_, me) = ctx.me(&state).await?;
    let next = session::safe_next(&state.public_url, p.str("next"));
    let (region_code, region_name) = view::picker_fields(&me.public.region);
    let page = WelcomePage {
        l: Layout::new(&ctx, "동네 설정"),
        nickname: me.public.nickname.clone(),
        next,
        region_code,
        region_name,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}
