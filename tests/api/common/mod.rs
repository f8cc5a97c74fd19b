//! Test harness: spawns the real server in-process on a random port with a fresh data dir and,
//! when `TEST_DATABASE_URL` is set, a fresh PostgreSQL database.
#![allow(dead_code)]

pub mod oidc;

use std::path::PathBuf;
use std::time::Duration;

use egodaeyeo::app::{self, AppState};
use egodaeyeo::clock::Clock;
use egodaeyeo::config::Config;
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message as WsMsg;

pub const PASSWORD: &str = "passw0rd!";
pub const SEOGYO: &str = "1144066000"; // 서울 마포구 서교동
pub const HAPJEONG: &str = "1144068000"; // 서울 마포구 합정동
pub const HAEUNDAE: &str = "2635051000"; // 부산 해운대구 우1동

pub struct TestApp {
    pub addr: String,
    pub api: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub struct User {
    pub id: i64,
    pub token: String,
    pub refresh: String,
    pub email: String,
    pub nickname: String,
}

fn rand_suffix() -> String {
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

/// The Redis of `TEST_REDIS_URL`, or `None` when it is not set. When it is set, Redis must
/// answer: a run that asked for the Redis tests never passes by skipping them.
pub fn redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let parsed = url::Url::parse(&url).expect("TEST_REDIS_URL is a URL");
    let host = parsed.host_str().unwrap_or("127.0.0.1").to_string();
    let port = parsed.port().unwrap_or(6379);
    let mut conn = std::net::TcpStream::connect((host.as_str(), port)).unwrap_or_else(|e| {
        panic!("TEST_REDIS_URL is set but Redis at {host}:{port} is unreachable: {e}")
    });
    use std::io::{Read, Write};
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.write_all(b"PING\r\n").expect("write to Redis");
    let mut buf = [0u8; 7];
    let n = conn.read(&mut buf).expect("read from Redis");
    assert_eq!(
        &buf[..n],
        b"+PONG\r\n",
        "TEST_REDIS_URL does not answer PING"
    );
    Some(url)
}

/// A fresh PostgreSQL database on the `TEST_DATABASE_URL` server, or `None` for SQLite.
pub async fn fresh_database() -> Option<String> {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())?;
    let name = format!("egt_{}", rand_suffix());
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
        .await
        .expect("connect to TEST_DATABASE_URL");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&base).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

