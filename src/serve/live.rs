//! Live figures: a task follows the event chain's head (so a `scan` in another terminal shows
//! too) and the watch folder's totals, recomputes the overview when either moves, and every
//! open overview page gets it by server-sent events. With `--watch`, the folder is scanned by a
//! thread of this process through the ordinary `watch`.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use crate::api::{ApiError, Vote};
use crate::store::Store;
use crate::watch::WatchConfig;

use super::room::{Room, lock};

/// How often the chain's head is looked at.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// `GET /events`: the overview's figures now, then each time they change, until the server stops.
pub async fn events(
    State(room): State<Arc<Room>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = room.overview.subscribe();
    let stop = room.stopped();
    let stream =
        futures_util::stream::unfold((rx, stop, true), |(mut rx, mut stop, first)| async move {
            if !first {
                tokio::select! {
                    changed = rx.changed() => changed.ok()?,
                    _ = stop.wait_for(|s| *s) => return None,
                }
            }
            if *stop.borrow() {
                return None;
            }
            let data = rx.borrow_and_update().to_string();
            Some((
                Ok(Event::default().event("overview").data(data)),
                (rx, stop, false),
            ))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Follows the chain head and the watch totals until the server stops.
pub async fn follow_changes(room: Arc<Room>) {
    let db = Vote::db_path(&room.dir);
    let store = match Store::open_read_only(&db) {
        Ok(s) => Arc::new(Mutex::new(s)),
        Err(_) => return,
    };
    let mut last = None;
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        if room.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let s = store.clone();
        let head = tokio::task::spawn_blocking(move || lock(&s).chain_head().ok())
            .await
            .ok()
            .flatten();
        let watching = lock(&room.watching).clone();
        let now = (head, watching);
        if last.as_ref() != Some(&now) {
            room.refresh_overview().await;
            last = Some(now);
        }
    }
}

/// Scans what arrives in `folder` on a thread of its own until the server stops.
pub fn start_watch(
    room: Arc<Room>,
    folder: PathBuf,
    cfg: WatchConfig,
) -> std::thread::JoinHandle<Result<(), ApiError>> {
    std::thread::spawn(move || {
        let mut vote = Vote::open(&room.dir)?;
        *lock(&room.watching) = Some(Default::default());
        crate::api::watch(
            &mut vote,
            &folder,
            &cfg,
            &room.stopping,
            |_| {},
            |status| *lock(&room.watching) = Some(status.clone()),
        )?;
        Ok(())
    })
}
