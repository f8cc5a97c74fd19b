//! Moderation's HTML pages: the feedback form and the admin page.

use super::model::{AnyReason, Reason, ReportTarget, UserReason};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::domain::page::PageReq;
use crate::http::AppError;
use crate::moderation;
use crate::state::AppState;
use crate::web::render::{render, Layout};
use crate::web::view;
use crate::web::Ctx;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback", get(feedback))
        .route("/admin", get(admin))
}

#[derive(Template)]
#[template(path = "feedback.html")]
struct FeedbackPage {
    l: Layout,
}

pub async fn feedback(ctx: Ctx) -> Result<Response, Response> {
    ctx.require()?;
    let page = FeedbackPage {
        l: Layout::new(&ctx, "의견 보내기"),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}

pub struct ReportView {
    pub id: i64,
    /// The reported user for a user report (0 for an item report) and their nickname.
    pub user_id: i64,
    pub nickname: String,
    pub item_id: i64,
    pub item_title: String,
    pub owner_id: i64,
    pub reason: &'static str,
    pub detail: String,
    pub when: String,
}

/// An item an admin hid, with what the restore button needs.
pub struct HiddenItemView {
    pub id: i64,
    pub title: String,
    pub owner_id: i64,
    pub when: String,
}

pub struct FeedbackView {
    pub title: String,
    pub content: String,
    pub user_id: i64,
    pub when: String,
}

/// An open dispute with what an admin needs to settle it: the rental, both parties, the
/// deposit and how many condition records each side left (the rental page has the photos).
pub struct DisputeView {
    pub id: i64,
    pub rental_id: i64,
    pub item_title: String,
    pub reason: &'static str,
    pub detail: String,
    pub opened_by: String,
    pub lender: (i64, String),
    pub borrower: (i64, String),
    pub deposit: String,
    pub records: usize,
    pub when: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    l: Layout,
    disputes: Vec<DisputeView>,
    reports: Vec<ReportView>,
    hidden_items: Vec<HiddenItemView>,
    feedback: Vec<FeedbackView>,
}

pub fn reason_ko(reason: Reason) -> &'static str {
    match reason {
        Reason::ProhibitedItem => "거래 금지 물품",
        Reason::NotARental => "대여가 아닌 글",
        Reason::ProfessionalSeller => "전문 업자",
        Reason::Fraud => "사기 의심",
        Reason::Other => "기타",
    }
}

pub fn user_reason_ko(reason: UserReason) -> &'static str {
    match reason {
        UserReason::Fraud => "사기",
        UserReason::Abusive => "욕설·비매너",
        UserReason::NoShow => "약속 불이행(노쇼)",
        UserReason::NotReturned => "미반납",
        UserReason::Spam => "스팸·광고",
        UserReason::Other => "기타",
    }
}

fn any_reason_ko(reason: AnyReason) -> &'static str {
    match reason {
        AnyReason::Item(r) => reason_ko(r),
        AnyReason::User(r) => user_reason_ko(r),
    }
}

pub async fn admin(State(state): State<AppState>, ctx: Ctx) -> Result<Response, Response> {
    let user = ctx.require()?;
    if !user.is_admin() {
        return Err(ctx.fail(AppError::Forbidden("관리자만 볼 수 있어요".into())));
    }
    let now = state.clock.now_ms();
    let req = PageReq {
        page: 1,
        per_page: 50,
    };
    let reports =
        moderation::service::reports(&state, user, moderation::model::ReportStatus::Open, req)
            .await
            .map_err(|e| ctx.fail(e))?;
    let feedback = moderation::service::feedback_list(&state, user, req)
        .await
        .map_err(|e| ctx.fail(e))?;
    let hidden = moderation::service::hidden_items(&state, user, req)
        .await
        .map_err(|e| ctx.fail(e))?;
    let disputes = crate::rentals::service::admin_disputes(
        &state,
        user,
        crate::rentals::model::DisputeStatus::Open,
        req,
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    let ids: Vec<i64> = disputes.items.iter().map(|d| d.rental_id).collect();
    let rentals = crate::rentals::service::rentals_of(&state, user, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    let disputes = disputes
        .items
        .iter()
        .filter_map(|d| {
            let r = rentals.iter().find(|r| r.id == d.rental_id)?;
            Some(DisputeView {
                id: d.id,
                rental_id: r.id,
                item_title: r.item.title.clone(),
                reason: d.reason.label(),
                detail: d.detail.clone(),
                opened_by: if d.opened_by == r.lender.id {
                    "빌려준 사람".into()
                } else {
                    "빌린 사람".into()
                },
                lender: (r.lender.id, r.lender.nickname.clone()),
                borrower: (r.borrower.id, r.borrower.nickname.clone()),
                deposit: r.deposit.as_ref().map_or_else(String::new, |dep| {
                    format!("{}원 ({})", view::won(dep.amount), dep.status.as_str())
                }),
                records: r.handovers.len(),
                when: view::ago(now, d.created_at.0),
            })
        })
        .collect();
    let page = AdminPage {
        l: Layout::new(&ctx, "관리"),
        disputes,
        reports: reports
            .items
            .iter()
            .map(|r| ReportView {
                id: r.id,
                user_id: match r.target {
                    ReportTarget::User { id } => id,
                    ReportTarget::Item { .. } => 0,
                },
                nickname: r
                    .target_nickname
                    .clone()
                    .unwrap_or_else(|| "(알 수 없는 사용자)".into()),
                item_id: r.item_id.unwrap_or(0),
                item_title: r
                    .item_title
                    .clone()
                    .unwrap_or_else(|| "(삭제된 물품)".into()),
                owner_id: r.owner_id.unwrap_or(0),
                reason: any_reason_ko(r.reason),
                detail: r.detail.clone(),
                when: view::ago(now, r.created_at.0),
            })
            .collect(),
        hidden_items: hidden
            .items
            .iter()
            .map(|i| HiddenItemView {
                id: i.id,
                title: i.title.clone(),
                owner_id: i.owner_id,
                when: view::ago(now, i.created_at.0),
            })
            .collect(),
        feedback: feedback
            .items
            .iter()
            .map(|f| FeedbackView {
                title: f.row.title.clone(),
                content: f.row.content.clone(),
                user_id: f.row.user_id.unwrap_or(0),
                when: view::ago(now, f.created_at.0),
            })
            .collect(),
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}
