//! Catalog: categories, items, photos, bookmarks and search.
pub mod api;
pub mod cache;
pub mod index;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod views;
