//! What the deployment tests share: the real binary as a child process, Debian's nginx in front
//! of it with `deploy/nginx.conf`, plain HTTP calls, and a chat client that behaves as the web
//! client does (sends, reconnects with backoff, catches up over REST, resends what was not
//! acknowledged).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMsg;

pub const PASSWORD: &str = "passw0rd!";
pub const SEOGYO: &str = "1144066000";

pub fn rand_suffix() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

/// A scratch directory removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(what: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("egd-{what}-{}", rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `TEST_DATABASE_URL` and `TEST_REDIS_URL`: these suites run only where they are set (CI's
/// deploy steps set them); asked to run without them they fail rather than pass untested.
pub async fn postgres_and_redis() -> (String, String) {
    let db = crate::common::fresh_database()
        .await
        .expect("this suite needs TEST_DATABASE_URL (PostgreSQL): run .ci/deploy-tests.sh");
    let redis = crate::common::redis_url()
        .expect("this suite needs TEST_REDIS_URL (Redis): run .ci/deploy-tests.sh");
    (db, redis)
}

pub fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) on a child process id we own.
    unsafe {
        libc::kill(pid as i32, signal);
    }
}

/// The server binary on a port of its own, with its own data dir and log file.
pub struct Instance {
    child: Option<std::process::Child>,
    pub port: u16,
    pub data_dir: PathBuf,
    log: PathBuf,
    env: Vec<(String, String)>,
}

