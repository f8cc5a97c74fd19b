//! Integration tests: the real server on a random port, over real HTTP and WebSocket, on SQLite
//! (default) or PostgreSQL (`TEST_DATABASE_URL`).
mod common;

mod accounts;
mod blocks;
mod borrowing_rules;
mod catalog;
mod chat;
mod identities;
mod isolation;
mod item_pages;
mod keywords;
mod lending;
mod listing_index;
mod migrations;
mod moderation;
mod notification_settings;
mod openapi;
mod ops;
mod outage;
mod realtime;
mod region_verification;
mod rental_records;
mod rentals;
mod search_index;
mod security;
mod trust;
mod uploads;
mod user_reports;
