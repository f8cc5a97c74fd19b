//! Group commit for chat: one task owns message inserts, takes everything queued, stores it in
//! one transaction, then answers each sender. Nothing is acknowledged before its commit.
//! Delivery runs in a second stage so the next batch can commit meanwhile, and notifications in a
//! third so their writes never delay delivery.
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::model::{MessageRow, NewMessage};
use crate::clock::Clock;
use crate::db::Db;
use crate::state::AppState;

const MAX_BATCH: usize = 512;
/// The shortest gap between two notification runs (an idle room's first message goes at once).
const NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

type Reply = oneshot::Sender<Result<MessageRow, String>>;

/// Messages of one committed transaction, in storage order.
pub type Committed = Vec<(NewMessage, MessageRow)>;

/// The writer owns the database handle and the clock only; what was committed goes down a
/// channel that `after_commit` (started by the server with the state) consumes.
#[derive(Clone)]
pub struct ChatWriter {
    tx: mpsc::Sender<(NewMessage, Reply)>,
    committed: Arc<Mutex<Option<mpsc::UnboundedReceiver<Committed>>>>,
}

impl ChatWriter {
    pub fn start(db: Db, clock: Clock) -> ChatWriter {
        let (tx, rx) = mpsc::channel(8192);
        let (after_tx, after_rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(db, clock, rx, after_tx));
        ChatWriter {
            tx,
            committed: Arc::new(Mutex::new(Some(after_rx))),
        }
    }

    /// Queues a message. Awaiting the receiver yields the stored row after its commit; the
    /// queue order is the storage order, so a sender that queues in order is stored in order.
    pub async fn submit(&self, msg: NewMessage) -> oneshot::Receiver<Result<MessageRow, String>> {
        let (reply, rx) = oneshot::channel();
        if let Err(mpsc::error::SendError((_, reply))) = self.tx.send((msg, reply)).await {
            let _ = reply.send(Err("chat writer stopped".into()));
        }
        rx
    }

    /// The committed batches, for the one consumer that delivers them (taken once).
    pub fn take_committed(&self) -> Option<mpsc::UnboundedReceiver<Committed>> {
        self.committed.lock().ok()?.take()
    }
}

async fn write_loop(
    db: Db,
    clock: Clock,
    mut rx: mpsc::Receiver<(NewMessage, Reply)>,
    after: mpsc::UnboundedSender<Committed>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let msgs: Vec<NewMessage> = batch.iter().map(|(m, _)| m.clone()).collect();
        let mut result = super::store::insert_batch(&db, &msgs, clock.now_ms()).await;
        if result.as_ref().is_err_and(is_transient) {
            // A deadlock or serialization failure rolled the whole batch back: try once more.
            result = super::store::insert_batch(&db, &msgs, clock.now_ms()).await;
        }
        match result {
            Ok(rows) => {
                let mut done = Vec::with_capacity(rows.len());
                for ((msg, reply), row) in batch.drain(..).zip(rows) {
                    let _ = reply.send(Ok(row.clone()));
                    done.push((msg, row));
                }
                let _ = after.send(done);
            }
            Err(e) => {
                tracing::error!(error = %e, "chat batch failed");
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// Second stage: delivery of each committed batch, while the writer commits the next; it hands
/// the batch on to the third stage, notifications. The server runs it (and stops it on shutdown).
pub async fn after_commit(state: AppState, mut rx: mpsc::UnboundedReceiver<Committed>) {
    let (notify_tx, notify_rx) = mpsc::unbounded_channel();
    let notifier = tokio::spawn(notify_loop(notify_rx, state.clone()));
    while let Some(done) = rx.recv().await {
        super::service::deliver(&state, &done).await;
        let _ = notify_tx.send(done);
    }
    drop(notify_tx);
    let _ = notifier.await;
}

/// Third stage: notifications, coalescing whatever piled up while the last write ran. Under
/// load it runs at most every `NOTIFY_EVERY`: notification upserts share the single SQLite
/// writer with messages, so each run delays the next message batch.
async fn notify_loop(mut rx: mpsc::UnboundedReceiver<Committed>, state: AppState) {
    let mut last_run: Option<tokio::time::Instant> = None;
    while let Some(mut done) = rx.recv().await {
        if let Some(at) = last_run {
            tokio::time::sleep_until(at + NOTIFY_EVERY).await;
        }
        last_run = Some(tokio::time::Instant::now());
        while let Ok(more) = rx.try_recv() {
            done.extend(more);
        }
        super::service::notify(&state, done).await;
    }
}

/// PostgreSQL deadlock (40P01) or serialization failure (40001): safe to retry the transaction.
fn is_transient(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("40P01") | Some("40001")))
}
