//! Chat: one room per (item, inquirer), messages, read state.
pub mod api;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod writer;
