//! The tests' OpenID provider (Kakao-shaped) as a process, for the browser tests:
//!
//! ```sh
//! cargo run --example oidc_provider -- 127.0.0.1:0     # prints its issuer URL, then serves
//! ```
//! Clients use `egd-test-client` / `egd-test-secret` (see `tests/api/common/oidc.rs`).
#[path = "../tests/api/common/oidc.rs"]
mod oidc;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string());
    let provider = oidc::OidcProvider::start_on(&bind, Some(oidc::CLIENT_SECRET.to_string())).await;
    println!("{}", provider.issuer);
    let _ = tokio::signal::ctrl_c().await;
}
