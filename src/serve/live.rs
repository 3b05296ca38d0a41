//! Live figures: a task follows the record (so a `scan` in another terminal shows too) and the
//! watch folder's totals, brings the overview up to date when either moves, and every open
//! overview page gets it by server-sent events. With `--watch`, the folder is scanned by a
//! thread of this process through the ordinary `watch`.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use crate::api::{ApiError, Vote};
use crate::watch::WatchConfig;

use super::room::{Room, lock};

/// How often the chain's head is looked at.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// `GET /events`: the overview's figures now, then each time they change, until the server stops.
pub async fn events(
    State(room): State<Arc<Room>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Up to date before the first event (nobody may have been listening meanwhile).
    room.overview_now(false).await;
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

/// Keeps the open overview pages up to date until the server stops: twice a second, while any
/// page listens, the overview is brought up to date (computed again only if the record changed:
/// see [`Room::overview_now`]; the watch folder's totals are added each time).
pub async fn follow_changes(room: Arc<Room>) {
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        if room.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if room.overview.receiver_count() > 0 {
            room.refresh_overview().await;
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
