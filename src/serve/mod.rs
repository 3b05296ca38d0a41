//! `kiemphieu serve`: the counting room in a browser. One process serves the committee's pages
//! (overview, review queue, sheets, results) and a small JSON API over the same library API as
//! the commands, so every decision goes through the same store, events and hash chain; with a
//! watch folder it also scans what the scanner drops.
//!
//! - [`auth`]: members' sessions, CSRF tokens, slowed sign-in; every route but `/health` needs it.
//! - [`pages`]: the HTML (maud, compiled in), in Vietnamese with an English switch ([`i18n`]).
//! - [`json`]: `/api/tally`, `/api/review`, `POST /api/review/{sheet}`.
//! - [`live`]: the overview's figures pushed by server-sent events; the watch folder's thread.
//! - [`pictures`]: sheet pictures and close-ups, rendered once and kept in a small cache.

mod assets;
mod auth;
mod i18n;
mod json;
mod live;
mod pages;
mod pictures;
mod room;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::api::{ApiError, Vote};
use crate::watch::WatchConfig;

pub use pictures::{Rendered, jpeg, render_sheet};
pub use room::Room;

/// What `kiemphieu serve` is asked.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub vote: PathBuf,
    /// `HOST:PORT`; port 0 takes a free one.
    pub listen: String,
    /// A folder to watch for scans while serving.
    pub watch: Option<PathBuf>,
    pub watch_config: WatchConfig,
    /// A decision taken in the room takes effect only when a second member confirms it.
    pub two_person: bool,
}

/// What the server tells its front end while it starts and stops.
#[derive(Debug, Clone)]
pub enum ServeEvent {
    /// Listening at this URL (the first thing said).
    Listening(String),
    /// Something the person starting it should know (a non-loopback address, no members).
    Warning { message: String, hint: String },
    /// The watch folder stopped with an error; the pages go on.
    WatchFailed(String),
    /// Ctrl-C: stopping.
    Stopping,
}

/// Builds the router over `room` (tests call it directly).
pub fn router(room: Arc<Room>) -> Router {
    let members_only = Router::new()
        .route("/", get(pages::overview::page))
        .route("/review", get(pages::review::queue))
        .route(
            "/review/{sheet}",
            get(pages::review::page).post(pages::review::decide),
        )
        .route("/sheets", get(pages::sheets::list))
        .route("/sheets/{sheet}", get(pages::sheets::record))
        .route("/results", get(pages::results::page))
        .route("/audit", post(pages::results::run_audit))
        .route("/minutes.pdf", get(pages::results::minutes))
        .route("/logout", post(auth::logout))
        .route("/pictures/{file}", get(pictures::picture))
        .route("/pictures/{sheet}/row/{file}", get(pictures::row))
        .route("/events", get(live::events))
        .route("/api/overview", get(json::overview))
        .route("/api/session", get(json::session))
        .route("/api/tally", get(json::tally))
        .route("/api/review", get(json::review_list))
        .route("/api/review/{sheet}", post(json::decide))
        .route_layer(axum::middleware::from_fn_with_state(
            room.clone(),
            auth::require_member,
        ));
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/lang", get(i18n::switch))
        .route("/assets/{file}", get(assets::asset))
        .merge(members_only)
        .fallback(not_found)
        .layer(axum::middleware::from_fn(assets::security_headers))
        .with_state(room)
}

async fn not_found() -> (axum::http::StatusCode, &'static str) {
    (axum::http::StatusCode::NOT_FOUND, "not found")
}

/// Runs the server until Ctrl-C; `on` hears where it listens and what it warns about.
pub fn serve(opts: ServeOptions, mut on: impl FnMut(ServeEvent)) -> Result<(), ApiError> {
    // Opened once where it can be written: an older vote folder is upgraded before serving.
    let vote = Vote::open(&opts.vote)?;
    let no_members = crate::api::members(&vote)?.is_empty();
    drop(vote);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ApiError::Refused {
            message: format!("cannot start the server: {e}"),
            hint: None,
        })?;
    runtime.block_on(async move {
        let listener = bind(&opts.listen).await?;
        let addr = listener.local_addr().map_err(|e| listen_error(&opts.listen, e))?;
        on(ServeEvent::Listening(format!("http://{addr}")));
        if !addr.ip().is_loopback() {
            on(ServeEvent::Warning {
                message: format!(
                    "listening on {addr}, which other machines can reach: pages and ballot pictures travel unencrypted"
                ),
                hint: "serve on 127.0.0.1 unless the room's network is the committee's own".into(),
            });
        }
        if no_members {
            on(ServeEvent::Warning {
                message: "no committee member can sign in yet".into(),
                hint: format!(
                    "add one: kiemphieu committee add {} --name \"NAME\"",
                    opts.vote.display()
                ),
            });
        }
        let room = Room::open(&opts.vote, opts.two_person)?;
        let watcher = opts
            .watch
            .as_ref()
            .map(|folder| live::start_watch(room.clone(), folder.clone(), opts.watch_config.clone()));
        let poller = tokio::spawn(live::follow_changes(room.clone()));
        let stop_room = room.clone();
        let shutdown = async move {
            let _ = tokio::signal::ctrl_c().await;
            stop_room.stop();
        };
        let served = axum::serve(listener, router(room.clone()))
            .with_graceful_shutdown(shutdown)
            .await;
        on(ServeEvent::Stopping);
        poller.abort();
        if let Some(w) = watcher
            && let Ok(Err(e)) = w.join()
        {
            on(ServeEvent::WatchFailed(e.to_string()));
        }
        served.map_err(|e| ApiError::Refused {
            message: format!("the server stopped: {e}"),
            hint: None,
        })
    })
}

async fn bind(listen: &str) -> Result<tokio::net::TcpListener, ApiError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(listen)
        .await
        .map_err(|e| listen_error(listen, e))?
        .collect();
    let mut last = None;
    for a in addrs {
        match tokio::net::TcpListener::bind(a).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(listen_error(
        listen,
        last.unwrap_or_else(|| std::io::Error::other("no address")),
    ))
}

fn listen_error(listen: &str, e: std::io::Error) -> ApiError {
    ApiError::refused(
        format!("cannot listen on {listen}: {e}"),
        "give --listen HOST:PORT, e.g. --listen 127.0.0.1:8081 when 8080 is taken",
    )
}
