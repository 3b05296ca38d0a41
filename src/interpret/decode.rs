//! From a scanner's file to gray pages: PNG, JPEG, BMP, multi-page TIFF (8-bit gray, RGB, 1-bit
//! CCITT G4) and scanner PDFs (every page a sheet), with limits so that a hostile or broken file
//! gets a clear reason instead of exhausting memory.

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
    if bytes.starts_with(b"%PDF-") {
        return decode_pdf(bytes);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return decode_tiff(bytes);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(Reason::ReadFailed, e.to_string()))?;
    if reader.format().is_none() {
        return Err(bad(
            Reason::NotAnImage,
            "not a PNG, JPEG, TIFF or BMP file".into(),
        ));
    }
    if reader.format() == Some(image::ImageFormat::Jpeg) {
        // The JPEG decoder pads a cut-off file with gray; a half-transferred scan must not be
        // read as a sheet with its lower rows blank.
        if !jpeg_is_complete(bytes) {
            return Err(bad(
                Reason::NotAnImage,
                "the JPEG file is truncated (no end-of-image marker after the image data)".into(),
            ));
        }
        if let Some(page) = jpeg_luma(bytes)? {
            return Ok(vec![page]);
        }
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
        e => bad(
            Reason::NotAnImage,
            format!("the image cannot be decoded: {e}"),
        ),
    })?;
    Ok(vec![img.to_luma8()])
}

/// A JPEG decoded straight to grey: the decoder skips chroma upsampling and colour conversion,
/// about half the work of a colour scan. `None` when this decoder cannot take the file (the
/// general path then decodes it, or says why not).
fn jpeg_luma(bytes: &[u8]) -> Result<Option<GrayImage>, DecodeFailure> {
    use zune_core::bytestream::ZCursor;
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    let opts = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(u16::MAX as usize)
        .set_max_height(u16::MAX as usize);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), opts);
    if d.decode_headers().is_err() {
        return Ok(None);
    }
    let Some(info) = d.info() else {
        return Ok(None);
    };
    let (w, h) = (info.width as u32, info.height as u32);
    if w > MAX_SIDE_PX || h > MAX_SIDE_PX {
        return Err(DecodeFailure {
            reason: Reason::ImageTooLarge,
            detail: format!("the image is {w}×{h} pixels (at most {MAX_SIDE_PX} a side)"),
        });
    }
    if d.output_colorspace() != Some(ColorSpace::Luma) {
        return Ok(None);
    }
    match d.decode() {
        Ok(px) if px.len() == (w * h) as usize => Ok(GrayImage::from_raw(w, h, px)),
        _ => Ok(None),
    }
}

/// True when an end-of-image marker (FF D9) follows the last start-of-scan marker (FF DA). Inside
/// entropy-coded data every FF byte is stuffed with 00, so FF D9 there is always a real marker.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last = |m: u8| bytes.windows(2).rposition(|w| w[0] == 0xFF && w[1] == m);
    match (last(0xDA), last(0xD9)) {
        (Some(sos), Some(eoi)) => eoi > sos,
        _ => false,
    }
}

/// Whether a file's bytes end the way its format ends: a PNG's IEND chunk, a JPEG's end-of-image
/// marker, a BMP's declared size, a PDF's `%%EOF`. A file still being written by a scanner fails
/// this; formats without such an end (TIFF, anything unknown) pass.
pub fn looks_complete(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return false;
    }
    if bytes.starts_with(b"\x89PNG") {
        return bytes.len() >= 12 && &bytes[bytes.len() - 8..bytes.len() - 4] == b"IEND";
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        return jpeg_is_complete(bytes);
    }
    if bytes.starts_with(b"BM") && bytes.len() >= 6 {
        let declared = u32::from_le_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize;
        return bytes.len() >= declared;
    }
    if bytes.starts_with(b"%PDF-") {
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        return tail.windows(5).any(|w| w == b"%%EOF");
    }
    true
}

/// Whether a page was scanned in black and white (1 bit): no grey at all, not even at the edges
/// of printed letters (a grey scan, or a clean rendering, has anti-aliased edges). Such a scan
/// cannot keep a faint pencil mark, which the scan summary warns about.
pub fn is_bilevel(img: &GrayImage) -> bool {
    let raw = img.as_raw();
    let sampled = raw.len().div_ceil(7).max(1);
    // Stops at the first grey level too many: a scan in shades of grey is told in a few rows.
    let mut grey = 0;
    for &p in raw.iter().step_by(7) {
        if p != 0 && p != 255 {
            grey += 1;
            if grey * 2000 >= sampled {
                return false;
            }
        }
    }
    true
}

/// The most pages one file may hold.
pub const MAX_PAGES: usize = 1000;
/// Scanner PDFs are rendered at this resolution.
pub const PDF_DPI: f64 = 300.0;

fn decode_pdf(bytes: &[u8]) -> Result<Vec<GrayImage>, DecodeFailure> {
    let bad = |detail: String| DecodeFailure {
        reason: Reason::NotAnImage,
        detail,
    };
    let pdf = crate::raster::PrintedPdf::load(bytes.to_vec()).map_err(|e| bad(e.to_string()))?;
    let n = pdf.page_count();
    if n == 0 {
        return Err(bad("the PDF has no pages".into()));
    }
    if n > MAX_PAGES {
        return Err(DecodeFailure {
            reason: Reason::ImageTooLarge,
            detail: format!("the PDF has {n} pages (at most {MAX_PAGES})"),
        });
    }
    (0..n)
        .map(|i| {
            let (w_mm, h_mm) = pdf.page_size_mm(i).map_err(|e| bad(e.to_string()))?;
            let side_px = w_mm.max(h_mm) / 25.4 * PDF_DPI;
            if side_px > MAX_SIDE_PX as f64 {
                return Err(DecodeFailure {
                    reason: Reason::ImageTooLarge,
                    detail: format!(
                        "page {} is {w_mm:.0} × {h_mm:.0} mm, too large for a ballot",
                        i + 1
                    ),
                });
            }
            pdf.render(i, PDF_DPI)
                .map(|rgb| image::DynamicImage::ImageRgb8(rgb).to_luma8())
                .map_err(|e| bad(e.to_string()))
        })
        .collect()
}

