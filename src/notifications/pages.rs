//! Notifications' HTML page: my notifications, newest first.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::domain::caller::AuthUser;
use crate::domain::error::AppResult;
use crate::domain::page::PageReq;
use crate::notifications;
use crate::notifications::model::{NotificationKind, RADIUS_MAX_KM, RADIUS_MIN_KM};
use crate::state::AppState;
use crate::web::render::{render, Layout, PageLink};
use crate::web::{session, view};
use crate::web::{Ctx, QueryMap};

pub fn router() -> Router<AppState> {
    Router::new().route("/notifications", get(notifications))
}

/// One kind's checkbox in the settings form.
pub struct KindToggle {
    pub kind: &'static str,
    pub label: &'static str,
    pub on: bool,
}

pub struct RadiusOption {
    pub km: i64,
    pub selected: bool,
}

/// The "알림 설정" section of `/me/settings` (rendered by the accounts page, saved by
/// `static/settings.js` through `PATCH /me/notification-settings`).
pub struct AlertSettingsView {
    pub kinds: Vec<KindToggle>,
    pub radii: Vec<RadiusOption>,
    /// The "키워드 알림" section: the caller's keywords.
    pub keywords: Vec<crate::notifications::model::Keyword>,
}

pub async fn settings_view(state: &AppState, user: AuthUser) -> AppResult<AlertSettingsView> {
    let s = notifications::service::settings(state, user).await?;
    Ok(AlertSettingsView {
        kinds: NotificationKind::ALL
            .into_iter()
            .map(|k| KindToggle {
                kind: k.as_str(),
                label: k.label(),
                on: s.is_on(k),
            })
            .collect(),
        radii: (RADIUS_MIN_KM..=RADIUS_MAX_KM)
            .map(|km| RadiusOption {
                km,
                selected: km == s.alert_radius_km,
            })
            .collect(),
        keywords: notifications::service::keywords(state, user).await?,
    })
}

pub struct NoteView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub link: String,
    pub when: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    l: Layout,
    notes: Vec<NoteView>,
    unread: i64,
    pages: Vec<PageLink>,
    prev: String,
    next: String,
}

pub async fn notifications(
    State(state): State<AppState>,
    ctx: Ctx,
    p: QueryMap,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let now = state.clock.now_ms();
    let page = p.page();
    let list = notifications::service::list(&state, user, false, PageReq { page, per_page: 30 })
        .await
        .map_err(|e| ctx.fail(e))?;
    let notes = list
        .items
        .iter()
        .map(|n| NoteView {
            id: n.id,
            title: n.title.clone(),
            body: n.body.clone(),
            link: session::safe_next(&state.public_url, Some(&n.link)),
            when: view::ago(now, n.created_at.0),
            unread: n.read_at.is_none(),
        })
        .collect();
    let pages_total = (list.total + 29) / 30;
    let href = |n: i64| format!("/notifications?page={n}");
    let prev = if page > 1 {
        href(page - 1)
    } else {
        String::new()
    };
    let next = if page < pages_total {
        href(page + 1)
    } else {
        String::new()
    };
    let page = NotificationsPage {
        l: Layout::new(&ctx, "알림"),
        notes,
        unread: list.unread_count,
        pages: Vec::new(),
        prev,
        next,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}
