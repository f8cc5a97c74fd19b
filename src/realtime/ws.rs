//! The WebSocket protocol of api.md: one socket per client carries chat, reads, notifications.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use tokio::time::{interval, timeout, Instant};

use crate::accounts::service as accounts;
use crate::chat::model::{Message, RoomRow};
use crate::chat::service as chat;
use crate::domain::error::ErrorCode;
use crate::http::extract::SocketCaller;
use crate::http::AppError;
use crate::realtime::hub::{CloseReason, Registration, Slot};
use crate::realtime::protocol::{ClientFrame, FrameId, ServerFrame};
use crate::state::AppState;

/// Client frames are small (a 1000-character message is at most ~4 KB of JSON).
pub const MAX_FRAME: usize = 8 * 1024;
const PING_EVERY: Duration = Duration::from_secs(25);
const DEAD_AFTER: Duration = Duration::from_secs(60);
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames written before one flush.
const WRITE_BATCH: usize = 64;
/// On a restart, how long a socket may take to answer the acks it still owes before closing.
const RESTART_FLUSH: Duration = Duration::from_secs(3);

pub fn router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(upgrade))
}

/// 실시간 연결 / The WebSocket for chat, read receipts, notifications and rental changes
/// (frames: api.md, WebSocket). Browsers authenticate with the session cookie, apps with
/// `?token=<access_token>` or the bearer header.
#[utoipa::path(get, path = "/ws", tag = "realtime", security(("bearer" = [])),
    params(("token" = Option<String>, Query, description = "access_token (헤더 대신)")),
    responses(
        (status = 101, description = "웹소켓으로 전환 / switched to the WebSocket protocol"),
        (status = 400, description = "웹소켓 업그레이드 요청이 아니에요"),
        (status = 503, description = "접속이 너무 많거나 서버를 다시 시작하는 중이에요"),
    ))]
pub async fn upgrade(
    State(state): State<AppState>,
    caller: SocketCaller,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        return AppError::field("upgrade", "WebSocket 업그레이드 요청이 필요해요").into_response();
    };
    // A draining instance takes no new socket: it would be closed again in a moment. A
    // balancer retries the upgrade on another instance (deploy/nginx.conf: http_503).
    if state.lifecycle.draining() {
        return AppError::Unavailable(
            "서버를 다시 시작하는 중이에요. 곧 다시 연결해 주세요".into(),
        )
        .into_response();
    }
    // Each socket holds memory and a task: past the server-wide cap new ones wait their turn.
    let Some(slot) = state.realtime.hub.reserve(state.config.max_sockets) else {
        return AppError::Unavailable("접속이 많아 잠시 후 다시 연결해 주세요".into())
            .into_response();
    };
    // Small buffers keep an idle socket cheap; frames larger than 64 KiB end the connection.
    ws.read_buffer_size(4 * 1024)
        // Frames are buffered up to this size before a write; the buffer is only allocated
        // once something is sent, so idle sockets do not pay for it.
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(64 * 1024)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| run(state, caller, socket, slot))
}

type Pending = futures_util::future::BoxFuture<'static, (Value, Result<Message, AppError>)>;

struct Session {
    state: AppState,
    user: i64,
    /// Rooms this user was verified to be in; dropped when the hub says what the user may see
    /// changed (`recheck`), so membership is checked again.
    rooms: HashMap<i64, RoomRow>,
    recheck: Arc<AtomicBool>,
    acks: FuturesOrdered<Pending>,
}

/// How often an open socket checks that its login still stands, beside the events that close it
/// at once: covers a change the events could not carry (a broker outage, a direct database edit).
const LOGIN_CHECK_EVERY: Duration = Duration::from_secs(50);

