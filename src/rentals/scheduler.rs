//! Moves rentals on with time, without anyone clicking. Every step claims its rows with one
//! UPDATE … RETURNING, so with several instances each event happens exactly once, and a
//! restarted server catches up on whatever came due while it was down.
use std::time::Duration;

use super::store;
use crate::app::AppState;
use crate::catalog::service as catalog;
use crate::clock::{DAY_MS, HOUR_MS};
use crate::events::{self, DomainEvent};

pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(state.config.scheduler_interval_secs.max(1));
        loop {
            if let Err(e) = tick(&state).await {
                tracing::warn!(error = ?e, "scheduler pass failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// One pass; returns how many events it produced.
pub async fn tick(state: &AppState) -> anyhow::Result<usize> {
    let db = &state.db;
    let now = state.clock.now_ms();
    let mut n = 0;

    for r in store::claim(
        db,
        "status = 'expired', decided_at = $1",
        "status = 'requested' AND start_at <= $1",
        now,
    )
    .await?
    {
        events::publish(state, DomainEvent::rental("rental_expired", &r, None)).await;
        n += 1;
    }
    let soon = format!("status = 'accepted' AND starts_soon_sent = 0 AND start_at > $1 AND start_at <= $1 + {DAY_MS}");
    for r in store::claim(db, "starts_soon_sent = 1", &soon, now).await? {
        events::publish(state, DomainEvent::reminder("rental_starts_soon", &r)).await;
        n += 1;
    }
    for r in store::claim(
        db,
        "started = 1",
        "status = 'accepted' AND started = 0 AND start_at <= $1",
        now,
    )
    .await?
    {
        catalog::set_rented(state, r.item_id, true).await?;
        n += 1;
    }
    let due = format!(
        "status = 'accepted' AND return_due_sent = 0 AND end_at > $1 AND end_at <= $1 + {HOUR_MS}"
    );
    for r in store::claim(db, "return_due_sent = 1", &due, now).await? {
        events::publish(state, DomainEvent::reminder("rental_return_due", &r)).await;
        n += 1;
    }
    for r in store::claim(
        db,
        "overdue_sent = 1",
        "status = 'accepted' AND overdue_sent = 0 AND end_at <= $1",
        now,
    )
    .await?
    {
        events::publish(state, DomainEvent::reminder("rental_overdue", &r)).await;
        n += 1;
    }
    Ok(n)
}
