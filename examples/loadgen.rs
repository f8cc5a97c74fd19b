//! Load generators and benchmark helpers for egodaeyeo (see BENCHMARKS.md).
//!
//! ```sh
//! cargo run --release --example loadgen -- seed --data-dir /tmp/egd-bench --users 1000 --items 10000
//! cargo run --release --example loadgen -- explain --data-dir /tmp/egd-bench      # list SQL for EXPLAIN
//! cargo run --release --example loadgen -- chat --url http://127.0.0.1:8000 --rooms 50 --seconds 15
//! cargo run --release --example loadgen -- echo --bind 127.0.0.1:8099   # chat baseline (bench/chat_echo.sh)
//! cargo run --release --example loadgen -- idle --url http://127.0.0.1:8000 --sockets 2000 --pid PID
//! ```
#[path = "loadgen/chat.rs"]
mod chat;
#[path = "loadgen/echo.rs"]
mod echo;
#[path = "loadgen/explain.rs"]
mod explain;
#[path = "loadgen/idle.rs"]
mod idle;
#[path = "loadgen/seed.rs"]
mod seed;
#[path = "loadgen/stats.rs"]
mod stats;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "loadgen", about = "egodaeyeo load generators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill a fresh database with users, items, images and bookmarks around 서교동.
    Seed(seed::Args),
    /// Print the listing SQL (with literals inlined) of the benchmarked filter mixes.
    Explain(explain::Args),
    /// Chat throughput and latency: R rooms × 2 sockets sending as fast as acks allow.
    Chat(chat::Args),
    /// The trivial in-process chat echo `loadgen chat` is compared with (issue #16).
    Echo(echo::Args),
    /// Hold N idle authenticated sockets and report the server's memory per socket.
    Idle(idle::Args),
}

/// Where the database lives: the same rules as `egodaeyeo --data-dir/--database-url`.
#[derive(clap::Args, Clone, Debug)]
pub struct DbArgs {
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    pub fn config(&self) -> egodaeyeo::config::Config {
        let mut c = egodaeyeo::config::Config::for_data_dir(self.data_dir.clone());
        c.database_url = self.database_url.clone().filter(|u| !u.is_empty());
        c
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let threads = std::env::var("LOADGEN_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Seed(a) => seed::run(a).await,
            Command::Explain(a) => explain::run(a).await,
            Command::Chat(a) => chat::run(a).await,
            Command::Idle(a) => idle::run(a).await,
            Command::Echo(a) => echo::run(a).await,
        }
    })
}
