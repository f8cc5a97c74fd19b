//! Domain events: a domain says what happened; the others react. The rentals service never
//! writes chat rows or notifications itself.
use crate::app::AppState;
use crate::rentals::model::RentalRow;
use crate::{chat, notifications, rentals};

pub enum DomainEvent {
    /// A rental changed state (or was reviewed): a system message, a notification, a live frame.
    Rental {
        kind: &'static str,
        rental: RentalRow,
        actor: Option<i64>,
    },
    /// A time-based reminder: notifications only.
    Reminder {
        kind: &'static str,
        rental: RentalRow,
    },
}

impl DomainEvent {
    pub fn rental(kind: &'static str, rental: &RentalRow, actor: Option<i64>) -> Self {
        DomainEvent::Rental {
            kind,
            rental: rental.clone(),
            actor,
        }
    }
    pub fn reminder(kind: &'static str, rental: &RentalRow) -> Self {
        DomainEvent::Reminder {
            kind,
            rental: rental.clone(),
        }
    }
}

fn system_text(kind: &str) -> &'static str {
    match kind {
        "rental_requested" => "대여 요청이 왔어요",
        "rental_accepted" => "대여 요청을 수락했어요",
        "rental_rejected" => "대여 요청을 거절했어요",
        "rental_cancelled" => "대여가 취소되었어요",
        "rental_expired" => "응답이 없어 대여 요청이 만료되었어요",
        "rental_returned" => "반납이 확인되었어요. 서로 후기를 남겨 주세요",
        "rental_reviewed" => "후기가 등록되었어요",
        "rental_starts_soon" => "내일 대여가 시작돼요",
        "rental_return_due" => "한 시간 뒤에 반납할 시간이에요",
        "rental_overdue" => "반납 시간이 지났어요",
        _ => "대여 상태가 바뀌었어요",
    }
}

/// Who hears about it: the other party of the actor; both parties when time did it.
fn recipients(kind: &str, r: &RentalRow, actor: Option<i64>) -> Vec<i64> {
    match (kind, actor) {
        ("rental_expired", _) => vec![r.requested_by],
        ("rental_return_due", _) => vec![r.borrower_id],
        (_, Some(a)) => vec![r.other(a)],
        (_, None) => vec![r.lender_id, r.borrower_id],
    }
}

pub async fn publish(state: &AppState, event: DomainEvent) {
    let (kind, rental, actor, post_in_chat) = match &event {
        DomainEvent::Rental {
            kind,
            rental,
            actor,
        } => (*kind, rental, *actor, true),
        DomainEvent::Reminder { kind, rental } => (*kind, rental, None, false),
    };
    let text = system_text(kind);
    if post_in_chat {
        // The room belongs to the item's owner, who is the one deciding the request.
        let owner = rental.counterparty();
        let other = rental.other(owner);
        if let Err(e) = chat::service::post_system(
            state,
            rental.item_id,
            owner,
            other,
            kind,
            rental.id,
            text.to_string(),
        )
        .await
        {
            tracing::warn!(error = ?e, kind, "could not post the rental event to chat");
        }
    }
    let note_kind = if kind == "rental_reviewed" {
        "review_received"
    } else {
        kind
    };
    let title = match note_kind {
        "review_received" => "새 후기가 도착했어요",
        other => system_text(other),
    };
    let item_title = crate::catalog::service::item_row(state, rental.item_id)
        .await
        .ok()
        .flatten()
        .map(|i| i.title)
        .unwrap_or_default();
    let link = if note_kind == "review_received" {
        "/me?tab=reviews".to_string()
    } else {
        format!("/rentals/{}", rental.id)
    };
    for user in recipients(kind, rental, actor) {
        let n = notifications::model::NewNotification {
            user_id: user,
            kind: notifications::model::KINDS
                .iter()
                .find(|k| **k == note_kind)
                .copied()
                .unwrap_or("rental_requested"),
            title: title.to_string(),
            body: item_title.clone(),
            link: link.clone(),
        };
        if let Err(e) = notifications::service::notify(state, n).await {
            tracing::warn!(error = ?e, kind, "could not notify");
        }
    }
    if let Ok(json) = rentals::service::one_json(state, rental).await {
        state
            .realtime
            .send(
                &[rental.lender_id, rental.borrower_id],
                &crate::realtime::protocol::ServerFrame::Rental { rental: &json },
            )
            .await;
    }
}
