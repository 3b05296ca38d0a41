//! The server's shared state: where the vote is, who is signed in, the cache of pictures, the
//! latest overview for the live page, the watch folder's progress and the last audit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::api::{ApiError, Vote};
use crate::store::Store;
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
    /// A decision takes effect only when a second member confirms it (`--two-person`).
    pub two_person: bool,
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
    /// A read-only connection kept open to see when the record changes (by this server or any
    /// other command): what is computed from the record is kept until then.
    probe: Mutex<Store>,
    /// The overview's figures; one computation at a time, the others wait for its result.
    figures: tokio::sync::Mutex<Figures>,
    /// `GET /api/tally`'s answer, with the record's change counter it was computed at.
    tally: Mutex<Option<(i64, Arc<String>)>>,
}

impl Room {
    /// The room of the vote at `dir` (opened once to check it and read its name), taking each
    /// decision from one member.
    pub fn new(dir: &Path) -> Result<Arc<Room>, ApiError> {
        Room::open(dir, false)
    }

    /// The room of the vote at `dir`; with `two_person`, a decision taken in the room is a
    /// proposal until a second, different member confirms it.
    pub fn open(dir: &Path, two_person: bool) -> Result<Arc<Room>, ApiError> {
        let vote = Vote::open(dir)?;
        let probe = Store::open_read_only(&Vote::db_path(dir))?;
        let version = probe.data_version().ok();
        let overview = Arc::new(super::json::overview_json(&vote)?);
        let (stop_tx, _) = watch::channel(false);
        Ok(Arc::new(Room {
            dir: dir.to_owned(),
            vote_id: vote.form.id.clone(),
            two_person,
            sessions: Mutex::new(Sessions::default()),
            throttle: Mutex::new(Throttle::default()),
            pictures: Mutex::new(PictureCache::default()),
            overview: watch::channel(overview.clone()).0,
            watching: Mutex::new(None),
            audit: Mutex::new(AuditState::default()),
            stopping: Arc::new(AtomicBool::new(false)),
            stop_tx,
            decided_here: Mutex::new(HashMap::new()),
            probe: Mutex::new(probe),
            figures: tokio::sync::Mutex::new(Figures {
                version,
                at: Some(Instant::now()),
                overview,
            }),
            tally: Mutex::new(None),
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

    /// The record's change counter as the probe sees it (none if it cannot be read: then
    /// nothing is taken from a cache).
    fn record_version(&self) -> Option<i64> {
        lock(&self.probe).data_version().ok()
    }

    /// Brings the overview up to date with the record now (after a change made here, or when
    /// the record is seen to move) and sends it to the open overview pages if it changed.
    pub async fn refresh_overview(self: &Arc<Self>) {
        self.overview_now(true).await;
    }

    /// The overview's figures as JSON (with the watch folder's totals). They are computed from
    /// the record once per change of it, not per request: a page or a poll is answered from the
    /// last computation while the record has not changed since. While it keeps changing (a
    /// scan running), figures computed less than half a second ago are served unless
    /// `now` asks for the record as it is.
    pub async fn overview_now(self: &Arc<Self>, now: bool) -> Arc<String> {
        let mut figures = self.figures.lock().await;
        let version = self.record_version();
        let changed = version.is_none() || figures.version != version;
        let young = figures.at.is_some_and(|t| t.elapsed() < FIGURES_FRESH_FOR);
        if changed && (now || !young) {
            match self.read(super::json::overview_json).await {
                Ok(json) => {
                    *figures = Figures {
                        version,
                        at: Some(Instant::now()),
                        overview: Arc::new(json),
                    };
                }
                // The last figures are shown meanwhile; the next request computes them again.
                Err(_) => figures.version = None,
            }
        }
        let mut json = figures.overview.clone();
        drop(figures);
        if let Some(w) = lock(&self.watching).clone() {
            json = Arc::new(super::json::with_watch(&json, &w));
        }
        self.overview.send_if_modified(|old| {
            if **old == *json {
                return false;
            }
            *old = json.clone();
            true
        });
        json
    }

    /// The tally as `tally --json` prints it, computed once per change of the record.
    pub async fn tally_json(self: &Arc<Self>) -> Result<Arc<String>, ApiError> {
        let version = self.record_version();
        if let Some((v, json)) = &*lock(&self.tally)
            && version == Some(*v)
        {
            return Ok(json.clone());
        }
        let json = Arc::new(
            self.read(|v| {
                let t = crate::api::tally(v)?;
                Ok(serde_json::to_string_pretty(&t).unwrap_or_default())
            })
            .await?,
        );
        if let Some(v) = version {
            *lock(&self.tally) = Some((v, json.clone()));
        }
        Ok(json)
    }
}

/// How long the overview's figures are served while the record keeps changing (a scan
/// committing sheet after sheet): the live page shows the count at most this late, and polling
/// clients cost the scan one computation per interval, not one each.
pub const FIGURES_FRESH_FOR: Duration = Duration::from_millis(500);

/// The overview as last computed, and the record's change counter then.
struct Figures {
    version: Option<i64>,
    at: Option<Instant>,
    overview: Arc<String>,
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
