//! Files that are not ballots, or not readable ones: what else lands in a scanner's folder.

use ab_glyph::PxScale;
use image::{Rgb, RgbImage};
use imageproc::drawing::draw_text_mut;

use super::rng::SimRng;
use crate::font::BallotFont;
use crate::record::{Outcome, Reason};

/// The kinds of bad input, with what the scanner must make of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadInput {
    /// A zero-byte file (a scan that never finished): error, `not_an_image`.
    Empty,
    /// A JPEG cut off in the middle of its image data: error, `not_an_image`.
    Truncated,
    /// A text file with a `.png` name: error, `not_an_image`.
    TextAsPng,
    /// A PNG whose header claims 100000×100000 pixels: error, `image_too_large`.
    GiantHeader,
    /// A blank sheet (the back side a duplex scan writes): `blank`.
    Blank,
    /// A page of some other document: review, `registration_failed`.
    OtherDocument,
    /// A ballot printed at half size on an A4 page: review, `registration_failed`.
    HalfScale,
}

impl BadInput {
    pub const ALL: [BadInput; 7] = [
        BadInput::Empty,
        BadInput::Truncated,
        BadInput::TextAsPng,
        BadInput::GiantHeader,
        BadInput::Blank,
        BadInput::OtherDocument,
        BadInput::HalfScale,
    ];

    pub fn expect(self) -> (Outcome, Option<Reason>) {
        match self {
            BadInput::Empty | BadInput::Truncated | BadInput::TextAsPng => {
                (Outcome::Error, Some(Reason::NotAnImage))
            }
            BadInput::GiantHeader => (Outcome::Error, Some(Reason::ImageTooLarge)),
            BadInput::Blank => (Outcome::Blank, None),
            BadInput::OtherDocument | BadInput::HalfScale => {
                (Outcome::Review, Some(Reason::RegistrationFailed))
            }
        }
    }

    /// The file's extension when it is not a scan (scans take their format's).
    pub fn fixed_ext(self) -> Option<&'static str> {
        match self {
            BadInput::Empty | BadInput::Truncated => Some("jpg"),
            BadInput::TextAsPng | BadInput::GiantHeader => Some("png"),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BadInput::Empty => "empty_file",
            BadInput::Truncated => "truncated_jpeg",
            BadInput::TextAsPng => "text_named_png",
            BadInput::GiantHeader => "giant_png_header",
            BadInput::Blank => "blank_page",
            BadInput::OtherDocument => "other_document",
            BadInput::HalfScale => "half_scale_ballot",
        }
    }
}

/// Appends a PNG chunk (length, kind, data, CRC-32 of kind and data) to `out`.
pub fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let mut crc = flate2::Crc::new();
    crc.update(&out[start..]);
    out.extend(crc.sum().to_be_bytes());
}

/// A PDF of `pages` A4 pages, each drawing `content` with the resources `resources`, and the
/// extra objects `extra` (numbered from 3 + 2 × pages): for hostile and odd PDF files in tests
/// and benchmarks.
pub fn minimal_pdf(pages: usize, content: &str, resources: &str, extra: &[Vec<u8>]) -> Vec<u8> {
    use std::io::Write;
    let mut out: Vec<u8> = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let mut obj = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        writeln!(out, "{} 0 obj", offsets.len()).expect("writes to memory");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    obj(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", 3 + 2 * i)).collect();
    obj(
        &mut out,
        format!(
            "<< /Type /Pages /Count {pages} /Kids [{}] >>",
            kids.join(" ")
        )
        .as_bytes(),
    );
    for i in 0..pages {
        obj(
            &mut out,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources {resources} /Contents {} 0 R >>",
                4 + 2 * i
            )
            .as_bytes(),
        );
        obj(
            &mut out,
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .as_bytes(),
        );
    }
    for e in extra {
        obj(&mut out, e);
    }
    super::formats::end_pdf(&mut out, &offsets);
    out
}

/// A well-formed PNG header for a 100000×100000 RGB image, with almost no data behind it.
pub fn giant_png() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

pub fn text_file() -> Vec<u8> {
    "Biên bản họp chi bộ\nThis is a text file, not a scan.\n"
        .as_bytes()
        .to_vec()
}

