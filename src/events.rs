//! Domain events: a domain says what happened; the others react. The rentals service never
//! writes chat rows or notifications itself.
use crate::notifications::model::NotificationKind;
pub use crate::rentals::model::RentalEvent;
use crate::rentals::model::RentalRow;
use crate::state::AppState;
use crate::{chat, notifications, rentals};

/// A time-based reminder about a rental (notifications only, no chat line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reminder {
    StartsSoon,
    ReturnDue,
    Overdue,
}

impl RentalEvent {
    /// The notification the other party gets.
    fn notification(self) -> NotificationKind {
        match self {
            RentalEvent::Requested => NotificationKind::RentalRequested,
            RentalEvent::Accepted => NotificationKind::RentalAccepted,
            RentalEvent::Rejected => NotificationKind::RentalRejected,
            RentalEvent::Cancelled => NotificationKind::RentalCancelled,
            RentalEvent::Expired => NotificationKind::RentalExpired,
            RentalEvent::Returned => NotificationKind::RentalReturned,
            RentalEvent::Reviewed => NotificationKind::ReviewReceived,
            RentalEvent::ExtensionRequested => NotificationKind::ExtensionRequested,
            RentalEvent::ExtensionAccepted => NotificationKind::ExtensionAccepted,
            RentalEvent::ExtensionRejected => NotificationKind::ExtensionRejected,
            RentalEvent::HandoverRecorded => NotificationKind::HandoverRecorded,
            RentalEvent::DepositUpdated => NotificationKind::DepositUpdated,
            RentalEvent::DisputeOpened => NotificationKind::DisputeOpened,
            RentalEvent::DisputeResolved => NotificationKind::DisputeResolved,
        }
    }

    /// Whether it becomes a system line in the parties' chat (api.md lists those types).
    fn in_chat(self) -> bool {
        self != RentalEvent::DisputeResolved
    }

    fn text(self) -> &'static str {
        match self {
            RentalEvent::Requested => "대여 요청이 왔어요",
            RentalEvent::Accepted => "대여 요청을 수락했어요",
            RentalEvent::Rejected => "대여 요청을 거절했어요",
            RentalEvent::Cancelled => "대여가 취소되었어요",
            RentalEvent::Expired => "응답이 없어 대여 요청이 만료되었어요",
            RentalEvent::Returned => "반납이 확인되었어요. 서로 후기를 남겨 주세요",
            RentalEvent::Reviewed => "후기가 등록되었어요",
            RentalEvent::ExtensionRequested => "대여 기간 연장을 요청했어요",
            RentalEvent::ExtensionAccepted => "대여 기간 연장을 수락했어요",
            RentalEvent::ExtensionRejected => "대여 기간 연장을 거절했어요",
            RentalEvent::HandoverRecorded => "물건 상태 기록을 남겼어요. 사진을 보고 확인해 주세요",
            RentalEvent::DepositUpdated => "보증금 상태가 바뀌었어요",
            RentalEvent::DisputeOpened => "분쟁 조정을 신청했어요. 운영자가 살펴볼게요",
            RentalEvent::DisputeResolved => "분쟁 조정 결과가 나왔어요",
        }
    }
}

impl Reminder {
    fn notification(self) -> NotificationKind {
        match self {
            Reminder::StartsSoon => NotificationKind::RentalStartsSoon,
            Reminder::ReturnDue => NotificationKind::RentalReturnDue,
            Reminder::Overdue => NotificationKind::RentalOverdue,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Reminder::StartsSoon => "내일 대여가 시작돼요",
            Reminder::ReturnDue => "한 시간 뒤에 반납할 시간이에요",
            Reminder::Overdue => "반납 시간이 지났어요",
        }
    }
}

pub enum DomainEvent {
    /// A rental changed state (or was reviewed): a system message, a notification, a live frame.
    Rental {
        event: RentalEvent,
        rental: RentalRow,
        actor: Option<i64>,
    },
    /// A time-based reminder: notifications only.
    Reminder {
        reminder: Reminder,
        rental: RentalRow,
    },
}

impl DomainEvent {
    pub fn rental(event: RentalEvent, rental: &RentalRow, actor: Option<i64>) -> Self {
        DomainEvent::Rental {
            event,
            rental: rental.clone(),
            actor,
        }
    }
    pub fn reminder(reminder: Reminder, rental: &RentalRow) -> Self {
        DomainEvent::Reminder {
            reminder,
            rental: rental.clone(),
        }
    }

    fn rental_row(&self) -> &RentalRow {
        match self {
            DomainEvent::Rental { rental, .. } | DomainEvent::Reminder { rental, .. } => rental,
        }
    }

    fn notification(&self) -> NotificationKind {
        match self {
            DomainEvent::Rental { event, .. } => event.notification(),
            DomainEvent::Reminder { reminder, .. } => reminder.notification(),
        }
    }

