//! Notifications' HTML page: my notifications, newest first.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::domain::page::PageReq;
use crate::notifications;
use crate::state::AppState;
use crate::web::render::{render, Layout, PageLink};
use crate::web::{session, view};
use crate::web::{Ctx, QueryMap};

pub fn router() -> Router<AppState> {
    Router::new().route("/notifications", get(notifications))
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
