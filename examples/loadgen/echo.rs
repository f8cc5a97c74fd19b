//! `loadgen echo`: the trivial in-process chat echo of issue #16, the baseline `loadgen chat` is
//! compared with. It speaks exactly the part of api.md that `loadgen chat` uses, with no storage,
//! no password hashing, no token signing and no database:
//!
//! - `POST /api/v1/auth/signup` (and `/auth/login`): 201 (200) with a fresh user id and the token
//!   `echo.<id>`; the body is read and ignored.
//! - `GET /api/v1/categories`: one fixed category.
//! - `POST /api/v1/items` (bearer): 201 with a fresh item id, remembered with its owner.
//! - `POST /api/v1/items/{id}/chats` (bearer): 201 with a room of the owner and the caller (200 and
//!   the same room when they already have one).
//! - `GET /api/v1/ws` (bearer header or `?token=`): a `send` takes the room's next message id and
//!   queues its `message` frame on every socket of both participants (the sender's own included),
//!   in id order, then its `ack` on the sending socket, behind that socket's queued frames; `ping`
//!   gets `pong`; `read` is ignored.
//! - `GET /healthz`.
//!
//! Frames and socket handling copy the app's (src/realtime): a bounded queue per socket filled with
//! `try_send` (a full queue drops the socket), frames batched up to 64 per flush, the same WebSocket
//! buffer sizes, TCP_NODELAY. The message JSON has the app's fields and shape (`created_at` is the
//! start time). One difference: the app answers an ack when its message is committed, whatever the
//! socket still has queued; here that would be at once, so a sender's window would never wait for
//! anything and a fast sender could flood its partner's queue while the load generator's reader is
//! the bottleneck. Queued behind the sender's own frames, the acks pace each sender by what its
//! socket has written.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Bytes;
use axum::extract::ws::{Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = "127.0.0.1:8099")]
    pub bind: SocketAddr,
}

/// Frames queued per socket before it counts as too slow (the app's `hub::QUEUE`).
const QUEUE: usize = 512;
/// Frames written before one flush (the app's `ws::WRITE_BATCH`).
const WRITE_BATCH: usize = 64;
/// The app's body rule: 1–1000 characters.
const MAX_BODY: usize = 1000;
const CATEGORIES: &str = r#"[{"id":1,"slug":"digital","name":"디지털기기"}]"#;

type Conns = Mutex<Vec<(u64, mpsc::Sender<Utf8Bytes>)>>;

struct Room {
    id: i64,
    /// Owner and inquirer, with their sockets.
    members: [(i64, Arc<Conns>); 2],
    /// The last message id; held while a message is fanned out so every socket sees ids in order.
    last_id: Mutex<i64>,
}

#[derive(Default)]
struct Echo {
    next_user: AtomicI64,
    next_item: AtomicI64,
    next_room: AtomicI64,
    next_conn: AtomicU64,
    users: RwLock<HashMap<i64, Arc<Conns>>>,
    /// Item → owner.
    items: Mutex<HashMap<i64, i64>>,
    rooms: RwLock<HashMap<i64, Arc<Room>>>,
    /// (item, inquirer) → room.
    pairs: Mutex<HashMap<(i64, i64), i64>>,
    /// Every message's `created_at` (fixed at start: no clock work per message).
    created_at: String,
}

type Shared = Arc<Echo>;

fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn error(status: StatusCode, code: &str) -> Response {
    json(
        status,
        format!(r#"{{"error":{{"code":"{code}","message":"echo"}}}}"#),
    )
}

/// The user of `echo.<id>`, from the bearer header or `?token=`: a parse, no signature.
fn caller(echo: &Echo, headers: &HeaderMap, uri: &Uri) -> Option<i64> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let query = || {
        uri.query()?
            .split('&')
            .find_map(|kv| kv.strip_prefix("token="))
    };
    let id: i64 = bearer.or_else(query)?.strip_prefix("echo.")?.parse().ok()?;
    echo.users
        .read()
        .expect("users")
        .contains_key(&id)
        .then_some(id)
}

