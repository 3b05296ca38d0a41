//! The server's shared state: where the vote is, who is signed in, the cache of pictures, the
//! latest overview for the live page, the watch folder's progress and the last audit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::api::{ApiError, Vote};
use crate::watch::WatchStatus;

use super::auth::{Sessions, Throttle};
use super::pictures::PictureCache;

/// The last audit run from the results page.
#[derive(Debug, Clone, Default)]
pub struct AuditState {
    pub running: bool,
    /// When it ended, by whom it was asked, and its outcome (differences, notes) or error.
    pub last: Option<AuditDone>,
}

#[derive(Debug, Clone)]
pub struct AuditDone {
    pub at: String,
    pub by: String,
    pub result: Result<(usize, usize, Vec<String>), String>,
}

/// Everything the handlers share.
pub struct Room {
    pub dir: PathBuf,
    pub vote_id: String,
    pub sessions: Mutex<Sessions>,
    pub throttle: Mutex<Throttle>,
    pub pictures: Mutex<PictureCache>,
    /// The overview's figures as JSON, sent to every open overview page when they change.
    pub overview: watch::Sender<Arc<String>>,
    /// The watch folder's running totals (none when not watching).
    pub watching: Mutex<Option<WatchStatus>>,
    pub audit: Mutex<AuditState>,
    /// Set when the server stops (Ctrl-C): long-lived streams end, the watch folder stops.
    pub stopping: Arc<AtomicBool>,
    stop_tx: watch::Sender<bool>,
    /// Sheets decided through the pages since start, per member (shown on the overview).
    pub decided_here: Mutex<HashMap<String, usize>>,
}

impl Room {
    /// The room of the vote at `dir` (opened once to check it and read its name).
    pub fn new(dir: &Path) -> Result<Arc<Room>, ApiError> {
        let vote = Vote::open(dir)?;
        let overview = super::json::overview_json(&vote)?;
        let (stop_tx, _) = watch::channel(false);
        Ok(Arc::new(Room {
            dir: dir.to_owned(),
            vote_id: vote.form.id.clone(),
            sessions: Mutex::new(Sessions::default()),
            throttle: Mutex::new(Throttle::default()),
            pictures: Mutex::new(PictureCache::default()),
            overview: watch::channel(Arc::new(overview)).0,
            watching: Mutex::new(None),
            audit: Mutex::new(AuditState::default()),
            stopping: Arc::new(AtomicBool::new(false)),
            stop_tx,
            decided_here: Mutex::new(HashMap::new()),
        }))
    }

    /// Tells everything long-lived to stop.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.stop_tx.send(true);
    }

    /// Resolves when the server stops.
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.stop_tx.subscribe()
    }

    /// Runs `f` on the vote opened for reading (one snapshot), off the async threads.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Vote) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let dir = self.dir.clone();
        blocking(move || f(&Vote::open_read_only(&dir)?)).await
    }

    /// Runs `f` on the vote opened for writing, off the async threads; the live overview is
    /// brought up to date afterwards.
    pub async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Vote) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let dir = self.dir.clone();
        let out = blocking(move || f(&mut Vote::open(&dir)?)).await;
        if out.is_ok() {
            self.refresh_overview().await;
        }
        out
    }

    /// Recomputes the overview and sends it if it changed.
    pub async fn refresh_overview(self: &Arc<Self>) {
        let watching = lock(&self.watching).clone();
        let decided = self.read(super::json::overview_json).await;
        if let Ok(mut json) = decided {
            if let Some(w) = watching {
                json = super::json::with_watch(&json, &w);
            }
            self.overview.send_if_modified(|old| {
                if **old == json {
                    return false;
                }
                *old = Arc::new(json);
                true
            });
        }
    }
}

/// A mutex's guard, also after a panic elsewhere (the state stays usable).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs blocking work (SQLite, decoding) on tokio's blocking threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(ApiError::Refused {
            message: format!("the request failed: {e}"),
            hint: None,
        })
    })
}
