//! Moves rentals on with time, without anyone clicking. Every step claims its rows with one
//! UPDATE … RETURNING, so with several instances each event happens exactly once, and a
//! restarted server catches up on whatever came due while it was down.
use std::time::Duration;

use super::store::{self, Due};
use crate::catalog::service as catalog;
use crate::clock::DAY_MS;
use crate::events::{self, DomainEvent, Reminder, RentalEvent};
use crate::state::AppState;

pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(state.config.scheduler_interval_secs.max(1));
        loop {
            let pass = tick(&state).await;
            state.metrics.scheduler_run(pass.is_ok());
            if let Err(e) = pass {
                tracing::warn!(error = ?e, "scheduler pass failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// One pass; returns how many events it produced.
pub async fn tick(state: &AppState) -> anyhow::Result<usize> {
    let now = state.clock.now_ms();
    let mut n = 0;
    for due in [
        Due::Expired,
        Due::StartsSoon,
        Due::Started,
        Due::ReturnDue,
        Due::Overdue,
    ] {
        for r in store::claim_due(&state.db, due, now).await? {
            match due {
                Due::Expired => {
                    events::publish(state, DomainEvent::rental(RentalEvent::Expired, &r, None))
                        .await
                }
                Due::StartsSoon => {
                    events::publish(state, DomainEvent::reminder(Reminder::StartsSoon, &r)).await
                }
                Due::Started => catalog::set_rented(state, r.item_id, true).await?,
                Due::ReturnDue => {
                    events::publish(state, DomainEvent::reminder(Reminder::ReturnDue, &r)).await
                }
                Due::Overdue => {
                    events::publish(state, DomainEvent::reminder(Reminder::Overdue, &r)).await
                }
            }
            n += 1;
        }
    }
    // Extensions nobody answered before the end they would have moved.
    n += super::service::expire_extensions(state).await?;
    // Reviews that became visible by time passing (14 days after a return with one review) move
    // their subjects' 이웃 온도. Looking back a day makes a restart or a missed pass harmless;
    // recomputing the same user twice gives the same value.
    let users = super::service::reviews_newly_visible(state, now - DAY_MS, now).await?;
    events::recompute_trust(state, &users).await;
    Ok(n)
}