impl Instance {
    /// Starts `egodaeyeo serve` with these environment variables (and no others of ours from
    /// the test's environment) and waits until `/readyz` answers 200.
    pub async fn start(data_dir: &Path, port: u16, env: &[(&str, &str)]) -> Instance {
        let mut inst = Instance {
            child: None,
            port,
            data_dir: data_dir.to_path_buf(),
            log: data_dir.with_extension(format!("{port}.log")),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        inst.spawn();
        inst.wait_ready().await;
        inst
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_egodaeyeo"));
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{}", self.port)])
            .arg("--data-dir")
            .arg(&self.data_dir);
        for var in [
            "DATABASE_URL",
            "REDIS_URL",
            "MEDIA_URL",
            "BIND",
            "DATA_DIR",
            "TRUSTED_PROXIES",
            "DRAIN_SECONDS",
            "RATE_LIMIT",
            "METRICS_TOKEN",
            "PUBLIC_URL",
            "JWT_SECRET",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("RUST_LOG", "info,sqlx=warn")
            .env("RUST_BACKTRACE", "0")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.child = Some(cmd.spawn().expect("start the server binary"));
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client
                .get(format!("http://{}/readyz", self.addr()))
                .timeout(Duration::from_secs(1))
                .send()
                .await
            {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "instance {} never became ready:\n{}",
            self.port,
            self.log_text()
        );
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, as systemd or an orchestrator stops it.
    pub fn terminate(&self) {
        send_signal(self.pid(), libc::SIGTERM);
    }

    /// Waits for the process to exit; `None` when it is still running after `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            let child = self.child.as_mut().expect("running");
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts the same instance again (same port, data dir and settings).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        self.spawn();
        self.wait_ready().await;
    }

    /// Open sockets on this instance, from its own `/metrics`.
    pub async fn sockets(&self) -> u64 {
        let text = reqwest::get(format!("http://{}/metrics", self.addr()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metric(&text, "egd_ws_connections").unwrap_or(0.0) as u64
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The value of an unlabelled series in Prometheus text.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Debian's nginx on a loopback port with `deploy/nginx.conf` as shipped: only the upstream
/// ports, the listen port and the cache directory are replaced.
pub struct Nginx {
    child: std::process::Child,
    pub port: u16,
    dir: Scratch,
}

impl Nginx {
    pub async fn start(upstreams: [u16; 2]) -> Nginx {
        let nginx = std::env::var("NGINX_BIN").unwrap_or_else(|_| "/usr/sbin/nginx".into());
        assert!(
            Path::new(&nginx).exists(),
            "this suite needs nginx ({nginx}): apt-get install nginx, or run .ci/deploy-tests.sh"
        );
        let dir = Scratch::new("nginx");
        // nginx's workers run as an unprivileged user when started as root.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o777)).unwrap();
        let port = free_port();
        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx.conf"),
        )
        .unwrap();
        let cache = dir.path("cache");
        let mut site = shipped.clone();
        for (from, to) in [
            (
                "server 127.0.0.1:8001 ",
                format!("server 127.0.0.1:{} ", upstreams[0]),
            ),
            (
                "server 127.0.0.1:8002 ",
                format!("server 127.0.0.1:{} ", upstreams[1]),
            ),
            ("listen 80;", format!("listen 127.0.0.1:{port};")),
            (
                "/var/cache/nginx/egodaeyeo",
                cache.to_string_lossy().to_string(),
            ),
        ] {
            assert_eq!(
                site.matches(from).count(),
                1,
                "deploy/nginx.conf no longer has exactly one {from:?}: update this test with it"
            );
            site = site.replace(from, &to);
        }
        std::fs::write(dir.path("egodaeyeo.conf"), site).unwrap();
        let d = dir.0.display();
        let main = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  include /etc/nginx/mime.types;\n  access_log {d}/access.log;\n\
             client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             include {d}/egodaeyeo.conf;\n}}\n"
        );
        std::fs::write(dir.path("nginx.conf"), main).unwrap();
        let test = std::process::Command::new(&nginx)
            .arg("-t")
            .arg("-p")
            .arg(&dir.0)
            .arg("-c")
            .arg(dir.path("nginx.conf"))
            .arg("-e")
            .arg(dir.path("error.log"))
            .output()
            .unwrap();
        assert!(
            test.status.success(),
            "nginx -t refuses deploy/nginx.conf: {}",
            String::from_utf8_lossy(&test.stderr)
        );
        let child = std::process::Command::new(&nginx)
            .arg("-p")
            .arg(&dir.0)
            .arg("-c")
            .arg(dir.path("nginx.conf"))
            .arg("-e")
            .arg(dir.path("error.log"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start nginx");
        let me = Nginx { child, port, dir };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return me;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("nginx did not listen: {}", me.error_log());
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // Kept for a look after a failure (CI prints where it is).
        let _ = std::fs::copy(
            self.dir.path("error.log"),
            std::env::temp_dir().join("egd-nginx-error.log"),
        );
        // SIGTERM: the master stops its workers too (SIGKILL would orphan them).
        send_signal(self.child.id(), libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP call to `http://{base}{path}` (`path` with its `/api/v1`).
pub async fn call(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client
        .request(method, format!("http://{base}{path}"))
        .timeout(Duration::from_secs(15));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub struct Account {
    pub id: i64,
    pub token: String,
}

pub async fn signup(base: &str, nick: &str) -> Account {
    let (s, b) = call(
        &reqwest::Client::new(),
        base,
        Method::POST,
        "/api/v1/auth/signup",
        None,
        Some(json!({"email": format!("{nick}@example.com"), "password": PASSWORD, "nickname": nick, "region_code": SEOGYO})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "signup {nick}: {b}");
    Account {
        id: b["user"]["id"].as_i64().unwrap(),
        token: b["access_token"].as_str().unwrap().to_string(),
    }
}

/// The chat room `asker` opens about a new item of `owner`.
pub async fn room(base: &str, owner: &Account, asker: &Account) -> i64 {
    item_and_room(base, owner, asker).await.1
}

/// A new item of `owner` and the chat room `asker` opens about it: `(item, room)`.
pub async fn item_and_room(base: &str, owner: &Account, asker: &Account) -> (i64, i64) {
    let client = reqwest::Client::new();
    let (s, item) = call(
        &client,
        base,
        Method::POST,
        "/api/v1/items",
        Some(&owner.token),
        Some(json!({"section": "lend", "category_id": 4, "title": "전동드릴", "description": "보쉬 충전 드릴"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    let (s, room) = call(
        &client,
        base,
        Method::POST,
        &format!("/api/v1/items/{}/chats", item["id"]),
        Some(&asker.token),
        Some(json!({})),
    )
    .await;
    assert!(s.is_success(), "{room}");
    (item["id"].as_i64().unwrap(), room["id"].as_i64().unwrap())
}

/// Waits until every client's socket is open, then lets them send.
pub async fn start_when_connected(control: &Control, logs: &[&Arc<Mutex<ChatLog>>]) {
    for _ in 0..500 {
        if logs.iter().all(|l| l.lock().unwrap().connected) {
            control.paused.store(false, Ordering::Relaxed);
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not every client connected");
}

/// Every message of a room, oldest first: `id → body`.
pub async fn history(base: &str, token: &str, room: i64) -> BTreeMap<i64, String> {
    history_after(base, token, room, 0).await
}

pub async fn history_after(
    base: &str,
    token: &str,
    room: i64,
    after: i64,
) -> BTreeMap<i64, String> {
    match try_history_after(base, token, room, after).await {
        Ok(h) => h,
        Err(e) => panic!("history: {e}"),
    }
}

/// The room's messages after `after`, or the first failed answer (a client retries later).
pub async fn try_history_after(
    base: &str,
    token: &str,
    room: i64,
    mut after: i64,
) -> Result<BTreeMap<i64, String>, String> {
    let client = reqwest::Client::new();
    let mut out = BTreeMap::new();
    loop {
        let resp = client
            .get(format!(
                "http://{base}/api/v1/chats/{room}/messages?after={after}&limit=200"
            ))
            .bearer_auth(token)
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let s = resp.status();
        let b: Value = resp.json().await.unwrap_or(Value::Null);
        if s != StatusCode::OK {
            return Err(format!("{s} {b}"));
        }
        for m in b["messages"].as_array().unwrap() {
            after = m["id"].as_i64().unwrap();
            out.insert(after, m["body"].as_str().unwrap().to_string());
        }
        if b["has_more"] != true {
            return Ok(out);
        }
    }
}

/// What one chat client went through.
#[derive(Default, Debug)]
pub struct ChatLog {
    /// Messages the server acknowledged to this client: `id → body`.
    pub acked: BTreeMap<i64, String>,
    /// Every message of the room this client has: live frames, acks and catch-ups.
    pub seen: BTreeMap<i64, String>,
    /// Close codes the server sent.
    pub closes: Vec<u16>,
    pub connects: usize,
    pub connected: bool,
    /// Messages only the catch-up brought (missed while reconnecting).
    pub caught_up: usize,
    pub resent: usize,
    pub sent: u64,
    /// Catch-ups that failed (retried with the next reconnect).
    pub failed_catch_ups: Vec<String>,
}

/// When to send and stop: `paused` holds new messages back (until every client is connected,
/// so none misses the first ones), `sending_stopped` ends them, `finish` ends the client.
#[derive(Default)]
pub struct Control {
    pub paused: AtomicBool,
    pub sending_stopped: AtomicBool,
    pub finish: AtomicBool,
}

/// After a reconnect the client asks for everything after the last message it had received this
/// long before: with several instances, a message committed by one can be delivered after a
/// later one committed by the other, so the very last id is not a safe cursor.
const CATCH_UP_MARGIN: Duration = Duration::from_secs(2);

/// A chat client as the web client behaves: one socket through `base`, a message every
/// `every` while sending, acks recorded; when the socket ends (a 1012 restart, a refused
/// connection) it reconnects with backoff and jitter, catches up over REST and resends whatever
/// was neither acknowledged nor found in the catch-up.
pub async fn chatter(
    base: String,
    who: Account,
    room: i64,
    label: String,
    every: Duration,
    control: Arc<Control>,
    log: Arc<Mutex<ChatLog>>,
) {
    let mut n: u64 = 0;
    let mut pending: BTreeMap<u64, String> = BTreeMap::new();
    let mut arrivals: Vec<(Instant, i64)> = Vec::new();
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    while !control.finish.load(Ordering::Relaxed) {
        let url = format!("ws://{base}/api/v1/ws?token={}", who.token);
        let ws = match tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::connect_async(url),
        )
        .await
        {
            Ok(Ok((ws, _))) => ws,
            _ => {
                let jitter = rand::thread_rng().gen_range(0..=backoff.as_millis() as u64 / 2);
                tokio::time::sleep(backoff + Duration::from_millis(jitter)).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        let (mut tx, mut rx) = ws.split();
        {
            let mut l = log.lock().unwrap();
            l.connects += 1;
            l.connected = true;
        }
        if !first {
            // Catch up from a safe cursor, then resend what is still unaccounted for.
            let cutoff = Instant::now() - CATCH_UP_MARGIN;
            let after = arrivals
                .iter()
                .filter(|(at, _)| *at <= cutoff)
                .map(|(_, id)| *id)
                .max()
                .unwrap_or(0);
            let missed = match try_history_after(&base, &who.token, room, after).await {
                Ok(m) => m,
                Err(e) => {
                    // As the web client: try the whole reconnect again after a pause.
                    log.lock().unwrap().failed_catch_ups.push(e);
                    log.lock().unwrap().connected = false;
                    tokio::time::sleep(backoff).await;
                    continue;
                }
            };
            let mut l = log.lock().unwrap();
            for (id, body) in missed {
                if l.seen.insert(id, body).is_none() {
                    l.caught_up += 1;
                    arrivals.push((Instant::now(), id));
                }
            }
            let stored: std::collections::HashSet<&String> = l.seen.values().collect();
            pending.retain(|_, body| !stored.contains(body));
            l.resent += pending.len();
        }
        first = false;
        let mut resend: Vec<(u64, String)> = pending.iter().map(|(k, v)| (*k, v.clone())).collect();
        let mut tick = tokio::time::interval(every);
        loop {
            if let Some((cid, body)) = resend.pop() {
                let f = json!({"type": "send", "room_id": room, "body": body, "client_id": cid});
                if tx.send(WsMsg::Text(f.to_string().into())).await.is_err() {
                    break;
                }
                continue;
            }
            tokio::select! {
                _ = tick.tick() => {
                    if control.finish.load(Ordering::Relaxed) {
                        let _ = tx.close().await;
                        break;
                    }
                    if control.paused.load(Ordering::Relaxed)
                        || control.sending_stopped.load(Ordering::Relaxed)
                    {
                        continue;
                    }
                    let body = format!("{label}-{n}");
                    pending.insert(n, body.clone());
                    let f = json!({"type": "send", "room_id": room, "body": body, "client_id": n});
                    n += 1;
                    log.lock().unwrap().sent = n;
                    if tx.send(WsMsg::Text(f.to_string().into())).await.is_err() {
                        break;
                    }
                }
                msg = rx.next() => match msg {
                    Some(Ok(WsMsg::Text(t))) => {
                        let v: Value = serde_json::from_str(&t).unwrap();
                        let mut l = log.lock().unwrap();
                        match v["type"].as_str() {
                            Some("ack") => {
                                let id = v["message"]["id"].as_i64().unwrap();
                                let body = v["message"]["body"].as_str().unwrap().to_string();
                                pending.remove(&v["client_id"].as_u64().unwrap());
                                l.acked.insert(id, body.clone());
                                l.seen.insert(id, body);
                                arrivals.push((Instant::now(), id));
                            }
                            Some("message") if v["message"]["room_id"] == room => {
                                let id = v["message"]["id"].as_i64().unwrap();
                                l.seen.insert(id, v["message"]["body"].as_str().unwrap().to_string());
                                arrivals.push((Instant::now(), id));
                            }
                            Some("error") => panic!("{label}: error frame {v}"),
                            _ => {}
                        }
                    }
                    Some(Ok(WsMsg::Close(frame))) => {
                        if let Some(f) = frame {
                            log.lock().unwrap().closes.push(f.code.into());
                        }
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
            }
        }
        log.lock().unwrap().connected = false;
    }
}