    /// Who hears about it: the other party of the actor; both parties when time did it.
    fn recipients(&self) -> Vec<i64> {
        let r = self.rental_row();
        match self {
            DomainEvent::Rental {
                event: RentalEvent::Expired,
                ..
            } => vec![r.requested_by],
            DomainEvent::Reminder {
                reminder: Reminder::ReturnDue,
                ..
            } => vec![r.borrower_id],
            DomainEvent::Rental { actor: Some(a), .. } => vec![r.other(*a)],
            _ => vec![r.lender_id, r.borrower_id],
        }
    }
}

/// Recomputes the 이웃 온도 of `users` from everything that moves it (rentals' reviews, returns
/// and cancellations; moderation's upheld reports). Called when one of those changes; a failure
/// is logged and the old value stays until the next change.
pub async fn recompute_trust(state: &AppState, users: &[i64]) {
    for &user in users {
        let result = async {
            let mut events = rentals::service::trust_events(state, user).await?;
            for at in crate::moderation::service::upheld_against(state, user).await? {
                events.push(crate::accounts::trust::Dated {
                    at,
                    event: crate::accounts::trust::TrustEvent::ReportUpheld,
                });
            }
            crate::accounts::service::set_trust(state, user, &events).await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = ?e, user, "could not recompute trust");
        }
    }
}

pub async fn publish(state: &AppState, event: DomainEvent) {
    let rental = event.rental_row();
    let note_kind = event.notification();
    // What moves 이웃 온도: a return (the borrower), a review (either side may become visible), a
    // cancellation of an accepted rental (the canceller).
    if let DomainEvent::Rental {
        event: kind, actor, ..
    } = &event
    {
        let users: Vec<i64> = match kind {
            RentalEvent::Returned => vec![rental.borrower_id],
            RentalEvent::Reviewed => vec![rental.lender_id, rental.borrower_id],
            RentalEvent::Cancelled => actor.iter().copied().collect(),
            _ => Vec::new(),
        };
        recompute_trust(state, &users).await;
    }
    if let Some(kind) = match &event {
        DomainEvent::Rental { event, .. } if event.in_chat() => Some(event),
        _ => None,
    } {
        // The room belongs to the item's owner, who is the one deciding the request.
        let owner = rental.counterparty();
        let other = rental.other(owner);
        if let Err(e) = chat::service::post_system(
            state,
            rental.item_id,
            owner,
            other,
            *kind,
            rental.id,
            kind.text().to_string(),
        )
        .await
        {
            tracing::warn!(error = ?e, kind = kind.as_str(), "could not post the rental event to chat");
        }
    }
    let title = match &event {
        DomainEvent::Rental {
            event: RentalEvent::Reviewed,
            ..
        } => "새 후기가 도착했어요",
        DomainEvent::Rental { event, .. } => event.text(),
        DomainEvent::Reminder { reminder, .. } => reminder.text(),
    };
    let item_title = crate::catalog::service::item_row(state, rental.item_id)
        .await
        .ok()
        .flatten()
        .map(|i| i.title)
        .unwrap_or_default();
    let link = if note_kind == NotificationKind::ReviewReceived {
        "/me?tab=reviews".to_string()
    } else {
        format!("/rentals/{}", rental.id)
    };
    for user in event.recipients() {
        let n = notifications::model::NewNotification {
            user_id: user,
            kind: note_kind,
            title: title.to_string(),
            body: item_title.clone(),
            link: link.clone(),
        };
        if let Err(e) = notifications::service::notify(state, n).await {
            tracing::warn!(error = ?e, kind = note_kind.as_str(), "could not notify");
        }
    }
    push_rental(state, rental).await;
}

/// Sends each party the rental as it now stands, with their own `actions` (live pages).
pub async fn push_rental(state: &AppState, rental: &RentalRow) {
    if let Ok(views) = rentals::service::for_parties(state, rental).await {
        let frames: Vec<([i64; 1], Option<std::sync::Arc<str>>)> = views
            .iter()
            .map(|(user, r)| {
                let frame = crate::realtime::protocol::ServerFrame::Rental { rental: r };
                ([*user], crate::realtime::frame_text(&frame))
            })
            .collect();
        let frames: Vec<(&[i64], std::sync::Arc<str>)> = frames
            .iter()
            .filter_map(|(to, f)| Some((&to[..], f.clone()?)))
            .collect();
        state.realtime.send_all(&frames).await;
    }
}

/// An item just created, as the fan-outs need it.
#[derive(Clone, Debug)]
pub struct PostedItem {
    pub id: i64,
    pub owner_id: i64,
    pub section: crate::catalog::model::Section,
    pub category_id: i64,
    pub title: String,
    pub description: String,
    pub region_code: String,
}