async fn run(state: AppState, caller: SocketCaller, socket: WebSocket, _slot: Slot) {
    let SocketCaller { user, family } = caller;
    let Registration {
        id: conn_id,
        frames: mut rx,
        mut closed,
        recheck,
    } = state.realtime.hub.register(user.id, user.session);
    state.metrics.ws_open.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let mut session = Session {
        state: state.clone(),
        user: user.id,
        rooms: HashMap::new(),
        recheck,
        acks: FuturesOrdered::new(),
    };
    let mut heartbeat = interval(PING_EVERY);
    heartbeat.tick().await;
    let mut last_seen = Instant::now();
    let mut login_checked = Instant::now();
    let mut out: Vec<String> = Vec::new();
    let mut close_with: Option<CloseReason> = None;
    loop {
        tokio::select! {
            reason = &mut closed => {
                close_with = reason.ok();
                break;
            }
            incoming = stream.next() => match incoming {
                Some(Ok(msg)) => {
                    last_seen = Instant::now();
                    let reply = match msg {
                        WsMessage::Text(t) => session.handle(t.as_str()).await,
                        WsMessage::Binary(_) => Some(error_frame(ErrorCode::ValidationFailed, &Value::Null, "텍스트 JSON 프레임만 받아요")),
                        WsMessage::Close(_) => break,
                        _ => None,
                    };
                    out.extend(reply);
                }
                _ => break,
            },
            frame = rx.recv() => match frame {
                Some(f) => out.push(f.to_string()),
                // The hub dropped us: we fell behind, or it closed us (the reason is waiting).
                None => {
                    close_with = closed.try_recv().ok();
                    break;
                }
            },
            Some((client_id, result)) = session.acks.next(), if !session.acks.is_empty() => {
                out.push(ack_frame(&client_id, result));
            }
            _ = heartbeat.tick() => {
                if last_seen.elapsed() > DEAD_AFTER {
                    break;
                }
                if login_checked.elapsed() >= LOGIN_CHECK_EVERY {
                    login_checked = Instant::now();
                    if matches!(accounts::login_live(&state, user.id, &family).await, Ok(false)) {
                        close_with = Some(CloseReason::SessionEnded);
                        break;
                    }
                }
                if timeout(SEND_TIMEOUT, sink.send(WsMessage::Ping(Default::default()))).await.map_or(true, |r| r.is_err()) {
                    break;
                }
            }
        };
        if out.is_empty() {
            continue;
        }
        // Whatever else is ready goes out in the same write: under load that is one syscall
        // (and one TCP segment) for many frames instead of one each.
        while out.len() < WRITE_BATCH {
            match rx.try_recv() {
                Ok(f) => out.push(f.to_string()),
                Err(_) => break,
            }
        }
        while out.len() < WRITE_BATCH && !session.acks.is_empty() {
            match session.acks.next().now_or_never() {
                Some(Some((client_id, result))) => out.push(ack_frame(&client_id, result)),
                _ => break,
            }
        }
        let sent = timeout(SEND_TIMEOUT, async {
            for text in out.drain(..) {
                sink.feed(WsMessage::Text(text.into())).await?;
            }
            sink.flush().await
        })
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            break;
        }
    }
    if close_with == Some(CloseReason::Restart) {
        // A restart: the acks still owed are answered first (their messages are queued and
        // the writer finishes them), with whatever frames were already queued for us, so the
        // client knows what was stored before it reconnects elsewhere.
        let _ = timeout(RESTART_FLUSH, async {
            while let Some((client_id, result)) = session.acks.next().await {
                out.push(ack_frame(&client_id, result));
            }
            while let Ok(f) = rx.try_recv() {
                out.push(f.to_string());
            }
            for text in out.drain(..) {
                sink.feed(WsMessage::Text(text.into())).await?;
            }
            sink.flush().await
        })
        .await;
    }
    // Other acks still owed: the messages are stored (or not) either way; the client catches up.
    state.realtime.hub.unregister(user.id, conn_id);
    state.metrics.ws_open.fetch_sub(1, Ordering::Relaxed);
    match close_with {
        Some(reason) => {
            let frame = CloseFrame {
                code: reason.code(),
                reason: reason.reason().into(),
            };
            let _ = timeout(SEND_TIMEOUT, sink.send(WsMessage::Close(Some(frame)))).await;
        }
        None => {
            let _ = sink.close().await;
        }
    }
}

fn ack_frame(client_id: &Value, result: Result<Message, AppError>) -> String {
    match result {
        Ok(message) => ServerFrame::Ack {
            client_id,
            message: &message,
        }
        .to_text(),
        Err(_) => error_frame(ErrorCode::Internal, client_id, "메시지를 저장하지 못했어요"),
    }
}

fn error_frame(code: ErrorCode, client_id: &Value, message: &str) -> String {
    ServerFrame::Error {
        code,
        client_id,
        message,
    }
    .to_text()
}

fn app_error_frame(e: &AppError, client_id: &Value) -> String {
    error_frame(e.code(), client_id, &e.public_message())
}

impl Session {
    async fn handle(&mut self, text: &str) -> Option<String> {
        if text.len() > MAX_FRAME {
            return Some(error_frame(
                ErrorCode::PayloadTooLarge,
                &Value::Null,
                "프레임이 너무 커요",
            ));
        }
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(f) => f,
            Err(e) => {
                // Still answer to the request's client_id when the rest of it can be read.
                let id = serde_json::from_str::<FrameId>(text).unwrap_or_default();
                let problem = if e.is_syntax() || e.is_eof() {
                    "JSON 형식이 올바르지 않아요".to_string()
                } else {
                    format!(
                        "프레임을 읽을 수 없어요: {}",
                        e.to_string().split(" at line ").next().unwrap_or("")
                    )
                };
                return Some(error_frame(
                    ErrorCode::ValidationFailed,
                    &id.client_id,
                    &problem,
                ));
            }
        };
        match frame {
            ClientFrame::Ping => Some(ServerFrame::Pong.to_text()),
            ClientFrame::Send {
                room_id,
                body,
                client_id,
            } => self.send(room_id, &body, client_id).await,
            ClientFrame::Read {
                room_id,
                last_read_id,
                client_id,
            } => match chat::read(&self.state, self.user, room_id, last_read_id).await {
                Ok(()) => None,
                Err(e) => Some(app_error_frame(&e, &client_id)),
            },
        }
    }

    async fn send(&mut self, room_id: i64, body: &str, client_id: Value) -> Option<String> {
        let body = match chat::check_body(body) {
            Ok(b) => b,
            Err(e) => return Some(app_error_frame(&e, &client_id)),
        };
        if self.recheck.swap(false, Ordering::AcqRel) {
            self.rooms.clear();
        }
        let room = match self.rooms.get(&room_id) {
            Some(r) => r.clone(),
            None => match chat::sendable_room(&self.state, self.user, room_id).await {
                Ok(r) => {
                    self.rooms.insert(room_id, r.clone());
                    r
                }
                Err(e) => return Some(app_error_frame(&e, &client_id)),
            },
        };
        // Queue now, acknowledge later: the writer keeps this socket's order, and the ack
        // follows its commit.
        let queued = chat::queue_text(&self.state, &room, self.user, body).await;
        self.acks.push_back(Box::pin(async move {
            (client_id, chat::committed(queued).await)
        }));
        None
    }
}
