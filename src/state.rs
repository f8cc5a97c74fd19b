//! The application state every handler and service receives. It holds handles (database,
//! media, caches, the chat writer, realtime) and imports no service: services depend on it, and
//! `app.rs` builds it and assembles the router.
use std::ops::Deref;
use std::sync::Arc;

use crate::accounts::limiter::Throttle;
use crate::accounts::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::media::Media;
use crate::ops::Metrics;
use crate::realtime::Realtime;
use crate::regions::Regions;
use crate::{catalog, chat};

pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub regions: Regions,
    pub media: Media,
    pub tokens: TokenKeys,
    pub clock: Clock,
    pub throttle: Throttle,
    /// argon2 on its own threads with a bounded queue (see `accounts::hashing`).
    pub hashing: crate::blocking::BoundedPool,
    /// Configured OpenID sign-in providers (Kakao), with their cached discovery and keys.
    pub oidc: crate::accounts::oidc::Providers,
    pub metrics: Metrics,
    /// Serving, or draining before a shutdown (`/readyz`, new sockets, keep-alive).
    pub lifecycle: crate::ops::Lifecycle,
    pub realtime: Realtime,
    pub chat_writer: chat::writer::ChatWriter,
    pub views: catalog::views::ViewCounter,
    pub cache: catalog::cache::CatalogCache,
    /// Bumped by every state-changing request: what the micro-caches were made under.
    pub writes: crate::cache::Writes,
    /// Public profiles, cached like the catalog.
    pub profiles: crate::cache::MicroCache<i64, crate::accounts::model::PublicUser>,
    /// Per user, everyone in a block with them (either direction), cached like the catalog:
    /// listings and item pages read it on every signed-in request.
    pub blocks: crate::cache::MicroCache<i64, Arc<[i64]>>,
    /// Signed-in callers' account state, remembered for a moment (`accounts::access`).
    pub access: Arc<crate::accounts::access::AccessCache>,
    /// Base for absolute links (media URLs, Origin checks).
    pub public_url: String,
    /// Bookings and reviews for item pages and profiles, from rentals (`domain::ports`).
    pub rental_facts: Arc<dyn crate::domain::ports::RentalFacts>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
