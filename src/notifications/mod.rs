//! Notifications: stored, listed, marked read, pushed live.
pub mod api;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