fn account(echo: &Echo, status: StatusCode) -> Response {
    let id = echo.next_user.fetch_add(1, Ordering::Relaxed) + 1;
    echo.users
        .write()
        .expect("users")
        .insert(id, Arc::new(Mutex::new(Vec::new())));
    json(
        status,
        format!(
            r#"{{"user":{{"id":{id}}},"access_token":"echo.{id}","refresh_token":"echo","expires_in":900}}"#
        ),
    )
}

async fn signup(State(echo): State<Shared>, _body: Bytes) -> Response {
    account(&echo, StatusCode::CREATED)
}

async fn login(State(echo): State<Shared>, _body: Bytes) -> Response {
    account(&echo, StatusCode::OK)
}

async fn categories() -> Response {
    json(StatusCode::OK, CATEGORIES.to_string())
}

async fn healthz() -> Response {
    json(StatusCode::OK, r#"{"status":"ok"}"#.to_string())
}

async fn create_item(
    State(echo): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    _body: Bytes,
) -> Response {
    let Some(owner) = caller(&echo, &headers, &uri) else {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated");
    };
    let id = echo.next_item.fetch_add(1, Ordering::Relaxed) + 1;
    echo.items.lock().expect("items").insert(id, owner);
    json(
        StatusCode::CREATED,
        format!(r#"{{"id":{id},"section":"lend","status":"available"}}"#),
    )
}

async fn open_chat(
    State(echo): State<Shared>,
    Path(item): Path<i64>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(me) = caller(&echo, &headers, &uri) else {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated");
    };
    let Some(owner) = echo.items.lock().expect("items").get(&item).copied() else {
        return error(StatusCode::NOT_FOUND, "not_found");
    };
    if owner == me {
        return error(StatusCode::BAD_REQUEST, "validation_failed");
    }
    let mut pairs = echo.pairs.lock().expect("pairs");
    if let Some(id) = pairs.get(&(item, me)) {
        return json(StatusCode::OK, format!(r#"{{"id":{id}}}"#));
    }
    let conns = |u: i64| echo.users.read().expect("users")[&u].clone();
    let id = echo.next_room.fetch_add(1, Ordering::Relaxed) + 1;
    let room = Room {
        id,
        members: [(owner, conns(owner)), (me, conns(me))],
        last_id: Mutex::new(0),
    };
    echo.rooms
        .write()
        .expect("rooms")
        .insert(id, Arc::new(room));
    pairs.insert((item, me), id);
    json(StatusCode::CREATED, format!(r#"{{"id":{id}}}"#))
}

async fn upgrade(
    State(echo): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(me) = caller(&echo, &headers, &uri) else {
        return error(StatusCode::UNAUTHORIZED, "unauthenticated");
    };
    // The app's buffer sizes (src/realtime/ws.rs).
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(64 * 1024)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| session(echo, me, socket))
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Send {
        room_id: i64,
        body: String,
        #[serde(default)]
        client_id: Value,
    },
    Read {},
    Ping,
}

/// The app's message object (src/chat/model.rs).
#[derive(Serialize)]
struct Msg<'a> {
    id: i64,
    room_id: i64,
    sender_id: i64,
    kind: &'static str,
    body: &'a str,
    event: Option<()>,
    created_at: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerFrame<'a> {
    Ack {
        client_id: &'a Value,
        message: &'a Msg<'a>,
    },
    Message {
        message: &'a Msg<'a>,
    },
    Pong,
    Error {
        code: &'a str,
        client_id: &'a Value,
        message: &'a str,
    },
}

impl ServerFrame<'_> {
    fn text(&self) -> Utf8Bytes {
        serde_json::to_string(self).unwrap_or_default().into()
    }
}

fn error_frame(code: &str, client_id: &Value) -> Utf8Bytes {
    ServerFrame::Error {
        code,
        client_id,
        message: "echo",
    }
    .text()
}

async fn session(echo: Shared, me: i64, socket: WebSocket) {
    let Some(mine) = echo.users.read().expect("users").get(&me).cloned() else {
        return;
    };
    let conn = echo.next_conn.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel::<Utf8Bytes>(QUEUE);
    // The session keeps only a weak sender (for its acks): once the fan-out drops this socket for
    // a full queue, `rx` ends and the socket closes, as in the app.
    let own = tx.downgrade();
    mine.lock().expect("conns").push((conn, tx));
    let (mut sink, mut stream) = socket.split();
    let mut rooms: HashMap<i64, Arc<Room>> = HashMap::new();
    let mut out: Vec<Utf8Bytes> = Vec::new();
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(WsMessage::Text(t))) => {
                    match handle(&echo, me, &mut rooms, &own, t.as_str()) {
                        Ok(reply) => out.extend(reply),
                        // Our own queue is full (or we were dropped from it): too slow.
                        Err(()) => break,
                    }
                }
                Some(Ok(WsMessage::Binary(_))) => out.push(error_frame("validation_failed", &Value::Null)),
                Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            frame = rx.recv() => match frame {
                Some(f) => out.push(f),
                // Dropped from the room fan-out: the queue was full.
                None => break,
            },
        }
        if out.is_empty() {
            continue;
        }
        while out.len() < WRITE_BATCH {
            match rx.try_recv() {
                Ok(f) => out.push(f),
                Err(_) => break,
            }
        }
        let sent = async {
            for text in out.drain(..) {
                sink.feed(WsMessage::Text(text)).await?;
            }
            sink.flush().await
        };
        if sent.await.is_err() {
            break;
        }
    }
    mine.lock().expect("conns").retain(|(c, _)| *c != conn);
    let _ = sink.close().await;
}

