//! Sheet pictures for the pages: the upright page (JPEG) and the magnified boxes of each row in
//! question (PNG). A sheet's archived image never changes, so each is rendered once (one decoding
//! of the scan) and kept in a small cache; the review page asks for the next sheet's ahead.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;

use super::room::{Room, lock};

/// Sheets kept rendered (about 150 KB each).
const CACHE_SHEETS: usize = 48;
const JPEG_QUALITY: u8 = 85;

/// One sheet's pictures, encoded.
pub struct Rendered {
    pub picture: Vec<u8>,
    /// (subject, PNG of its three boxes, their recorded scores)
    pub rows: Vec<(usize, Vec<u8>, [f64; 3])>,
}

/// The pictures rendered, the most recently used first, and the sheets whose pictures are being
/// rendered (a second request for one waits for that rendering instead of starting its own).
#[derive(Default)]
pub struct PictureCache {
    done: VecDeque<(i64, Arc<Rendered>)>,
    rendering: HashMap<i64, Arc<tokio::sync::Mutex<()>>>,
}

impl PictureCache {
    fn get(&mut self, id: i64) -> Option<Arc<Rendered>> {
        let i = self.done.iter().position(|(k, _)| *k == id)?;
        let hit = self.done.remove(i)?;
        self.done.push_front(hit.clone());
        Some(hit.1)
    }

    fn put(&mut self, id: i64, r: Arc<Rendered>) {
        self.done.retain(|(k, _)| *k != id);
        self.done.push_front((id, r));
        self.done.truncate(CACHE_SHEETS);
    }
}

/// The sheet's pictures, from the cache or rendered now (once, however many ask at the same
/// time).
pub async fn rendered(room: &Arc<Room>, id: i64) -> Result<Arc<Rendered>, ApiError> {
    if let Some(hit) = lock(&room.pictures).get(id) {
        return Ok(hit);
    }
    let gate = lock(&room.pictures)
        .rendering
        .entry(id)
        .or_default()
        .clone();
    let _turn = gate.lock().await;
    // Rendered by the request this one waited for?
    if let Some(hit) = lock(&room.pictures).get(id) {
        return Ok(hit);
    }
    let r = room.read(move |vote| render_sheet(vote, id)).await;
    let mut cache = lock(&room.pictures);
    cache.rendering.remove(&id);
    let r = Arc::new(r?);
    cache.put(id, r.clone());
    Ok(r)
}

/// Renders a sheet in the background so that it is ready when the member moves on to it.
pub fn prefetch(room: &Arc<Room>, id: i64) {
    {
        let mut cache = lock(&room.pictures);
        if cache.rendering.contains_key(&id) || cache.get(id).is_some() {
            return;
        }
    }
    let room = room.clone();
    tokio::spawn(async move {
        let _ = rendered(&room, id).await;
    });
}

/// The page's picture as the room sends it: JPEG.
pub fn jpeg(picture: &image::RgbImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(picture)?;
    Ok(out)
}

/// Renders a sheet's pictures from its archived scan, as a first request for them does.
pub fn render_sheet(vote: &crate::api::Vote, id: i64) -> Result<Rendered, ApiError> {
    let images = crate::api::sheet_images(vote, id)?;
    let encode_failed = |e: image::ImageError| ApiError::Refused {
        message: format!("cannot encode the picture of sheet {id}: {e}"),
        hint: None,
    };
    let picture = jpeg(&images.picture).map_err(encode_failed)?;
    let mut rows = Vec::new();
    for c in images.closeups {
        let mut png = std::io::Cursor::new(Vec::new());
        c.picture
            .write_to(&mut png, image::ImageFormat::Png)
            .map_err(encode_failed)?;
        rows.push((c.subject, png.into_inner(), c.scores));
    }
    Ok(Rendered { picture, rows })
}

/// `GET /pictures/{id}.jpg`
pub async fn picture(State(room): State<Arc<Room>>, Path(file): Path<String>) -> Response {
    let Some(id) = file.strip_suffix(".jpg").and_then(|s| s.parse().ok()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    match rendered(&room, id).await {
        Ok(r) => ([(header::CONTENT_TYPE, "image/jpeg")], r.picture.clone()).into_response(),
        Err(e) => super::json::api_error(&e),
    }
}

/// `GET /pictures/{id}/row/{subject}.png`
pub async fn row(State(room): State<Arc<Room>>, Path((id, file)): Path<(i64, String)>) -> Response {
    let Some(subject) = file
        .strip_suffix(".png")
        .and_then(|s| s.parse::<usize>().ok())
    else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    match rendered(&room, id).await {
        Ok(r) => match r.rows.iter().find(|(s, ..)| *s == subject) {
            Some((_, png, _)) => {
                ([(header::CONTENT_TYPE, "image/png")], png.clone()).into_response()
            }
            None => (
                StatusCode::NOT_FOUND,
                "that row is not in question on this sheet",
            )
                .into_response(),
        },
        Err(e) => super::json::api_error(&e),
    }
}
