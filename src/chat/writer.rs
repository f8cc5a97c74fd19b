//! Group commit for chat: one task owns message inserts, takes everything queued, stores it in
//! one transaction, then answers each sender. Nothing is acknowledged before its commit.
//! Delivery runs in a second stage so the next batch can commit meanwhile, and notifications in a
//! third so their writes never delay delivery.
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::model::{MessageRow, NewMessage};
use crate::clock::Clock;
use crate::db::Db;
use crate::ops::metrics::ChatWriterMetrics;
use crate::state::AppState;

const MAX_BATCH: usize = 512;
/// The shortest gap between two notification runs (an idle room's first message goes at once).
const NOTIFY_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

type Reply = oneshot::Sender<Result<MessageRow, String>>;

/// Messages of one committed transaction, in storage order.
pub type Committed = Vec<(NewMessage, MessageRow)>;

/// What goes down the writer's queue: a message, or a barrier answered once everything queued
/// before it is committed, delivered and notified (shutdown waits for it).
enum Job {
    Message(NewMessage, Reply),
    Flush(oneshot::Sender<()>),
}

/// What goes from one stage to the next: a committed batch, or the barrier passing through.
pub enum Stage {
    Batch(Committed),
    Flush(oneshot::Sender<()>),
}

/// The writer owns the database handle and the clock only; what was committed goes down a
/// channel that `after_commit` (started by the server with the state) consumes.
#[derive(Clone)]
pub struct ChatWriter {
    tx: mpsc::Sender<Job>,
    committed: Arc<Mutex<Option<mpsc::UnboundedReceiver<Stage>>>>,
}

impl ChatWriter {
    pub fn start(db: Db, clock: Clock, metrics: ChatWriterMetrics) -> ChatWriter {
        let (tx, rx) = mpsc::channel(8192);
        let (after_tx, after_rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(db, clock, rx, after_tx, metrics));
        ChatWriter {
            tx,
            committed: Arc::new(Mutex::new(Some(after_rx))),
        }
    }

    /// Queues a message. Awaiting the receiver yields the stored row after its commit; the
    /// queue order is the storage order, so a sender that queues in order is stored in order.
    pub async fn submit(&self, msg: NewMessage) -> oneshot::Receiver<Result<MessageRow, String>> {
        let (reply, rx) = oneshot::channel();
        if let Err(mpsc::error::SendError(Job::Message(_, reply))) =
            self.tx.send(Job::Message(msg, reply)).await
        {
            let _ = reply.send(Err("chat writer stopped".into()));
        }
        rx
    }

    /// Resolves once every message queued before the call is committed and has passed delivery
    /// and notifications (when the server runs those stages). Shutdown waits for it.
    pub async fn flush(&self) {
        let (done, rx) = oneshot::channel();
        if self.tx.send(Job::Flush(done)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// The committed batches, for the one consumer that delivers them (taken once).
    pub fn take_committed(&self) -> Option<mpsc::UnboundedReceiver<Stage>> {
        self.committed.lock().ok()?.take()
    }
}

async fn write_loop(
    db: Db,
    clock: Clock,
    mut rx: mpsc::Receiver<Job>,
    after: mpsc::UnboundedSender<Stage>,
    metrics: ChatWriterMetrics,
) {
    let mut batch: Vec<(NewMessage, Reply)> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        // A barrier ends the batch: it passes on after the messages queued before it.
        let mut barrier = None;
        let mut job = Some(first);
        while let Some(j) = job.take() {
            match j {
                Job::Message(m, reply) => batch.push((m, reply)),
                Job::Flush(done) => {
                    barrier = Some(done);
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                job = rx.try_recv().ok();
            }
        }
        metrics.queue_depth.set(rx.len() as f64);
        if !batch.is_empty() {
            metrics.batch_size.record(batch.len() as f64);
            let started = std::time::Instant::now();
            commit(&db, &clock, &mut batch, &after).await;
            metrics
                .commit_seconds
                .record(started.elapsed().as_secs_f64());
        }
        if let Some(done) = barrier {
            if let Err(mpsc::error::SendError(Stage::Flush(done))) = after.send(Stage::Flush(done))
            {
                // Nobody runs the later stages (a writer without a server): done here.
                let _ = done.send(());
            }
        }
    }
}

/// Stores one batch in one transaction and answers each sender.
async fn commit(
    db: &Db,
    clock: &Clock,
    batch: &mut Vec<(NewMessage, Reply)>,
    after: &mpsc::UnboundedSender<Stage>,
) {
    let msgs: Vec<NewMessage> = batch.iter().map(|(m, _)| m.clone()).collect();
    let mut result = super::store::insert_batch(db, &msgs, clock.now_ms()).await;
    if result.as_ref().is_err_and(is_transient) {
        // A deadlock or serialization failure rolled the whole batch back: try once more.
        result = super::store::insert_batch(db, &msgs, clock.now_ms()).await;
    }
    match result {
        Ok(rows) => {
            let mut done = Vec::with_capacity(rows.len());
            for ((msg, reply), row) in batch.drain(..).zip(rows) {
                let _ = reply.send(Ok(row.clone()));
                done.push((msg, row));
            }
            let _ = after.send(Stage::Batch(done));
        }
        Err(e) => {
            tracing::error!(error = %e, "chat batch failed");
            for (_, reply) in batch.drain(..) {
                let _ = reply.send(Err(e.to_string()));
            }
        }
    }
}

/// Second stage: delivery of each committed batch, while the writer commits the next; it hands
/// the batch on to the third stage, notifications. The server runs it (and stops it on shutdown).
pub async fn after_commit(state: AppState, mut rx: mpsc::UnboundedReceiver<Stage>) {
    let (notify_tx, notify_rx) = mpsc::unbounded_channel();
    let notifier = tokio::spawn(notify_loop(notify_rx, state.clone()));
    while let Some(stage) = rx.recv().await {
        if let Stage::Batch(done) = &stage {
            super::service::deliver(&state, done).await;
        }
        if let Err(mpsc::error::SendError(Stage::Flush(done))) = notify_tx.send(stage) {
            let _ = done.send(());
        }
    }
    drop(notify_tx);
    let _ = notifier.await;
}

/// Third stage: notifications, coalescing whatever piled up while the last write ran. Under
/// load it runs at most every `NOTIFY_EVERY`: notification upserts share the single SQLite
/// writer with messages, so each run delays the next message batch.
async fn notify_loop(mut rx: mpsc::UnboundedReceiver<Stage>, state: AppState) {
    let mut last_run: Option<tokio::time::Instant> = None;
    while let Some(stage) = rx.recv().await {
        let (mut done, mut barrier) = match stage {
            Stage::Batch(done) => (done, None),
            Stage::Flush(b) => (Vec::new(), Some(b)),
        };
        if barrier.is_none() {
            if let Some(at) = last_run {
                tokio::time::sleep_until(at + NOTIFY_EVERY).await;
            }
            // Coalesce what piled up meanwhile, up to a barrier.
            while let Ok(more) = rx.try_recv() {
                match more {
                    Stage::Batch(more) => done.extend(more),
                    Stage::Flush(b) => {
                        barrier = Some(b);
                        break;
                    }
                }
            }
        }
        if !done.is_empty() {
            last_run = Some(tokio::time::Instant::now());
            super::service::notify(&state, done).await;
        }
        if let Some(b) = barrier {
            let _ = b.send(());
        }
    }
}

/// PostgreSQL deadlock (40P01) or serialization failure (40001): safe to retry the transaction.
fn is_transient(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("40P01") | Some("40001")))
}