/// The widest keyword-alert radius a user may choose (notification settings: 1–20 km).
const KEYWORD_RADIUS_MAX_KM: f64 = 20.0;
/// Borrow requests reach lenders whose 동네 lies within this of the item's 동네.
const BORROW_RADIUS_KM: f64 = 3.0;
/// At most this many lenders hear about one borrow request.
const BORROW_REACH: usize = 20;

/// Runs the fan-outs of a new item (spawned by `catalog::service::create` on the instance that
/// created it): keyword alerts, and for a `borrow` item the nearby lenders. Candidates come from a
/// few set-based queries (users by region codes, their keywords, the poster's block relations);
/// every insert is guarded in SQL (once per user and item, daily caps, kinds turned off), so a
/// retry or a second run changes nothing. A failure is logged.
pub async fn item_posted(state: AppState, item: PostedItem) {
    if let Err(e) = keyword_alerts(&state, &item).await {
        tracing::warn!(error = ?e, item = item.id, "could not send keyword alerts");
    }
    if item.section == crate::catalog::model::Section::Borrow {
        if let Err(e) = borrow_alerts(&state, &item).await {
            tracing::warn!(error = ?e, item = item.id, "could not reach nearby lenders");
        }
    }
}

/// Neighbours whose own 동네 lies within `km` of the item's 동네, with their distance; never the
/// poster, never anyone in a block with the poster (either way).
async fn neighbours(
    state: &AppState,
    item: &PostedItem,
    km: f64,
) -> crate::domain::error::AppResult<Vec<(i64, f64)>> {
    let Some(center) = state.regions.get(&item.region_code) else {
        return Ok(Vec::new());
    };
    let near: std::collections::HashMap<String, f64> = state
        .regions
        .within(&item.region_code, km)
        .into_iter()
        .map(|r| (r.code.clone(), crate::regions::haversine_km(center, r)))
        .collect();
    let codes: Vec<String> = near.keys().cloned().collect();
    let blocked = crate::accounts::blocks::relations(state, item.owner_id).await?;
    Ok(crate::accounts::service::users_in_regions(state, &codes)
        .await?
        .into_iter()
        .filter(|(u, _)| *u != item.owner_id && !blocked.contains(u))
        .filter_map(|(u, code)| Some((u, *near.get(&code)?)))
        .collect())
}

async fn keyword_alerts(
    state: &AppState,
    item: &PostedItem,
) -> crate::domain::error::AppResult<()> {
    use notifications::model::{keyword_matches, NewNotification, KEYWORD_ALERTS_PER_DAY};
    let users = neighbours(state, item, KEYWORD_RADIUS_MAX_KM).await?;
    if users.is_empty() {
        return Ok(());
    }
    let distance: std::collections::HashMap<i64, f64> = users.iter().copied().collect();
    let ids: Vec<i64> = users.iter().map(|(u, _)| *u).collect();
    let mut notes: Vec<NewNotification> = Vec::new();
    for (user, keyword, radius) in notifications::service::keywords_of(state, &ids).await? {
        if notes.last().is_some_and(|n| n.user_id == user) {
            continue; // one alert per user and item, however many keywords match
        }
        let in_range = distance.get(&user).is_some_and(|d| *d <= radius as f64);
        if in_range && keyword_matches(&keyword, &item.title, &item.description) {
            notes.push(NewNotification {
                user_id: user,
                kind: NotificationKind::KeywordMatch,
                title: format!("관심 키워드 '{keyword}' 새 글"),
                body: keyword,
                link: format!("/items/{}", item.id),
            });
        }
    }
    notifications::service::alerts(state, notes, KEYWORD_ALERTS_PER_DAY).await
}

async fn borrow_alerts(state: &AppState, item: &PostedItem) -> crate::domain::error::AppResult<()> {
    use notifications::model::{NewNotification, BORROW_ALERTS_PER_DAY};
    let mut users = neighbours(state, item, BORROW_RADIUS_KM).await?;
    // The nearest first, so the 20 reached are the closest lenders.
    users.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let ids: Vec<i64> = users.iter().map(|(u, _)| *u).collect();
    let lenders =
        crate::catalog::service::lenders_in_category(state, item.category_id, &ids).await?;
    let notes = ids
        .into_iter()
        .filter(|u| lenders.contains(u))
        .take(BORROW_REACH)
        .map(|u| NewNotification {
            user_id: u,
            kind: NotificationKind::BorrowNearby,
            title: "근처에서 빌리고 싶어 해요".to_string(),
            body: item.title.clone(),
            link: format!("/items/{}", item.id),
        })
        .collect();
    notifications::service::alerts(state, notes, BORROW_ALERTS_PER_DAY).await
}
