//! Rentals' HTML page: one rental, for its parties (and admins): where it stands, what the
//! viewer may do now (the rental's `actions`, decided by the rentals model), the extensions,
//! the pickup and return records side by side, the deposit and the dispute.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::clock::Ts;
use crate::rentals;
use crate::rentals::model::{
    Action, DepositAction, DepositStatus, DisputeStatus, ExtensionDecision, ExtensionStatus,
    Handover, HandoverStage, Rental, RentalStatus,
};
use crate::state::AppState;
use crate::web::render::{parse_id, render, Layout};
use crate::web::view::{self, RentalView};
use crate::web::Ctx;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rentals/{id}", get(rental))
        .merge(super::lending::router())
}

/// One step of the rental's progress bar.
struct Step {
    label: &'static str,
    /// `done`, `now` or empty (to come).
    state: &'static str,
}

struct ExtensionView {
    id: i64,
    end: String,
    status: &'static str,
    status_class: &'static str,
    asked: String,
    can_decide: bool,
    can_cancel: bool,
}

struct HandoverView {
    id: i64,
    author: String,
    note: String,
    images: Vec<(String, String)>,
    at: String,
    confirmed: String,
    /// Who confirms it: the other party.
    confirmer: String,
    can_confirm: bool,
}

/// One stage (인수 or 반납): the lender's and the borrower's record.
struct StageView {
    stage: &'static str,
    title: &'static str,
    /// The lender's and the borrower's record, each with whose it is.
    records: Vec<(&'static str, Option<HandoverView>)>,
    can_record: bool,
}

struct DepositView {
    amount: String,
    status: &'static str,
    status_class: &'static str,
    note: String,
    can_hold: bool,
    can_return: bool,
    can_withhold: bool,
}

struct DisputeView {
    reason: &'static str,
    detail: String,
    opened_by: String,
    open: bool,
    resolution: String,
    at: String,
    resolved: String,
}

#[derive(Template)]
#[template(path = "rental.html")]
struct RentalPage {
    l: Layout,
    r: RentalView,
    lender: String,
    lender_id: i64,
    borrower: String,
    borrower_id: i64,
    requested: String,
    price: String,
    reviewed: bool,
    end_iso: String,
    steps: Vec<Step>,
    todo: Vec<&'static str>,
    can_extend: bool,
    extensions: Vec<ExtensionView>,
    stages: Vec<StageView>,
    deposit: Option<DepositView>,
    can_dispute: bool,
    dispute: Option<DisputeView>,
}

fn steps(r: &Rental) -> Vec<Step> {
    let reached = match r.status {
        RentalStatus::Requested => 0,
        RentalStatus::Accepted if r.in_progress || r.overdue => 2,
        RentalStatus::Accepted => 1,
        RentalStatus::Returned => 3,
        _ => 0,
    };
    ["대여 요청", "수락", "대여 중", "반납"]
        .into_iter()
        .enumerate()
        .map(|(i, label)| Step {
            label,
            state: if i < reached {
                "done"
            } else if i == reached {
                "now"
            } else {
                ""
            },
        })
        .collect()
}

/// What the viewer is asked to do now, in words, from the same `actions` and records.
fn todo(r: &Rental, me: i64) -> Vec<&'static str> {
    let mut out = Vec::new();
    let has = |a: Action| r.actions.contains(&a);
    if has(Action::Accept) {
        out.push("요청을 확인하고 수락하거나 거절해 주세요.");
    }
    if r.extensions
        .iter()
        .any(|e| e.status == ExtensionStatus::Requested)
    {
        out.push(if me == r.lender.id {
            "연장 요청에 답해 주세요. 반납 시각까지 답이 없으면 만료돼요."
        } else {
            "연장 요청에 대한 답을 기다리고 있어요."
        });
    }
    if r.handovers
        .iter()
        .any(|h| h.author.id != me && h.confirmed_at.is_none())
    {
        out.push("상대방이 남긴 물건 상태 기록을 보고 확인해 주세요.");
    }
    if has(Action::HandoverPickup) && r.status == RentalStatus::Accepted && !r.in_progress {
        out.push("물건을 건넬 때 사진으로 상태를 기록해 두세요.");
    }
    if has(Action::HandoverReturn) && (r.in_progress || r.overdue) {
        out.push("돌려줄 때 사진으로 상태를 기록해 두세요.");
    }
    if r.overdue {
        out.push(if me == r.borrower.id {
            "반납 시간이 지났어요. 물건을 돌려주세요."
        } else {
            "반납 시간이 지났어요. 돌려받으면 반납 확인을 눌러 주세요."
        });
    }
    // The deposit asks for attention when it is to be taken, or given back after the return.
    let deposit = r.deposit.as_ref().map(|d| d.status);
    if has(Action::Deposit)
        && (deposit == Some(DepositStatus::None) || r.status == RentalStatus::Returned)
    {
        out.push(match (me == r.lender.id, deposit) {
            (true, Some(DepositStatus::None)) => "보증금을 받으면 '보증금 받았어요'를 눌러 주세요.",
            (true, _) => "보증금을 돌려주세요. 문제가 있으면 이유를 적고 보류할 수 있어요.",
            (false, _) => "보증금을 돌려받으면 '보증금 돌려받았어요'를 눌러 주세요.",
        });
    }
    if has(Action::Review) {
        out.push("반납이 끝났어요. 후기를 남겨 주세요.");
    }
    out
}

