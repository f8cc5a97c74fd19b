//! What every page shares: the layout, rendering a template, the error pages, ids and pagination.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::{assets, session, Ctx};
use crate::http::AppError;

pub const PER_PAGE: i64 = 12;

/// What the shared layout needs: who is signed in, the CSRF token, where we are.
pub struct Layout {
    pub title: String,
    pub user_id: i64,
    pub admin: bool,
    pub csrf: String,
    pub here: String,
}

impl Layout {
    pub fn new(ctx: &Ctx, title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            user_id: ctx.user.map(|u| u.id).unwrap_or(0),
            admin: ctx.user.is_some_and(|u| u.is_admin()),
            csrf: ctx.csrf.clone(),
            here: session::encode(&ctx.path),
        }
    }
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
    pub fn signed_in(&self) -> bool {
        self.user_id != 0
    }
}

pub fn render<T: Template>(ctx: &Ctx, status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => ctx.html(status, html),
        Err(e) => {
            tracing::error!(error = %e, "template error");
            ctx.html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><html lang=\"ko\"><meta charset=\"utf-8\"><title>오류</title><p>잠시 문제가 생겼어요.</p></html>".into(),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    heading: String,
    message: String,
}

pub fn render_error(ctx: &Ctx, status: StatusCode, heading: &str, message: &str) -> Response {
    let page = ErrorPage {
        l: Layout::new(ctx, heading),
        status: status.as_u16(),
        heading: heading.to_string(),
        message: message.to_string(),
    };
    render(ctx, status, &page)
}

pub async fn not_found(ctx: Ctx) -> Response {
    render_error(
        &ctx,
        StatusCode::NOT_FOUND,
        "페이지를 찾을 수 없어요",
        "주소가 바뀌었거나 삭제된 페이지예요. 홈에서 다른 물건을 둘러보세요.",
    )
}

pub fn parse_id(ctx: &Ctx, raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ctx.fail(AppError::not_found()))
}

pub struct Chip {
    pub label: String,
    pub href: String,
    pub active: bool,
}

pub struct PageLink {
    pub num: i64,
    pub href: String,
    pub current: bool,
}

pub fn pagination(
    total: i64,
    page: i64,
    href: impl Fn(i64) -> String,
) -> (Vec<PageLink>, String, String) {
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let from = (page - 2).max(1);
    let to = (from + 4).min(pages);
    let links = if pages > 1 {
        (from..=to)
            .map(|n| PageLink {
                num: n,
                href: href(n),
                current: n == page,
            })
            .collect()
    } else {
        Vec::new()
    };
    let prev = if page > 1 {
        href(page - 1)
    } else {
        String::new()
    };
    let next = if page < pages {
        href(page + 1)
    } else {
        String::new()
    };
    (links, prev, next)
}
