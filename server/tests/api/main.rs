//! Integration tests: the real server on an ephemeral port with a fresh database, driven over
//! real HTTP and WebSocket connections. Set `CONFAB_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432`) to run the same suite on a fresh PostgreSQL database per
//! test instead of SQLite.

mod helpers;

mod auth;
mod big_rooms;
mod blocking;
mod chat;
mod cluster;
mod conversations;
mod fanout;
mod files;
mod jwks;
mod limits;
mod mentions;
mod messaging;
mod moderation;
mod mute;
mod notifications;
mod openapi;
mod operations;
mod presence;
mod reactions;
mod receipts;
mod replies;
mod rest;
mod search;
mod server_api;
mod shutdown;
mod social;
mod socketio;
mod typing;
mod webhooks;
