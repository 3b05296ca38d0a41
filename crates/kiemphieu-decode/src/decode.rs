//! From a scanner's file to gray pages: PNG, JPEG, BMP, multi-page TIFF (8-bit gray, RGB, 1-bit
//! CCITT G4) and scanner PDFs (every page a sheet), with limits so that a hostile or broken file
//! gets a clear reason instead of exhausting memory.
//!
//! Files are decoded page by page ([`decode_each`]): a page that cannot be decoded is an error for
//! that page alone, and the pages around it are still read. Every page's size is checked from its
//! header (a PDF page: the size it renders to at 300 dpi, and every image drawn on it) before any
//! pixel is allocated, and every page holds a share of one memory budget for the whole process
//! ([`MEMORY_BUDGET`]) while it is decoded and read, whatever the thread count.

mod pdf;

use std::io::Cursor;
use std::sync::{Condvar, Mutex};

use image::{GrayImage, ImageReader, Limits};

use crate::record::Reason;

/// The largest side, in pixels, that a scanned page may have (A4 at 1200 dpi is 14,032).
pub const MAX_SIDE_PX: u32 = 15_000;
/// The most pixels one page may have: a Legal-size scan at 600 dpi (5,100 × 8,400) with room to
/// spare. An A4 ballot at 600 dpi is 34.8 million.
pub const MAX_PAGE_PIXELS: u64 = 48_000_000;
/// The largest file read: about 250 sheets in a 300-dpi JPEG PDF, or 25 pages of uncompressed
/// 300-dpi TIFF. A ballot box is scanned in many files; the bytes of a file are held until its
/// pages are committed.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// The bytes of decoded pixels that all threads together may hold at once.
pub const MEMORY_BUDGET: u64 = 160 << 20;

/// Why a file (or one page of it) yields no image.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeFailure {
    pub reason: Reason,
    pub detail: String,
}

fn fail(reason: Reason, detail: impl Into<String>) -> DecodeFailure {
    DecodeFailure {
        reason,
        detail: detail.into(),
    }
}

/// The memory budget: bytes of pixels reserved by the pages being decoded and read.
struct Budget {
    used: Mutex<u64>,
    freed: Condvar,
}

static BUDGET: Budget = Budget {
    used: Mutex::new(0),
    freed: Condvar::new(),
};