impl Drop for TestApp {
    /// A test that panicked (or forgot `stop`) still ends its server: the listener task is
    /// aborted, sockets are closed and the data dir removed.
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
            self.state.realtime.close_all();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let db = fresh_database().await;
        Self::spawn_with(db, None, |_| {}).await
    }

    /// Spawns an instance with a given database (shared by several instances in one test).
    pub async fn spawn_with(
        database_url: Option<String>,
        redis_url: Option<String>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let data_dir = std::env::temp_dir().join(format!("egd-test-{}", rand_suffix()));
        let mut config = Config::for_data_dir(data_dir.clone());
        config.database_url = database_url.clone();
        config.redis_url = redis_url;
        config.scheduler_interval_secs = 3600; // tests drive the scheduler themselves
        tweak(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let bound = listener.local_addr().expect("addr");
        let state = app::build_state(
            config,
            bound,
            Clock::frozen_at(egodaeyeo::clock::system_ms()),
        )
        .await
        .expect("build state");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s = state.clone();
        let task = tokio::spawn(async move {
            app::serve(s, listener, async move {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        let addr = format!("http://{bound}");
        TestApp {
            api: format!("{addr}/api/v1"),
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            state,
            data_dir,
            database_url,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the server gracefully (waits for it) and removes its data dir. A test that panics
    /// before calling this still stops its server: see `Drop`.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else if path.starts_with("/api/")
            || !path.starts_with('/')
            || path.starts_with("/healthz")
            || path.starts_with("/readyz")
            || path.starts_with("/metrics")
            || path.starts_with("/media")
        {
            format!("{}{}", self.addr, path)
        } else {
            format!("{}{}", self.api, path)
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    /// Sends raw bytes as the body (malformed JSON tests).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &'static str,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let json = resp.json().await.unwrap_or(Value::Null);
        (status, json)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }
    pub async fn delete(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, body).await
    }

    /// Uploads files as multipart `image` fields.
    pub async fn upload(
        &self,
        method: Method,
        path: &str,
        token: &str,
        files: Vec<Vec<u8>>,
    ) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (i, f) in files.into_iter().enumerate() {
            form = form.part(
                "image",
                reqwest::multipart::Part::bytes(f).file_name(format!("f{i}.bin")),
            );
        }
        let resp = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn signup_in(&self, nickname: &str, region: &str) -> User {
        let email = format!("{}@example.com", nickname.to_lowercase());
        let (s, b) = self
            .post(
                "/auth/signup",
                None,
                json!({"email": email, "password": PASSWORD, "nickname": nickname, "region_code": region}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "signup {nickname}: {b}");
        User {
            id: b["user"]["id"].as_i64().unwrap(),
            token: b["access_token"].as_str().unwrap().to_string(),
            refresh: b["refresh_token"].as_str().unwrap().to_string(),
            email,
            nickname: nickname.to_string(),
        }
    }

    pub async fn signup(&self, nickname: &str) -> User {
        self.signup_in(nickname, SEOGYO).await
    }

    /// Makes a user an admin the way an operator would (the CLI's service function).
    pub async fn make_admin(&self, user: &User) {
        assert!(
            egodaeyeo::accounts::service::set_admin(&self.state.db, &user.email, true)
                .await
                .unwrap()
        );
        // The server learns of a CLI change within the account cache's TTL; tests go on at once.
        self.state.access.forget(user.id, None);
    }

    /// Adds `n` listed items of `owner` in one statement (same SQL on both backends), and
    /// makes the caches forget what they made before (the server did not see this write).
    pub async fn bulk_items(&self, owner: i64, n: i64) {
        sqlx::query(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $2) \
             INSERT INTO items (owner_id, section, category_id, title, description, price, price_unit, region_code, created_at, updated_at) \
             SELECT $1, 'lend', 4, 'bulk item ' || x, 'a long enough description of bulk item number ' || x, x, 'day', '1144066000', x, x FROM n",
        )
        .bind(owner)
        .bind(n)
        .execute(&self.state.db.write)
        .await
        .expect("bulk insert");
        self.state.writes.bump();
    }

    /// Waits until the in-memory listing index is fresh (it answers listings again).
    pub async fn index_ready(&self) {
        for _ in 0..200 {
            let (writes, now) = (self.state.writes.current(), self.state.clock.now_ms());
            if self
                .state
                .cache
                .index
                .lookup(writes, now)
                .snapshot
                .is_some()
            {
                return;
            }
            egodaeyeo::catalog::service::refresh_index(&self.state)
                .await
                .expect("index rebuild");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the listing index was not rebuilt");
    }

    pub async fn create_item(&self, user: &User, body: Value) -> Value {
        let mut b = json!({"section": "lend", "category_id": 4, "title": "전동드릴", "description": "보쉬 충전 드릴", "price": 5000, "price_unit": "day"});
        if let (Some(base), Some(over)) = (b.as_object_mut(), body.as_object()) {
            for (k, v) in over {
                base.insert(k.clone(), v.clone());
            }
        }
        let (s, item) = self.post("/items", Some(&user.token), b).await;
        assert_eq!(s, StatusCode::CREATED, "create item: {item}");
        item
    }

    pub async fn ws(&self, token: &str) -> Ws {
        let url = format!(
            "{}/api/v1/ws?token={token}",
            self.addr.replace("http://", "ws://")
        );
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        Ws { stream }
    }
}

pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    pub async fn send(&mut self, v: Value) {
        self.stream
            .send(WsMsg::Text(v.to_string().into()))
            .await
            .expect("ws send");
    }
    pub async fn send_text(&mut self, t: &str) {
        self.stream
            .send(WsMsg::Text(t.to_string().into()))
            .await
            .expect("ws send");
    }
    /// The next JSON frame, or `None` after `ms` milliseconds of silence.
    pub async fn next_within(&mut self, ms: u64) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(Duration::from_millis(ms), self.stream.next())
                .await
                .ok()??;
            match msg.ok()? {
                WsMsg::Text(t) => return serde_json::from_str(&t).ok(),
                WsMsg::Close(_) => return None,
                _ => continue,
            }
        }
    }
    pub async fn next(&mut self) -> Value {
        self.next_within(5000).await.expect("a frame within 5 s")
    }
    /// Skips frames until one of this type arrives.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let f = self.next().await;
            if f["type"] == kind {
                return f;
            }
        }
    }
}

/// A small valid JPEG made on the fly.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 255) as u8, (y % 255) as u8, 120])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .unwrap();
    out
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, _| image::Rgba([200, (x % 255) as u8, 10, 128]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A JPEG carrying an EXIF segment with a GPS marker string, as phones write them.
pub fn jpeg_with_exif() -> Vec<u8> {
    let plain = jpeg(64, 48);
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPSLatitude 37.5549 SECRET-LOCATION".to_vec();
    payload.truncate(payload.len());
    let len = (payload.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

pub fn iso(ms: i64) -> String {
    egodaeyeo::clock::format_ms(ms)
}

// ---- chat, realtime and rentals helpers ----

pub const HOUR: i64 = egodaeyeo::clock::HOUR_MS;
pub const DAY: i64 = egodaeyeo::clock::DAY_MS;

impl TestApp {
    /// RFC 3339 for "now + offset" on this app's clock.
    pub fn at(&self, offset_ms: i64) -> String {
        iso(self.state.clock.now_ms() + offset_ms)
    }

    /// A rental of `item` from `from` to `to` (offsets from now) that `borrower` requested and
    /// `lender` accepted; returns its id.
    pub async fn accepted_rental(
        &self,
        lender: &User,
        borrower: &User,
        item: i64,
        from: i64,
        to: i64,
    ) -> i64 {
        let (s, r) = self
            .post(
                &format!("/items/{item}/rentals"),
                Some(&borrower.token),
                json!({"start_at": self.at(from), "end_at": self.at(to)}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let id = r["id"].as_i64().unwrap();
        let (s, r) = self
            .post(
                &format!("/rentals/{id}/accept"),
                Some(&lender.token),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        id
    }

    /// Opens (or reopens) the user's chat about an item; returns the room id.
    pub async fn open_chat(&self, user: &User, item_id: i64) -> i64 {
        let (s, b) = self
            .post(
                &format!("/items/{item_id}/chats"),
                Some(&user.token),
                json!({}),
            )
            .await;
        assert!(
            s == StatusCode::CREATED || s == StatusCode::OK,
            "open chat: {s} {b}"
        );
        b["id"].as_i64().unwrap()
    }

    /// Sends a text message over REST; returns the stored message.
    pub async fn say(&self, user: &User, room: i64, body: &str) -> Value {
        let (s, b) = self
            .post(
                &format!("/chats/{room}/messages"),
                Some(&user.token),
                json!({"body": body}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "send: {b}");
        b
    }

    /// The whole history of a room, oldest first (follows `after` cursors).
    pub async fn all_messages(&self, user: &User, room: i64) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        let mut after = 0;
        loop {
            let (s, b) = self
                .get(
                    &format!("/chats/{room}/messages?after={after}&limit=200"),
                    Some(&user.token),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "history: {b}");
            let page = b["messages"].as_array().unwrap().clone();
            if let Some(last) = page.last() {
                after = last["id"].as_i64().unwrap();
            }
            out.extend(page);
            if b["has_more"] != true {
                return out;
            }
        }
    }

    /// Notifications of the user (first page of 100), with `unread=true` when asked.
    pub async fn notifications(&self, user: &User, unread: bool) -> Value {
        let (s, b) = self
            .get(
                &format!("/notifications?per_page=100&unread={unread}"),
                Some(&user.token),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "notifications: {b}");
        b
    }

    /// Polls the user's notifications until `pred` holds (delivery runs after the commit).
    pub async fn wait_notifications(
        &self,
        user: &User,
        unread: bool,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        for _ in 0..100 {
            let b = self.notifications(user, unread).await;
            if pred(&b) {
                return b;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "notifications never matched: {}",
            self.notifications(user, unread).await
        );
    }

    /// The HTTP status of a WebSocket handshake that the server refuses (or 101 when it accepts).
    pub async fn ws_status(&self, query: &str) -> u16 {
        let url = format!("{}/api/v1/ws{query}", self.addr.replace("http://", "ws://"));
        match tokio_tungstenite::connect_async(url).await {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
            Err(e) => panic!("unexpected ws error: {e}"),
        }
    }
}

impl Ws {
    /// Frames of one type, skipping the others, until `n` have arrived.
    pub async fn collect_of(&mut self, kind: &str, n: usize) -> Vec<Value> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            out.push(self.next_of(kind).await);
        }
        out
    }

    /// Ping and wait for the pong: proves the socket is still open and served.
    pub async fn assert_alive(&mut self) {
        self.send(json!({"type": "ping"})).await;
        let f = self.next_of("pong").await;
        assert_eq!(f["type"], "pong");
    }

    /// No frame of this type within `ms`.
    pub async fn assert_no(&mut self, kind: &str, ms: u64) {
        while let Some(f) = self.next_within(ms).await {
            assert_ne!(f["type"], kind, "unexpected frame {f}");
        }
    }
}

impl TestApp {
    /// An instance whose access tokens outlive clock jumps of weeks (time-travel tests).
    pub async fn spawn_long_lived() -> TestApp {
        let db = fresh_database().await;
        Self::spawn_with(db, None, long_lived).await
    }
}

/// Config tweak: access tokens valid for a year, so advancing the clock keeps users signed in.
pub fn long_lived(c: &mut Config) {
    c.access_ttl_secs = 365 * 24 * 3600;
}
