//! Accounts: users, passwords, tokens, profiles.
pub mod access;
pub mod api;
pub mod blocks;
pub mod hashing;
pub mod identities;
pub mod limiter;
pub mod model;
pub mod oidc;
pub mod pages;
pub mod service;
pub mod store;
pub mod tokens;
pub mod trust;

pub use model::{PrivateUser, PublicUser, Role};
