//! `loadgen chat`: R rooms, one per pair of users, each with 2 sockets (owner and inquirer).
//! Every socket sends as fast as the server acknowledges, with at most `--inflight` unacknowledged
//! messages. Each body carries its send time, so the other side measures send → delivery
//! latency. At the end every acknowledged message must have reached both participants, in order.
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::stats;

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of the (first) instance, e.g. http://127.0.0.1:8000
    #[arg(long)]
    pub url: String,
    /// A second instance: the inquirer's socket of every room connects here.
    #[arg(long)]
    pub url2: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub rooms: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Unacknowledged messages allowed per socket.
    #[arg(long, default_value_t = 32)]
    pub inflight: usize,
    /// Open-loop mode: total messages/s over all sockets, each send scheduled at a fixed pace
    /// (latency counts from the scheduled time, so a server that falls behind shows it).
    /// 0 = closed loop: every socket sends as fast as acks come back.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Prefix of the generated accounts (reused with a login when they exist).
    #[arg(long, default_value = "chat")]
    pub prefix: String,
}

pub const PASSWORD: &str = "bench1234";

fn t0() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

fn now_us() -> u64 {
    t0().elapsed().as_micros() as u64
}

pub struct Account {
    pub id: i64,
    pub token: String,
}

/// Signs up `n` accounts `{prefix}{i:04}@bench.test`, or logs in when they exist already.
pub async fn accounts(
    http: &reqwest::Client,
    url: &str,
    prefix: &str,
    n: usize,
) -> anyhow::Result<Vec<Account>> {
    let sem = Arc::new(tokio::sync::Semaphore::new(4));
    let mut tasks = Vec::new();
    for i in 0..n {
        let (http, url, prefix, sem) = (
            http.clone(),
            url.to_string(),
            prefix.to_string(),
            sem.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await?;
            let email = format!("{prefix}{i:04}@bench.test");
            let nick = format!("{}{i:04}", if prefix == "chat" { "채팅" } else { "대기" });
            let r = http
                .post(format!("{url}/api/v1/auth/signup"))
                .json(&json!({"email": email, "password": PASSWORD, "nickname": nick, "region_code": crate::seed::CENTER}))
                .send()
                .await?;
            let body: Value = if r.status().as_u16() == 409 {
                let r = http
                    .post(format!("{url}/api/v1/auth/login"))
                    .json(&json!({"email": email, "password": PASSWORD}))
                    .send()
                    .await?;
                if !r.status().is_success() {
                    bail!("login {email}: {} {}", r.status(), r.text().await?);
                }
                r.json().await?
            } else if r.status().is_success() {
                r.json().await?
            } else {
                bail!("signup {email}: {} {}", r.status(), r.text().await?);
            };
            Ok(Account {
                id: body["user"]["id"].as_i64().context("user.id")?,
                token: body["access_token"].as_str().context("access_token")?.to_string(),
            })
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

pub fn ws_url(base: &str, token: &str) -> String {
    let base = base.trim_end_matches('/');
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_string()
    };
    format!("{ws}/api/v1/ws?token={token}")
}

/// The upgrade request: the token in the query as api.md says, and also as a bearer header
/// (the server checks the header first), so the load generator also works with servers whose
/// `?token=` handling is broken (commit 5a493bb: the nested router strips `/api/v1` before the
/// path check in `http::extract::authenticate`).
pub fn ws_request(
    base: &str,
    token: &str,
) -> anyhow::Result<tokio_tungstenite::tungstenite::handshake::client::Request> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = ws_url(base, token).into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(req)
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    /// A message object in `ack`/`message` frames, a text in `error` frames.
    #[serde(default, borrow)]
    message: Option<MsgField<'a>>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MsgField<'a> {
    Msg(#[serde(borrow)] Msg<'a>),
    #[allow(dead_code)]
    Text(#[serde(borrow)] Cow<'a, str>),
}

impl<'a> MsgField<'a> {
    fn msg(&self) -> Option<&Msg<'a>> {
        match self {
            MsgField::Msg(m) => Some(m),
            MsgField::Text(_) => None,
        }
    }
}

#[derive(Deserialize)]
struct Msg<'a> {
    sender_id: Option<i64>,
    #[serde(borrow)]
    body: Cow<'a, str>,
}

/// Body: `t<send µs> s<seq> <text>`.
fn parse_body(b: &str) -> Option<(u64, u64)> {
    let mut it = b.split(' ');
    let t = it.next()?.strip_prefix('t')?.parse().ok()?;
    let s = it.next()?.strip_prefix('s')?.parse().ok()?;
    Some((t, s))
}

#[derive(Default)]
struct SocketResult {
    /// Acks received (all, and for messages sent in the measured window).
    acked: u64,
    acked_window: u64,
    /// `message` frames of the partner's messages, and of our own (the echo).
    from_partner: u64,
    from_partner_window: u64,
    echo: u64,
    out_of_order: u64,
    /// Skipped sequence numbers seen by the partner (messages refused with an error frame).
    gaps: u64,
    errors: u64,
    /// Send → delivery at the partner (µs), for messages sent in the window.
    delivery_us: Vec<u32>,
    /// Send → ack (µs), window only.
    ack_us: Vec<u32>,
    first_error: Option<String>,
}

#[derive(Default)]
struct Totals {
    /// Sockets still sending.
    sending: AtomicU64,
    acked: AtomicU64,
    partner: AtomicU64,
    echo: AtomicU64,
}

struct Window {
    start_us: u64,
    end_us: u64,
}

#[allow(clippy::too_many_arguments)]
async fn socket(
    url: tokio_tungstenite::tungstenite::handshake::client::Request,
    me: i64,
    room: i64,
    inflight_max: usize,
    interval_us: u64,
    win: Arc<Window>,
    totals: Arc<Totals>,
    stop: Arc<AtomicBool>,
    ready: Arc<tokio::sync::Barrier>,
) -> anyhow::Result<SocketResult> {
    let uri = url.uri().to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .with_context(|| format!("connect {uri}"))?;
    ready.wait().await;
    let mut r = SocketResult::default();
    let mut inflight = 0usize;
    let mut seq = 0u64;
    let mut last_partner_seq: Option<u64> = None;
    let mut sending = true;
    let mut counted_done = false;
    // Paced sockets start at a random phase so they do not all fire together.
    let mut next_us = now_us()
        + if interval_us > 0 {
            rand::random::<u64>() % interval_us
        } else {
            0
        };
    loop {
        // Top the window up.
        let mut fed = false;
        while sending && inflight < inflight_max {
            let now = now_us();
            if now >= win.end_us {
                sending = false;
                break;
            }
            let t = if interval_us > 0 {
                if now < next_us {
                    break;
                }
                next_us += interval_us;
                next_us - interval_us
            } else {
                now
            };
            let frame = format!(
                r#"{{"type":"send","room_id":{room},"body":"t{t} s{seq} 안녕하세요! 이 물건 내일 빌릴 수 있을까요?","client_id":"c{seq}"}}"#
            );
            ws.feed(Message::Text(frame.into())).await?;
            seq += 1;
            inflight += 1;
            fed = true;
        }
        if fed {
            ws.flush().await?;
        }
        if !sending && !counted_done {
            counted_done = true;
            totals.sending.fetch_sub(1, Ordering::Relaxed);
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        // Read one frame (waiting), then whatever else is already buffered.
        let wait_us = if sending && interval_us > 0 && inflight < inflight_max {
            next_us.saturating_sub(now_us()).clamp(50, 50_000)
        } else {
            50_000
        };
        let first = match tokio::time::timeout(Duration::from_micros(wait_us), ws.next()).await {
            Ok(Some(m)) => Some(m?),
            Ok(None) => bail!("socket closed by server"),
            Err(_) => None,
        };
        let mut next = first;
        while let Some(m) = next.take() {
            if let Message::Text(text) = &m {
                let f: Frame = match serde_json::from_str(text.as_str()) {
                    Ok(f) => f,
                    Err(e) => bail!("bad frame {e}: {}", text.as_str()),
                };
                match f.ty.as_ref() {
                    "ack" => {
                        inflight = inflight.saturating_sub(1);
                        r.acked += 1;
                        totals.acked.fetch_add(1, Ordering::Relaxed);
                        if let Some((t, _)) = f
                            .message
                            .as_ref()
                            .and_then(|m| m.msg())
                            .and_then(|m| parse_body(&m.body))
                        {
                            if t >= win.start_us && t < win.end_us {
                                r.acked_window += 1;
                                r.ack_us.push((now_us() - t) as u32);
                            }
                        }
                    }
                    "message" => {
                        let Some(msg) = f.message.as_ref().and_then(|m| m.msg()) else {
                            continue;
                        };
                        if msg.sender_id == Some(me) {
                            r.echo += 1;
                            totals.echo.fetch_add(1, Ordering::Relaxed);
                        } else if let Some((t, s)) = parse_body(&msg.body) {
                            r.from_partner += 1;
                            totals.partner.fetch_add(1, Ordering::Relaxed);
                            // A gap is a message the server refused (error frame, never acked); going
                            // backwards or repeating is a real ordering fault.
                            if last_partner_seq.is_some_and(|l| s <= l) {
                                r.out_of_order += 1;
                            } else if s != last_partner_seq.map_or(0, |l| l + 1) {
                                r.gaps += 1;
                            }
                            last_partner_seq = Some(s);
                            if t >= win.start_us && t < win.end_us {
                                r.from_partner_window += 1;
                                r.delivery_us.push((now_us() - t) as u32);
                            }
                        }
                    }
                    "error" => {
                        r.errors += 1;
                        inflight = inflight.saturating_sub(1);
                        if r.first_error.is_none() {
                            r.first_error = Some(format!("{:?}: {}", f.code, text.as_str()));
                        }
                    }
                    _ => {}
                }
            }
            next = match ws.next().now_or_never() {
                Some(Some(m)) => Some(m?),
                Some(None) => bail!("socket closed by server"),
                None => None,
            };
        }
    }
    let _ = ws.close(None).await;
    Ok(r)
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let _ = t0();
    let http = reqwest::Client::new();
    let url = a.url.trim_end_matches('/').to_string();
    let users = accounts(&http, &url, &a.prefix, a.rooms * 2).await?;
    println!("{} accounts ready", users.len());
    let cats: Value = http
        .get(format!("{url}/api/v1/categories"))
        .send()
        .await?
        .json()
        .await?;
    let category = cats[0]["id"].as_i64().context("a category")?;
    let mut rooms = Vec::with_capacity(a.rooms);
    for r in 0..a.rooms {
        let (owner, inquirer) = (&users[2 * r], &users[2 * r + 1]);
        let item: Value = http
            .post(format!("{url}/api/v1/items"))
            .bearer_auth(&owner.token)
            .json(&json!({"section": "lend", "category_id": category, "title": format!("부하 테스트 물건 {r}"),
                "description": "채팅 부하 테스트용이에요.", "price": 1000, "price_unit": "day"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let room: Value = http
            .post(format!("{url}/api/v1/items/{}/chats", item["id"]))
            .bearer_auth(&inquirer.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        rooms.push(room["id"].as_i64().context("room id")?);
    }
    println!("{} rooms ready", rooms.len());

    let start_us = now_us() + 1_000_000 + a.warmup * 1_000_000; // sockets connect during the first second
    let win = Arc::new(Window {
        start_us,
        end_us: start_us + a.seconds * 1_000_000,
    });
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(tokio::sync::Barrier::new(a.rooms * 2));
    let mut tasks = Vec::new();
    let totals = Arc::new(Totals::default());
    totals
        .sending
        .store((a.rooms * 2) as u64, Ordering::Relaxed);
    for (r, room) in rooms.iter().enumerate() {
        for side in 0..2 {
            let me = &users[2 * r + side];
            let base = if side == 1 {
                a.url2.as_deref().unwrap_or(&url)
            } else {
                &url
            };
            tasks.push(tokio::spawn(socket(
                ws_request(base, &me.token)?,
                me.id,
                *room,
                a.inflight,
                (a.rooms as u64 * 2 * 1_000_000)
                    .checked_div(a.rate)
                    .unwrap_or(0),
                win.clone(),
                totals.clone(),
                stop.clone(),
                ready.clone(),
            )));
        }
    }
    // Let the sockets finish sending, then give acks and deliveries up to 10 s to drain.
    let end = t0() + Duration::from_micros(win.end_us);
    tokio::time::sleep_until(end.into()).await;
    let drain = Instant::now();
    loop {
        let (acked, partner, echo) = (
            totals.acked.load(Ordering::Relaxed),
            totals.partner.load(Ordering::Relaxed),
            totals.echo.load(Ordering::Relaxed),
        );
        if totals.sending.load(Ordering::Relaxed) == 0 && acked == partner && acked == echo {
            // A last moment for anything still in the pipes (would show up as a mismatch).
            tokio::time::sleep(Duration::from_millis(300)).await;
            break;
        }
        if drain.elapsed() > Duration::from_secs(10) {
            println!("drain timed out: acked {acked}, delivered to partner {partner}, echo {echo}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("drained in {:.2}s", drain.elapsed().as_secs_f64());
    stop.store(true, Ordering::Relaxed);
    let mut results = Vec::new();
    for t in tasks {
        results.push(
            tokio::time::timeout(Duration::from_secs(15), t)
                .await
                .context("socket task hung")???,
        );
    }
    let secs = a.seconds as f64;
    let mut delivery: Vec<u32> = Vec::new();
    let mut ack: Vec<u32> = Vec::new();
    let mut gaps = 0;
    let mut printed_errors = 0;
    let (mut acked, mut acked_w, mut partner, mut partner_w, mut echo, mut ooo, mut errors) =
        (0, 0, 0, 0, 0, 0, 0);
    let mut lost_rooms = 0;
    for (r, _) in rooms.iter().enumerate() {
        let (x, y) = (&results[2 * r], &results[2 * r + 1]);
        // Everything x had acknowledged reached y, and the echo reached x (and vice versa).
        if x.acked != y.from_partner
            || y.acked != x.from_partner
            || x.acked != x.echo
            || y.acked != y.echo
        {
            lost_rooms += 1;
            if lost_rooms <= 5 {
                println!(
                    "room {}: acked {}/{} delivered-to-partner {}/{} echo {}/{}",
                    rooms[r], x.acked, y.acked, y.from_partner, x.from_partner, x.echo, y.echo
                );
            }
        }
    }
    for mut s in results {
        acked += s.acked;
        acked_w += s.acked_window;
        partner += s.from_partner;
        partner_w += s.from_partner_window;
        echo += s.echo;
        ooo += s.out_of_order;
        gaps += s.gaps;
        errors += s.errors;
        delivery.append(&mut s.delivery_us);
        ack.append(&mut s.ack_us);
        if let Some(e) = s.first_error {
            printed_errors += 1;
            if printed_errors <= 3 {
                println!("error frame: {e}");
            }
        }
    }
    println!(
        "chat: {} rooms x 2 sockets{}, {}, inflight {}/socket, {}s measured after {}s warm-up",
        a.rooms,
        if a.url2.is_some() {
            " (inquirers on the second instance)"
        } else {
            ""
        },
        if a.rate > 0 {
            format!("open loop at {} msg/s offered", a.rate)
        } else {
            "closed loop (send on ack)".to_string()
        },
        a.inflight,
        a.seconds,
        a.warmup
    );
    println!(
        "stored+acked:          {:.0} msg/s (window), {} in total",
        acked_w as f64 / secs,
        acked
    );
    println!(
        "delivered to partner:  {:.0} msg/s (window), {} in total",
        partner_w as f64 / secs,
        partner
    );
    println!(
        "message frames (partner + sender's own socket): {:.0} frames/s",
        2.0 * partner_w as f64 / secs
    );
    println!(
        "{}",
        stats::summary("send->partner delivery", &mut delivery)
    );
    println!("{}", stats::summary("send->ack", &mut ack));
    println!(
        "loss check: acked {acked}, delivered to partner {partner}, echoed to sender {echo}, out of order {ooo}, error frames {errors} (sequence gaps seen by partners {gaps}; sockets with errors {printed_errors}), rooms with a mismatch {lost_rooms}"
    );
    println!(
        "RESULT chat rooms={} rate={} msgs_per_s={:.0} p50_ms={:.2} p99_ms={:.2} lost_rooms={lost_rooms} out_of_order={ooo} error_frames={errors}",
        a.rooms,
        a.rate,
        partner_w as f64 / secs,
        stats::pct_ms(&mut delivery, 50.0),
        stats::pct_ms(&mut delivery, 99.0)
    );
    if lost_rooms > 0 || ooo > 0 {
        bail!("messages lost or out of order");
    }
    Ok(())
}
