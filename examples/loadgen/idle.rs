//! `loadgen idle`: holds N idle authenticated sockets and reports the server's resident memory
//! per socket (VmRSS of `--pid` before, at N/2 and at N sockets).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;

use crate::chat::{accounts, ws_request};
use crate::stats::rss_kib;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value_t = 2000)]
    pub sockets: usize,
    /// Accounts the sockets are spread over (one user may have several sockets).
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// The server's process id, for /proc/PID/status.
    #[arg(long)]
    pub pid: u32,
    /// Seconds to hold all sockets before the final reading.
    #[arg(long, default_value_t = 5)]
    pub hold: u64,
}

async fn open(
    url: &str,
    tokens: &[String],
    from: usize,
    to: usize,
    sem: &Arc<tokio::sync::Semaphore>,
    alive: &Arc<AtomicU64>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut connects = Vec::new();
    for i in from..to {
        let u = ws_request(url, &tokens[i % tokens.len()])?;
        let sem = sem.clone();
        connects.push(tokio::spawn(async move {
            let _p = sem.acquire().await.expect("semaphore");
            tokio_tungstenite::connect_async_with_config(u, None, true)
                .await
                .map(|(ws, _)| ws)
        }));
    }
    let mut holders = Vec::new();
    for c in connects {
        let mut ws = c.await?.context("connect")?;
        let alive = alive.clone();
        alive.fetch_add(1, Ordering::Relaxed);
        // Keep reading so pings are answered; an idle socket receives nothing else.
        holders.push(tokio::spawn(async move {
            while let Some(Ok(_)) = ws.next().await {}
            alive.fetch_sub(1, Ordering::Relaxed);
        }));
    }
    Ok(holders)
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = a.url.trim_end_matches('/').to_string();
    let users = accounts(&http, &url, "idle", a.users).await?;
    let tokens: Vec<String> = users.into_iter().map(|u| u.token).collect();
    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let alive = Arc::new(AtomicU64::new(0));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss0 = rss_kib(a.pid)?;
    let half = a.sockets / 2;
    let mut holders = open(&url, &tokens, 0, half, &sem, &alive).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss1 = rss_kib(a.pid)?;
    holders.extend(open(&url, &tokens, half, a.sockets, &sem, &alive).await?);
    tokio::time::sleep(Duration::from_secs(a.hold)).await;
    let rss2 = rss_kib(a.pid)?;
    let open_now = alive.load(Ordering::Relaxed);
    let n = a.sockets as f64;
    let per = (rss2 as f64 - rss0 as f64) / n;
    let marginal = (rss2 as f64 - rss1 as f64) / (a.sockets - half) as f64;
    println!(
        "idle sockets: {open_now} of {} open, over {} accounts",
        a.sockets,
        tokens.len()
    );
    println!(
        "server VmRSS: {rss0} KiB before, {rss1} KiB at {half}, {rss2} KiB at {}",
        a.sockets
    );
    println!(
        "per socket: {per:.2} KiB (all {}), {marginal:.2} KiB (second half only)",
        a.sockets
    );
    println!(
        "RESULT idle sockets={} kib_per_socket={per:.2} kib_per_socket_marginal={marginal:.2}",
        a.sockets
    );
    for h in holders {
        h.abort();
    }
    Ok(())
}