/// One client frame: an immediate reply for this socket (pong, error), if any; the room's frames
/// and the ack go through the queues. `Err` when this socket's own queue is full or was dropped.
fn handle(
    echo: &Echo,
    me: i64,
    rooms: &mut HashMap<i64, Arc<Room>>,
    own: &mpsc::WeakSender<Utf8Bytes>,
    text: &str,
) -> Result<Option<Utf8Bytes>, ()> {
    let (room_id, body, client_id) = match serde_json::from_str::<ClientFrame>(text) {
        Ok(ClientFrame::Send {
            room_id,
            body,
            client_id,
        }) => (room_id, body, client_id),
        Ok(ClientFrame::Ping) => return Ok(Some(ServerFrame::Pong.text())),
        Ok(ClientFrame::Read {}) => return Ok(None),
        Err(_) => return Ok(Some(error_frame("validation_failed", &Value::Null))),
    };
    let chars = body.chars().count();
    if chars == 0 || chars > MAX_BODY {
        return Ok(Some(error_frame("validation_failed", &client_id)));
    }
    let room = match rooms.get(&room_id) {
        Some(r) => r.clone(),
        None => {
            let found = echo.rooms.read().expect("rooms").get(&room_id).cloned();
            match found {
                Some(r) if r.members.iter().any(|(u, _)| *u == me) => {
                    rooms.insert(room_id, r.clone());
                    r
                }
                Some(_) => return Ok(Some(error_frame("forbidden", &client_id))),
                None => return Ok(Some(error_frame("not_found", &client_id))),
            }
        }
    };
    let mut last = room.last_id.lock().expect("room");
    *last += 1;
    let msg = Msg {
        id: *last,
        room_id: room.id,
        sender_id: me,
        kind: "text",
        body: &body,
        event: None,
        created_at: &echo.created_at,
    };
    let frame = ServerFrame::Message { message: &msg }.text();
    for (_, conns) in &room.members {
        // A full queue means the client stopped reading: dropping the sender closes it.
        conns
            .lock()
            .expect("conns")
            .retain(|(_, tx)| match tx.try_send(frame.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => false,
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
    }
    drop(last);
    let ack = ServerFrame::Ack {
        client_id: &client_id,
        message: &msg,
    }
    .text();
    own.upgrade().ok_or(())?.try_send(ack).map_err(|_| ())?;
    Ok(None)
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let echo = Arc::new(Echo {
        created_at: time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)?
            .format(&time::format_description::well_known::Rfc3339)?,
        ..Default::default()
    });
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/auth/signup", post(signup))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/items", post(create_item))
        .route("/api/v1/items/{id}/chats", post(open_chat))
        .route("/api/v1/ws", get(upgrade))
        .with_state(echo);
    let listener = tokio::net::TcpListener::bind(a.bind).await?;
    println!("echo listening on {}", listener.local_addr()?);
    // As the app (src/app.rs): small frames must not wait for Nagle's algorithm.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}
