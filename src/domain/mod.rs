//! What the domains share and own, free of HTTP: the error type, the caller's identity, paging.
//! Handlers (`http`, `*/api.rs`, `web`) translate between these and requests/responses.
pub mod caller;
pub mod error;
pub mod page;
pub mod ports;