const WORDS: [&str; 40] = [
    "báo",
    "cáo",
    "kết",
    "quả",
    "thực",
    "hiện",
    "nhiệm",
    "vụ",
    "năm",
    "2023",
    "của",
    "Sở",
    "khoa",
    "học",
    "và",
    "công",
    "nghệ",
    "tỉnh",
    "trong",
    "đó",
    "các",
    "đơn",
    "vị",
    "đã",
    "triển",
    "khai",
    "kế",
    "hoạch",
    "theo",
    "quy",
    "định",
    "đề",
    "xuất",
    "giải",
    "pháp",
    "tăng",
    "cường",
    "quản",
    "lý",
    "ngân sách",
];

/// A page of some other document: a bold title and paragraphs of ordinary text.
pub fn other_document(w: u32, h: u32, px_per_mm: f64, rng: &mut SimRng) -> RgbImage {
    let mut img = RgbImage::from_pixel(w, h, Rgb([255, 255, 255]));
    let regular = BallotFont::regular();
    let bold = BallotFont::bold();
    let line_mm = 6.5;
    let body = PxScale::from((4.3 * px_per_mm) as f32);
    let ink = Rgb([20, 20, 25]);
    let title = "BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ";
    let tx = (40.0 * px_per_mm) as i32;
    draw_text_mut(
        &mut img,
        ink,
        tx,
        (25.0 * px_per_mm) as i32,
        PxScale::from((5.8 * px_per_mm) as f32),
        bold.face(),
        title,
    );
    let mut y = 42.0;
    while y < 272.0 {
        let words = if rng.chance(0.12) {
            rng.int(3, 8)
        } else {
            rng.int(12, 16)
        } as usize;
        let line: Vec<&str> = (0..words).map(|_| *rng.pick(&WORDS)).collect();
        let indent = if rng.chance(0.15) { 8.0 } else { 0.0 };
        draw_text_mut(
            &mut img,
            ink,
            ((25.0 + indent) * px_per_mm) as i32,
            (y * px_per_mm) as i32,
            body,
            regular.face(),
            &line.join(" "),
        );
        y += line_mm;
        if words < 10 {
            y += line_mm * 0.6;
        }
    }
    img
}

/// A JPEG cut off part way through its image data, as a scan interrupted mid-transfer leaves it.
/// Its headers are whole and it has no end-of-image marker.
pub fn truncated_jpeg(rng: &mut SimRng) -> Vec<u8> {
    let px_per_mm = crate::units::px_per_mm(100.0);
    let page = other_document(
        (crate::units::A4_W_MM * px_per_mm) as u32,
        (crate::units::A4_H_MM * px_per_mm) as u32,
        px_per_mm,
        rng,
    );
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 85)
        .encode_image(&page)
        .expect("in-memory JPEG encodes");
    let keep = (buf.len() as f64 * rng.range(0.3, 0.6)) as usize;
    buf.truncate(keep);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_iend_chunk_carries_the_png_reference_crc() {
        let mut out = Vec::new();
        png_chunk(&mut out, b"IEND", &[]);
        assert_eq!(out[8..], 0xAE42_6082u32.to_be_bytes());
    }

    #[test]
    fn the_giant_header_parses_and_is_refused() {
        let bytes = giant_png();
        let reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
            .with_guessed_format()
            .unwrap();
        assert_eq!(reader.format(), Some(image::ImageFormat::Png));
        assert_eq!(reader.into_dimensions().unwrap(), (100_000, 100_000));
        assert!(image::load_from_memory(&bytes).is_err());
    }

    #[test]
    fn the_truncated_jpeg_stops_inside_its_image_data() {
        let bytes = truncated_jpeg(&mut SimRng::new(5));
        assert_eq!(
            image::guess_format(&bytes).unwrap(),
            image::ImageFormat::Jpeg
        );
        // The start of scan is there, the end of image is not. (The `image` crate decodes such a
        // file without an error, padding what is missing: a reader must look for the end itself.)
        assert!(bytes.windows(2).any(|w| w == [0xFF, 0xDA]));
        assert!(!bytes.ends_with(&[0xFF, 0xD9]));
    }
}
