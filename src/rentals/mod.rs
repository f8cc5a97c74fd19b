//! Rentals: requests, decisions, the calendar, returns, reviews, and the scheduler that moves
//! them on with time.
pub mod api;
pub mod lending;
pub mod model;
pub mod pages;
pub mod scheduler;
pub mod service;
pub mod store;