fn decode_tiff(bytes: &[u8]) -> Result<Vec<GrayImage>, DecodeFailure> {
    use tiff::ColorType;
    use tiff::decoder::{Decoder, DecodingResult};
    let bad = |detail: String| DecodeFailure {
        reason: Reason::NotAnImage,
        detail,
    };
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("the TIFF cannot be read: {e}")))?;
    let mut pages = Vec::new();
    loop {
        let (w, h) = dec
            .dimensions()
            .map_err(|e| bad(format!("page {}: {e}", pages.len() + 1)))?;
        if w > MAX_SIDE_PX || h > MAX_SIDE_PX {
            return Err(DecodeFailure {
                reason: Reason::ImageTooLarge,
                detail: format!(
                    "page {} is {w}×{h} pixels (at most {MAX_SIDE_PX} a side)",
                    pages.len() + 1
                ),
            });
        }
        let ct = dec.colortype().map_err(|e| bad(e.to_string()))?;
        let data = dec
            .read_image()
            .map_err(|e| bad(format!("page {}: {e}", pages.len() + 1)))?;
        let (w, h) = (w as usize, h as usize);
        let gray: Vec<u8> = match (ct, data) {
            (ColorType::Gray(8), DecodingResult::U8(v)) => v,
            (ColorType::Gray(16), DecodingResult::U16(v)) => {
                v.iter().map(|&p| (p >> 8) as u8).collect()
            }
            (ColorType::Gray(1), DecodingResult::U8(v)) => {
                // Packed rows, most significant bit first; the decoder already maps WhiteIsZero
                // so that 1 is white.
                let stride = w.div_ceil(8);
                (0..h)
                    .flat_map(|y| {
                        let row = &v[y * stride..(y + 1) * stride];
                        (0..w).map(move |x| {
                            if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                                255
                            } else {
                                0
                            }
                        })
                    })
                    .collect()
            }
            (ColorType::RGB(8), DecodingResult::U8(v)) => v.chunks_exact(3).map(luma).collect(),
            (ColorType::RGBA(8), DecodingResult::U8(v)) => v.chunks_exact(4).map(luma).collect(),
            (ct, _) => {
                return Err(bad(format!(
                    "page {}: TIFF colour type {ct:?} is not supported",
                    pages.len() + 1
                )));
            }
        };
        if gray.len() < w * h {
            return Err(bad(format!(
                "page {}: the TIFF data is short",
                pages.len() + 1
            )));
        }
        pages.push(
            GrayImage::from_raw(w as u32, h as u32, gray[..w * h].to_vec()).expect("size checked"),
        );
        if !dec.more_images() {
            break;
        }
        if pages.len() >= MAX_PAGES {
            return Err(DecodeFailure {
                reason: Reason::ImageTooLarge,
                detail: format!("more than {MAX_PAGES} pages"),
            });
        }
        dec.next_image()
            .map_err(|e| bad(format!("page {}: {e}", pages.len() + 1)))?;
    }
    Ok(pages)
}

/// ITU-R BT.601 luma, as the image crate computes it.
fn luma(p: &[u8]) -> u8 {
    ((p[0] as u32 * 2126 + p[1] as u32 * 7152 + p[2] as u32 * 722) / 10_000) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_bytes() -> Vec<u8> {
        let img = GrayImage::from_fn(64, 48, |x, y| image::Luma([((x * 3 + y * 5) % 256) as u8]));
        let mut out = Vec::new();
        image::DynamicImage::ImageLuma8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
            .unwrap();
        out
    }

    #[test]
    fn a_whole_jpeg_decodes() {
        let pages = decode_pages(&jpeg_bytes()).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].dimensions(), (64, 48));
    }

    #[test]
    fn a_truncated_jpeg_is_refused() {
        let bytes = jpeg_bytes();
        let cut = &bytes[..bytes.len() * 2 / 3];
        let err = decode_pages(cut).unwrap_err();
        assert_eq!(err.reason, Reason::NotAnImage);
        assert!(err.detail.contains("truncated"), "{}", err.detail);
    }

    #[test]
    fn a_file_being_written_does_not_look_complete() {
        let jpeg = jpeg_bytes();
        assert!(looks_complete(&jpeg));
        assert!(!looks_complete(&jpeg[..jpeg.len() - 10]));
        let mut png = Vec::new();
        GrayImage::new(8, 8)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(looks_complete(&png));
        assert!(!looks_complete(&png[..png.len() - 1]));
        assert!(!looks_complete(b""));
    }

    #[test]
    fn black_and_white_pages_are_told_from_grey_ones() {
        let bw = GrayImage::from_fn(50, 50, |x, _| image::Luma([if x < 20 { 0 } else { 255 }]));
        assert!(is_bilevel(&bw));
        let grey = GrayImage::from_fn(50, 50, |x, y| image::Luma([((x + y) * 2) as u8]));
        assert!(!is_bilevel(&grey));
    }

    #[test]
    fn empty_and_foreign_bytes_are_not_images() {
        assert_eq!(decode_pages(b"").unwrap_err().reason, Reason::NotAnImage);
        let err = decode_pages(b"Minutes of the meeting, not a scan").unwrap_err();
        assert_eq!(err.reason, Reason::NotAnImage);
    }
}
