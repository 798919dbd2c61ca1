//! The API as a client sees it: real HTTP against the real app and a real
//! database (SQLite by default, PostgreSQL with TEST_DATABASE_URL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod agreement;
mod anniversaries;
mod audit;
mod cache;
mod changes;
mod cities;
mod errors;
mod events;
mod exports;
mod guarantees;
mod health;
mod helpers;
mod hostile;
mod http;
mod imports;
mod limits;
mod load;
mod maps;
mod migrations;
mod openapi;
mod process;
mod search;
mod seed;
mod stored;
mod stream;
mod transfer;
mod twinnings;
mod uploads;
mod web;
mod webhooks;