thread_local! {
    /// Whether this thread holds a share already: a second one (a nested task stolen by a
    /// waiting thread) is granted at once, so that a thread never waits for itself.
    static HOLDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A share of the memory budget, given back when dropped.
pub struct Permit {
    bytes: u64,
    outer: bool,
}

impl Permit {
    /// Waits until `bytes` fit in the budget beside the shares already out. A request larger
    /// than the whole budget waits until it is alone.
    pub fn acquire(bytes: u64) -> Permit {
        let bytes = bytes.min(MEMORY_BUDGET);
        let nested = HOLDING.with(|h| h.get());
        let mut used = BUDGET.used.lock().unwrap_or_else(|p| p.into_inner());
        if !nested {
            while *used > 0 && *used + bytes > MEMORY_BUDGET {
                used = BUDGET.freed.wait(used).unwrap_or_else(|p| p.into_inner());
            }
        }
        *used += bytes;
        HOLDING.with(|h| h.set(true));
        Permit {
            bytes,
            outer: !nested,
        }
    }

    /// The bytes of the budget in use now (for tests and benches).
    pub fn in_use() -> u64 {
        *BUDGET.used.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut used = BUDGET.used.lock().unwrap_or_else(|p| p.into_inner());
        *used = used.saturating_sub(self.bytes);
        if self.outer {
            HOLDING.with(|h| h.set(false));
        }
        BUDGET.freed.notify_all();
    }
}

/// One decoded page, with its share of the memory budget: drop both once the page is read.
pub struct DecodedPage {
    pub image: GrayImage,
    pub permit: Permit,
}

/// Checks a page's size before anything is allocated for it.
fn check_size(page: u32, w: u64, h: u64) -> Result<(), DecodeFailure> {
    if w == 0 || h == 0 {
        return Err(fail(
            Reason::NotAnImage,
            format!("page {page}: the image is {w}×{h} pixels"),
        ));
    }
    if w > MAX_SIDE_PX as u64 || h > MAX_SIDE_PX as u64 {
        return Err(fail(
            Reason::ImageTooLarge,
            format!("page {page} is {w}×{h} pixels (at most {MAX_SIDE_PX} a side)"),
        ));
    }
    if w * h > MAX_PAGE_PIXELS {
        return Err(fail(
            Reason::ImageTooLarge,
            format!(
                "page {page} is {w}×{h} pixels, {:.0} million (at most {} million a page)",
                (w * h) as f64 / 1e6,
                MAX_PAGE_PIXELS / 1_000_000
            ),
        ));
    }
    Ok(())
}

/// Decodes every page of an image file to gray, one page at a time: `on_page` gets each page's
/// number (from 1) and its image, or why that page cannot be read, and the next page is decoded
/// only after it returns. `Err` when the file as a whole is not an image (nothing was passed on).
pub fn decode_each(
    bytes: &[u8],
    mut on_page: impl FnMut(u32, Result<DecodedPage, DecodeFailure>),
) -> Result<(), DecodeFailure> {
    if bytes.is_empty() {
        return Err(fail(Reason::NotAnImage, "the file is empty"));
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(
            Reason::ImageTooLarge,
            format!(
                "the file is {} MB (at most {} MB)",
                bytes.len() >> 20,
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    if bytes.starts_with(b"%PDF-") {
        return pdf::decode_pdf(bytes, &mut on_page);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return decode_tiff(bytes, &mut on_page);
    }
    let page = decode_single(bytes)?;
    on_page(1, Ok(page));
    Ok(())
}

/// Decodes every page of an image file to gray, all at once: for a caller that wants every page
/// (one ballot to show, a sample to print). The first page that cannot be read fails the file.
pub fn decode_pages(bytes: &[u8]) -> Result<Vec<GrayImage>, DecodeFailure> {
    let mut pages = Vec::new();
    let mut first_failure = None;
    decode_each(bytes, |_, page| match page {
        Ok(p) => pages.push(p.image),
        Err(e) => {
            first_failure.get_or_insert(e);
        }
    })?;
    match first_failure {
        Some(e) => Err(e),
        None => Ok(pages),
    }
}

fn decode_single(bytes: &[u8]) -> Result<DecodedPage, DecodeFailure> {
    let bad = |reason, detail: String| DecodeFailure { reason, detail };
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(Reason::ReadFailed, e.to_string()))?;
    let Some(format) = reader.format() else {
        return Err(bad(
            Reason::NotAnImage,
            "not a PNG, JPEG, TIFF or BMP file".into(),
        ));
    };
    if format == image::ImageFormat::Jpeg {
        // The JPEG decoder pads a cut-off file with gray; a half-transferred scan must not be
        // read as a sheet with its lower rows blank.
        if !jpeg_is_complete(bytes) {
            return Err(bad(
                Reason::NotAnImage,
                "the JPEG file is truncated (no end-of-image marker after the image data)".into(),
            ));
        }
        if let Some(page) = jpeg_luma(bytes)? {
            return Ok(page);
        }
    }
    // The size the header claims, checked before the decoder is even asked (it may fail on a
    // file that holds nothing but a header).
    if let Some((w, h)) = header_size(bytes) {
        check_size(1, w, h)?;
    }
    // The header's size and colour type, read before any pixel is.
    let (w, h, channels) = {
        let decoder = ImageReader::with_format(Cursor::new(bytes), format)
            .into_decoder()
            .map_err(|e| match e {
                image::ImageError::Limits(l) => bad(
                    Reason::ImageTooLarge,
                    format!("the image is too large to decode ({l})"),
                ),
                e => bad(
                    Reason::NotAnImage,
                    format!("the image cannot be decoded: {e}"),
                ),
            })?;
        let (w, h) = image::ImageDecoder::dimensions(&decoder);
        let bytes_pp = image::ImageDecoder::color_type(&decoder).bytes_per_pixel() as u64;
        (w as u64, h as u64, bytes_pp)
    };
    check_size(1, w, h)?;
    // The decoded image in its own colour type, then its gray copy.
    let permit = Permit::acquire(w * h * (channels + 1));
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(MAX_PAGE_PIXELS * 8);
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
    let image = match img {
        image::DynamicImage::ImageLuma8(g) => g,
        other => other.to_luma8(),
    };
    Ok(DecodedPage { image, permit })
}

/// The size a PNG or BMP header claims, read from its fixed place.
fn header_size(bytes: &[u8]) -> Option<(u64, u64)> {
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes")) as u64;
    let le = |i: usize| i32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        return Some((be(16), be(20)));
    }
    if bytes.starts_with(b"BM") && bytes.len() >= 26 {
        if le(14) == 12 {
            // The old OS/2 header: 16-bit sizes.
            let w = u16::from_le_bytes([bytes[18], bytes[19]]) as u64;
            let h = u16::from_le_bytes([bytes[20], bytes[21]]) as u64;
            return Some((w, h));
        }
        return Some((le(18).unsigned_abs() as u64, le(22).unsigned_abs() as u64));
    }
    None
}

/// A JPEG decoded straight to grey: the decoder skips chroma upsampling and colour conversion,
/// about half the work of a colour scan. `None` when this decoder cannot take the file (the
/// general path then decodes it, or says why not).
fn jpeg_luma(bytes: &[u8]) -> Result<Option<DecodedPage>, DecodeFailure> {
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
    check_size(1, w as u64, h as u64)?;
    if d.output_colorspace() != Some(ColorSpace::Luma) {
        return Ok(None);
    }
    // The gray output, and the decoder's own rows and component planes.
    let permit = Permit::acquire(w as u64 * h as u64 * 2);
    match d.decode() {
        Ok(px) if px.len() == (w * h) as usize => {
            Ok(GrayImage::from_raw(w, h, px).map(|image| DecodedPage { image, permit }))
        }
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

/// Whether a file's format has no mark of its end, so that a file still being written (a TIFF
/// that a scanner extends page by page) looks whole at every size.
pub fn has_no_end_marker(bytes: &[u8]) -> bool {
    bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*")
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
type OnPage<'f> = dyn FnMut(u32, Result<DecodedPage, DecodeFailure>) + 'f;

fn decode_tiff(bytes: &[u8], on_page: &mut OnPage) -> Result<(), DecodeFailure> {
    use tiff::ColorType;
    use tiff::decoder::{Decoder, DecodingResult};
    let bad = |detail: String| fail(Reason::NotAnImage, detail);
    let mut limits = tiff::decoder::Limits::default();
    limits.decoding_buffer_size = (MAX_PAGE_PIXELS * 4) as usize;
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("the TIFF cannot be read: {e}")))?
        .with_limits(limits);
    let mut number: u32 = 1;
    loop {
        let page = (|| -> Result<DecodedPage, DecodeFailure> {
            let (w, h) = dec
                .dimensions()
                .map_err(|e| bad(format!("page {number}: {e}")))?;
            check_size(number, w as u64, h as u64)?;
            let ct = dec
                .colortype()
                .map_err(|e| bad(format!("page {number}: {e}")))?;
            let bytes_pp: u64 = match ct {
                ColorType::Gray(1) => 1,
                ColorType::Gray(8) => 1,
                ColorType::Gray(16) => 2,
                ColorType::RGB(8) => 3,
                ColorType::RGBA(8) => 4,
                ct => {
                    return Err(bad(format!(
                        "page {number}: TIFF colour type {ct:?} is not supported"
                    )));
                }
            };
            let permit = Permit::acquire(w as u64 * h as u64 * (bytes_pp + 1));
            let data = dec.read_image().map_err(|e| {
                fail(
                    Reason::ReadFailed,
                    format!("page {number} cannot be decoded: {e}"),
                )
            })?;
            let (w, h) = (w as usize, h as usize);
            let gray: Vec<u8> = match (ct, data) {
                (ColorType::Gray(8), DecodingResult::U8(v)) => v,
                (ColorType::Gray(16), DecodingResult::U16(v)) => {
                    v.iter().map(|&p| (p >> 8) as u8).collect()
                }
                (ColorType::Gray(1), DecodingResult::U8(v)) => {
                    // Packed rows, most significant bit first; the decoder already maps
                    // WhiteIsZero so that 1 is white.
                    let stride = w.div_ceil(8);
                    if v.len() < stride * h {
                        return Err(fail(
                            Reason::ReadFailed,
                            format!("page {number}: the TIFF data is short"),
                        ));
                    }
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
                (ColorType::RGBA(8), DecodingResult::U8(v)) => {
                    v.chunks_exact(4).map(luma).collect()
                }
                (ct, _) => {
                    return Err(bad(format!(
                        "page {number}: TIFF colour type {ct:?} is not supported"
                    )));
                }
            };
            if gray.len() < w * h {
                return Err(fail(
                    Reason::ReadFailed,
                    format!("page {number}: the TIFF data is short"),
                ));
            }
            let mut gray = gray;
            gray.truncate(w * h);
            let image = GrayImage::from_raw(w as u32, h as u32, gray).expect("size checked");
            Ok(DecodedPage { image, permit })
        })();
        on_page(number, page);
        if !dec.more_images() {
            break;
        }
        if number as usize >= MAX_PAGES {
            on_page(
                number + 1,
                Err(fail(
                    Reason::ImageTooLarge,
                    format!("the TIFF has more than {MAX_PAGES} pages; the rest are not read"),
                )),
            );
            break;
        }
        number += 1;
        if let Err(e) = dec.next_image() {
            // The chain of pages is broken here: what follows cannot be found.
            on_page(
                number,
                Err(fail(
                    Reason::ReadFailed,
                    format!("page {number} cannot be found: {e}"),
                )),
            );
            break;
        }
    }
    Ok(())
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
    fn the_memory_budget_holds_for_all_threads_together() {
        // Eight threads each ask for 60% of the budget: they take turns, never more at once.
        let share = MEMORY_BUDGET * 6 / 10;
        let peak = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let p = Permit::acquire(share);
                    peak.fetch_max(Permit::in_use(), std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    drop(p);
                });
            }
        });
        let peak = peak.into_inner();
        assert!(peak >= share, "{peak}");
        assert!(peak <= MEMORY_BUDGET, "{peak} > {MEMORY_BUDGET}");
    }

    #[test]
    fn a_page_larger_than_the_budget_waits_until_it_is_alone() {
        let p = Permit::acquire(MEMORY_BUDGET * 3);
        assert!(Permit::in_use() <= MEMORY_BUDGET);
        drop(p);
    }

    #[test]
    fn a_header_claiming_too_many_pixels_is_refused_before_decoding() {
        let err = check_size(2, 14_000, 14_000).unwrap_err();
        assert_eq!(err.reason, Reason::ImageTooLarge);
        assert!(err.detail.contains("page 2"), "{}", err.detail);
        assert!(check_size(1, 2480, 3508).is_ok());
    }

    #[test]
    fn empty_and_foreign_bytes_are_not_images() {
        assert_eq!(decode_pages(b"").unwrap_err().reason, Reason::NotAnImage);
        let err = decode_pages(b"Minutes of the meeting, not a scan").unwrap_err();
        assert_eq!(err.reason, Reason::NotAnImage);
    }
}
