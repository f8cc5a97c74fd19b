//! Moderation: reports, feedback, and the admin routes.
pub mod api;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