/// A record as shown; `can_confirm` is the viewer's (the other party, while unconfirmed).
fn handover_view(h: &Handover, confirmer: &str, can_confirm: bool) -> HandoverView {
    HandoverView {
        id: h.id,
        author: h.author.nickname.clone(),
        note: h.note.clone(),
        images: h
            .images
            .iter()
            .map(|i| (i.url.clone(), i.thumbnail_url.clone()))
            .collect(),
        at: view::datetime(h.created_at.0),
        confirmed: h
            .confirmed_at
            .map(|Ts(t)| view::datetime(t))
            .unwrap_or_default(),
        confirmer: confirmer.to_string(),
        can_confirm,
    }
}

pub async fn rental(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require()?;
    let id = parse_id(&ctx, &id)?;
    let r = rentals::service::get(&state, user, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let rv = view::rental(user, &r);
    let me = user.id;
    let party = r.lender.id == me || r.borrower.id == me;
    // A party of a returned rental that may no longer review it has reviewed it.
    let reviewed = r.status == RentalStatus::Returned && party && !rv.can_review;
    let stage = |stage: HandoverStage, title, action| {
        let of = |author: i64| {
            r.handovers
                .iter()
                .find(|h| h.stage == stage && h.author.id == author)
                .map(|h| {
                    let other = if author == r.lender.id {
                        &r.borrower.nickname
                    } else {
                        &r.lender.nickname
                    };
                    handover_view(
                        h,
                        other,
                        party && h.author.id != me && h.confirmed_at.is_none(),
                    )
                })
        };
        StageView {
            stage: stage.as_str(),
            title,
            records: vec![
                ("빌려준 사람", of(r.lender.id)),
                ("빌린 사람", of(r.borrower.id)),
            ],
            can_record: r.actions.contains(&action),
        }
    };
    let stages = vec![
        stage(HandoverStage::Pickup, "인수할 때", Action::HandoverPickup),
        stage(HandoverStage::Return, "반납할 때", Action::HandoverReturn),
    ];
    let deposit = r.deposit.as_ref().map(|d| {
        let (status, status_class) = match d.status {
            DepositStatus::None => ("아직 받지 않음", "pending"),
            DepositStatus::Held => ("빌려준 사람이 보관 중", "warn"),
            DepositStatus::Returned => ("돌려줌", "done"),
            DepositStatus::Withheld => ("돌려주지 않음 (분쟁)", "danger"),
        };
        let may = |a| r.check_deposit(me, a).is_ok();
        DepositView {
            amount: format!("{}원", view::won(d.amount)),
            status,
            status_class,
            note: d.note.clone(),
            can_hold: may(DepositAction::Held),
            can_return: may(DepositAction::Returned),
            can_withhold: may(DepositAction::Withheld),
        }
    });
    let dispute = r.dispute.as_ref().map(|d| DisputeView {
        reason: d.reason.label(),
        detail: d.detail.clone(),
        opened_by: if d.opened_by == r.lender.id {
            r.lender.nickname.clone()
        } else {
            r.borrower.nickname.clone()
        },
        open: d.status == DisputeStatus::Open,
        resolution: d.resolution.clone().unwrap_or_default(),
        at: view::datetime(d.created_at.0),
        resolved: d
            .resolved_at
            .map(|Ts(t)| view::datetime(t))
            .unwrap_or_default(),
    });
    let rental_open = r.status == RentalStatus::Accepted && state.clock.now_ms() < r.end_at.0;
    let extensions = r
        .extensions
        .iter()
        .rev()
        .map(|e| {
            let (status, status_class) = match e.status {
                ExtensionStatus::Requested => ("답을 기다리는 중", "pending"),
                ExtensionStatus::Accepted => ("수락됨", "ok"),
                ExtensionStatus::Rejected => ("거절됨", "muted"),
                ExtensionStatus::Cancelled => ("취소됨", "muted"),
                ExtensionStatus::Expired => ("만료됨", "muted"),
            };
            let ext_open = e.status == ExtensionStatus::Requested;
            let may = |d: ExtensionDecision| {
                d.check(me, r.lender.id, r.borrower.id, ext_open, rental_open)
                    .is_ok()
            };
            ExtensionView {
                id: e.id,
                end: view::datetime(e.end_at.0),
                status,
                status_class,
                asked: view::datetime(e.created_at.0),
                can_decide: may(ExtensionDecision::Accept),
                can_cancel: may(ExtensionDecision::Cancel),
            }
        })
        .collect();
    let page = RentalPage {
        l: Layout::new(&ctx, "대여 정보"),
        lender: r.lender.nickname.clone(),
        lender_id: r.lender.id,
        borrower: r.borrower.nickname.clone(),
        borrower_id: r.borrower.id,
        requested: view::datetime(r.created_at.0),
        price: view::price_line(r.item.price, r.item.price_unit),
        reviewed,
        end_iso: crate::clock::format_ms(r.end_at.0),
        steps: steps(&r),
        todo: if party { todo(&r, me) } else { Vec::new() },
        can_extend: r.actions.contains(&Action::Extend),
        extensions,
        stages,
        deposit,
        can_dispute: r.actions.contains(&Action::Dispute),
        dispute,
        r: rv,
    };
    Ok(render(&ctx, StatusCode::OK, &page))
}
