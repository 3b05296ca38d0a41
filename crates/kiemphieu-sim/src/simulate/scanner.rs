//! The scanner and the copier: what happens to a marked page between the ballot box and the file.
//!
//! A scan puts the page on a bed bigger than A4 in one projective warp (skew, scale, offset and a
//! little perspective together, bilinear), lays hairs and fibres from the glass on it, blurs,
//! adds dust, turns the image by quarter turns when the sheet went in sideways or upside down,
//! draws the streaks of a dirty glass along the feed (down the image, whatever way the sheet
//! went in), adds sensor noise, and encodes it.
//!
//! Streaks: a speck stuck on the scan line of a sheet-fed scanner darkens one line of sensor
//! pixels for the whole feed, so the image gets a straight line of even width and tone from top
//! to bottom: 1–6 px wide, grey 40–200 over white paper (it multiplies what is under it), one to
//! three of them. Hairs and fibres: 0.05–0.12 mm thick (a human hair is 50–100 µm), 3–25 mm
//! long, gently curved, grey 40–150, anywhere on the glass, boxes included.

use std::io::Cursor;

use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::tiff::TiffEncoder;
use image::{DynamicImage, GrayImage, ImageEncoder, RgbImage};

use super::Faults;
use super::pixels::{Homography, add_noise, blur, warp};
use super::rng::SimRng;
use crate::layout::RectMm;
use crate::units::{dpi_from_px_per_mm, px_per_mm};

/// How rough a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    None,
    Mild,
    Harsh,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Mild => "mild",
            Level::Harsh => "harsh",
        }
    }
}

/// Paper tints a ballot may be printed on.
const TINTS: [[u8; 3]; 6] = [
    [250, 242, 222],
    [232, 230, 226],
    [226, 236, 248],
    [250, 232, 236],
    [232, 245, 230],
    [245, 238, 205],
];

/// One scan's settings: the recorded faults and what else the scanner needs.
#[derive(Debug, Clone)]
pub struct Setup {
    pub faults: Faults,
    /// Bed around the page, in mm: left, top, right, bottom.
    margins_mm: [f64; 4],
    bed: [u8; 3],
    /// Displacement of each page corner (TL, TR, BR, BL), mm.
    corners_mm: [(f64, f64); 4],
    dust: usize,
    /// Grey levels of black and of white paper on a scanner that lacks contrast.
    contrast: Option<(u8, u8)>,
    /// Uneven lamp: darkening `strength` at the far edge, along x (`true`) or y, from the
    /// start (`false`) or the end (`true`).
    falloff: Option<(bool, bool, f64)>,
    /// Streaks down the final image: (column as a share of the width, width px, grey on white).
    streaks: Vec<(f64, u32, u8)>,
    /// Hairs and fibres on the glass.
    hairs: usize,
}

impl Setup {
    pub fn dpi(&self) -> f64 {
        self.faults.dpi as f64
    }

    /// Scans at `dpi` instead of the drawn resolution; the blur keeps its size on the page.
    pub fn set_dpi(&mut self, dpi: u32) {
        self.faults.blur_sigma *= dpi as f64 / self.faults.dpi as f64;
        self.faults.dpi = dpi;
    }

    /// Draws the scan settings of a level.
    pub fn draw(level: Level, rng: &mut SimRng) -> Setup {
        // A flawless 300-dpi colour PNG; the level then adds its faults.
        let mut f = Faults {
            level: level.name().into(),
            dpi: 300,
            ..Faults::not_scanned("png")
        };
        let mut margins_mm = [0.0; 4];
        let mut bed = [255, 255, 255];
        let mut corners_mm = [(0.0, 0.0); 4];
        let mut dust = 0;
        let mut contrast = None;
        let mut falloff = None;
        let mut streaks = Vec::new();
        let mut hairs = 0;
        let streak = |rng: &mut SimRng| -> (f64, u32, u8) {
            (
                rng.range(0.02, 0.98),
                rng.int(1, 6) as u32,
                rng.int(40, 200) as u8,
            )
        };
        let white_bed = |rng: &mut SimRng| {
            let v = rng.range(232.0, 252.0);
            [v, v - rng.range(0.0, 4.0), v - rng.range(0.0, 6.0)].map(|c| c as u8)
        };
        let dark_bed = |rng: &mut SimRng| {
            let v = rng.range(30.0, 90.0);
            [v, v, v + rng.range(0.0, 6.0)].map(|c| c as u8)
        };
        match level {
            Level::None => {}
            Level::Mild => {
                f.dpi = *rng.pick(&[200, 240, 300, 300]);
                f.rotation_deg = rng.sym(3.0);
                f.scale = rng.range(0.97, 1.03);
                f.offset_mm = (rng.sym(8.0), rng.sym(8.0));
                f.blur_sigma = rng.range(0.2, 0.6) * f.dpi as f64 / 300.0;
                f.noise = rng.range(0.5, 3.0);
                f.jpeg_quality = Some(rng.int(80, 95) as u8);
                f.gray = rng.chance(0.3);
                f.format = "jpg".into();
                margins_mm = [0; 4].map(|_| rng.range(0.0, 20.0));
                bed = if rng.chance(0.8) {
                    white_bed(rng)
                } else {
                    dark_bed(rng)
                };
                if rng.chance(0.08) {
                    streaks.push(streak(rng));
                }
                if rng.chance(0.1) {
                    hairs = rng.int(1, 2) as usize;
                }
            }
            Level::Harsh => {
                f.dpi = *rng.pick(&[150, 200, 240, 300]);
                f.rotation_deg = rng.sym(10.0);
                f.quarter_turns = [0, 1, 2, 3][rng.weighted(&[0.4, 0.2, 0.2, 0.2])];
                f.scale = rng.range(0.93, 1.07);
                f.offset_mm = (rng.sym(15.0), rng.sym(15.0));
                let p = rng.range(0.0, 1.5);
                corners_mm = [0; 4].map(|_| {
                    let a = rng.range(0.0, std::f64::consts::TAU);
                    let r = p * rng.range(0.3, 1.0);
                    (r * a.cos(), r * a.sin())
                });
                f.perspective = corners_mm
                    .iter()
                    .map(|c| c.0.hypot(c.1))
                    .fold(0.0, f64::max);
                f.blur_sigma = rng.range(0.4, 1.2) * f.dpi as f64 / 300.0;
                f.noise = rng.range(2.0, 8.0);
                f.format = ["jpg", "png", "tif"][rng.weighted(&[0.7, 0.15, 0.15])].into();
                if f.format == "jpg" {
                    f.jpeg_quality = Some(rng.int(60, 90) as u8);
                }
                // Document scanners write TIFF in grey; colour TIFF would be tens of megabytes.
                f.gray = f.format == "tif" || rng.chance(0.45);
                f.tint = rng.chance(0.6).then(|| *rng.pick(&TINTS));
                margins_mm = [0; 4].map(|_| rng.range(0.0, 20.0));
                bed = if rng.chance(0.6) {
                    white_bed(rng)
                } else {
                    dark_bed(rng)
                };
                dust = rng.int(0, 40) as usize;
                if rng.chance(0.4) {
                    contrast = Some((rng.int(12, 50) as u8, rng.int(205, 240) as u8));
                }
                if rng.chance(0.5) {
                    falloff = Some((rng.chance(0.5), rng.chance(0.5), rng.range(0.03, 0.10)));
                }
                if rng.chance(0.25) {
                    for _ in 0..[1, 2, 3][rng.weighted(&[0.6, 0.3, 0.1])] {
                        streaks.push(streak(rng));
                    }
                }
                if rng.chance(0.3) {
                    hairs = rng.int(1, 4) as usize;
                }
            }
        }
        Setup {
            faults: f,
            margins_mm,
            bed,
            corners_mm,
            dust,
            contrast,
            falloff,
            streaks,
            hairs,
        }
    }

    /// What the scan did beyond [`Faults`], for people reading the truth.
    pub fn notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some((black, white)) = self.contrast {
            v.push(format!("low_contrast:{black}-{white}"));
        }
        if self.falloff.is_some() {
            v.push("lamp_falloff".into());
        }
        if self.dust > 0 {
            v.push(format!("dust:{}", self.dust));
        }
        for &(at, w, grey) in &self.streaks {
            v.push(format!("streak:{:.3}:{w}px:{grey}", at));
        }
        if self.hairs > 0 {
            v.push(format!("hairs:{}", self.hairs));
        }
        v
    }

    /// Scans a page rendered at `self.dpi()`. `content` is the part of the page (mm) that must
    /// stay on the bed: the bed grows where a skewed page would put it over the edge.
    pub fn scan(&mut self, mut page: RgbImage, content: RectMm, rng: &mut SimRng) -> DynamicImage {
        if let Some(t) = self.faults.tint {
            multiply(&mut page, t);
        }
        let img = if self.faults.level == Level::None.name() {
            if self.faults.gray {
                DynamicImage::ImageRgb8(page).into_luma8().into()
            } else {
                DynamicImage::ImageRgb8(page)
            }
        } else {
            self.warp(page, content)
        };
        let mut img = img;
        let (w, h) = (img.width() as usize, img.height() as usize);
        let channels = if self.faults.gray { 1 } else { 3 };
        let buf: &mut [u8] = match &mut img {
            DynamicImage::ImageLuma8(g) => g.as_mut(),
            DynamicImage::ImageRgb8(c) => c.as_mut(),
            _ => unreachable!("scans are grey or RGB"),
        };
        for _ in 0..self.hairs {
            add_hair(buf, w, h, channels, self.dpi(), rng);
        }
        if self.faults.blur_sigma > 0.05 {
            blur(buf, w, h, channels, self.faults.blur_sigma);
        }
        if let Some((along_x, from_end, strength)) = self.falloff {
            let n = if along_x { w } else { h };
            let gain: Vec<u32> = (0..n)
                .map(|i| {
                    let t = i as f64 / n.max(2) as f64;
                    let t = if from_end { 1.0 - t } else { t };
                    ((1.0 - strength * t * t) * 65536.0) as u32
                })
                .collect();
            for (y, row) in buf.chunks_exact_mut(w * channels).enumerate() {
                for (x, px) in row.chunks_exact_mut(channels).enumerate() {
                    let g = gain[if along_x { x } else { y }];
                    px.iter_mut()
                        .for_each(|v| *v = ((*v as u32 * g) >> 16) as u8);
                }
            }
        }
        if let Some((black, white)) = self.contrast {
            let (lo, hi) = (black as u32, white as u32);
            let lut: [u8; 256] =
                std::array::from_fn(|v| (lo + (v as u32 * (hi - lo) + 127) / 255) as u8);
            buf.iter_mut().for_each(|v| *v = lut[*v as usize]);
        }
        if self.dust > 0 {
            add_dust(buf, w, h, channels, self.dust, self.dpi(), rng);
        }
        let mut img = match self.faults.quarter_turns % 4 {
            1 => img.rotate90(),
            2 => img.rotate180(),
            3 => img.rotate270(),
            _ => img,
        };
        let (w, h) = (img.width() as usize, img.height() as usize);
        let buf: &mut [u8] = match &mut img {
            DynamicImage::ImageLuma8(g) => g.as_mut(),
            DynamicImage::ImageRgb8(c) => c.as_mut(),
            _ => unreachable!("scans are grey or RGB"),
        };
        for &(at, width, grey) in &self.streaks {
            add_streak(buf, w, h, channels, at, width, grey);
        }
        if self.faults.noise > 0.05 {
            add_noise(buf, w * channels, self.faults.noise, rng);
        }
        img
    }

    /// The one geometric step: page pixels to bed pixels, skew, scale, offset and perspective
    /// together.
    fn warp(&mut self, page: RgbImage, content: RectMm) -> DynamicImage {
        let k = px_per_mm(self.dpi());
        let (pw, ph) = (page.width() as f64, page.height() as f64);
        let content_px = [
            (content.x_mm * k, content.y_mm * k),
            (content.right() * k, content.y_mm * k),
            (content.right() * k, content.bottom() * k),
            (content.x_mm * k, content.bottom() * k),
        ];
        let src = [(0.0, 0.0), (pw, 0.0), (pw, ph), (0.0, ph)];
        let (page_to_bed, cw, ch) = loop {
            let [ml, mt, mr, mb] = self.margins_mm;
            let (cw, ch) = (((ml + mr) * k + pw).round(), ((mt + mb) * k + ph).round());
            let centre = (
                ml * k + pw / 2.0 + self.faults.offset_mm.0 * k,
                mt * k + ph / 2.0 + self.faults.offset_mm.1 * k,
            );
            let (s, c) = self.faults.rotation_deg.to_radians().sin_cos();
            let sc = self.faults.scale;
            let dst: [(f64, f64); 4] = std::array::from_fn(|i| {
                let ((x, y), d) = (src[i], self.corners_mm[i]);
                let (rx, ry) = ((x - pw / 2.0) * sc, (y - ph / 2.0) * sc);
                (
                    centre.0 + rx * c - ry * s + d.0 * k,
                    centre.1 + rx * s + ry * c + d.1 * k,
                )
            });
            let h =
                Homography::from_corners(src, dst).expect("a page's corners are never degenerate");
            // Grow the bed where the content would fall off it (2 mm to spare).
            let mapped = content_px.map(|p| h.map(p));
            let spare = 2.0 * k;
            let min_x = mapped.iter().map(|p| p.0).fold(f64::MAX, f64::min);
            let min_y = mapped.iter().map(|p| p.1).fold(f64::MAX, f64::min);
            let max_x = mapped.iter().map(|p| p.0).fold(f64::MIN, f64::max);
            let max_y = mapped.iter().map(|p| p.1).fold(f64::MIN, f64::max);
            let grow = [
                spare - min_x,
                spare - min_y,
                max_x - (cw - spare),
                max_y - (ch - spare),
            ];
            if grow.iter().all(|&g| g <= 0.5) {
                break (h, cw as usize, ch as usize);
            }
            for (m, g) in self.margins_mm.iter_mut().zip(grow) {
                if g > 0.5 {
                    *m += g / k + 0.5;
                }
            }
        };
        let bed_to_page = page_to_bed.inverse().expect("an invertible warp");
        let (w, h) = (page.width() as usize, page.height() as usize);
        if self.faults.gray {
            let gray = DynamicImage::ImageRgb8(page).into_luma8();
            let mut out = vec![0u8; cw * ch];
            warp::<1>(
                gray.as_raw(),
                w,
                h,
                &mut out,
                cw,
                ch,
                &bed_to_page,
                [luma(self.bed)],
            );
            DynamicImage::ImageLuma8(GrayImage::from_raw(cw as u32, ch as u32, out).expect("sized"))
        } else {
            let mut out = vec![0u8; cw * ch * 3];
            warp::<3>(
                page.as_raw(),
                w,
                h,
                &mut out,
                cw,
                ch,
                &bed_to_page,
                self.bed,
            );
            DynamicImage::ImageRgb8(RgbImage::from_raw(cw as u32, ch as u32, out).expect("sized"))
        }
    }
}

fn luma(rgb: [u8; 3]) -> u8 {
    ((299 * rgb[0] as u32 + 587 * rgb[1] as u32 + 114 * rgb[2] as u32) / 1000) as u8
}

/// Multiplies every pixel by a paper colour.
fn multiply(page: &mut RgbImage, tint: [u8; 3]) {
    let luts: [[u8; 256]; 3] = std::array::from_fn(|c| {
        std::array::from_fn(|v| ((v as u32 * tint[c] as u32 + 127) / 255) as u8)
    });
    for px in page.as_mut().chunks_exact_mut(3) {
        for c in 0..3 {
            px[c] = luts[c][px[c] as usize];
        }
    }
}

/// Specks of dust on the glass: tiny dark dots, at most 0.2 mm across.
fn add_dust(
    buf: &mut [u8],
    w: usize,
    h: usize,
    ch: usize,
    count: usize,
    dpi: f64,
    rng: &mut SimRng,
) {
    let max_r = px_per_mm(0.1 * dpi).max(1.0); // 0.1 mm
    for _ in 0..count {
        let (cx, cy) = (rng.range(0.0, w as f64), rng.range(0.0, h as f64));
        let r = rng.range(0.5, max_r);
        let v = rng.range(20.0, 120.0) as u8;
        let (x0, x1) = (
            (cx - r).floor().max(0.0) as usize,
            ((cx + r).ceil() as usize).min(w),
        );
        let (y0, y1) = (
            (cy - r).floor().max(0.0) as usize,
            ((cy + r).ceil() as usize).min(h),
        );
        for y in y0..y1 {
            for x in x0..x1 {
                if (x as f64 + 0.5 - cx).hypot(y as f64 + 0.5 - cy) <= r {
                    for c in 0..ch {
                        let p = &mut buf[(y * w + x) * ch + c];
                        *p = (*p).min(v);
                    }
                }
            }
        }
    }
}

/// A streak down the whole image: columns from `at` × width, `width` px wide, multiplied by
/// `grey`/255, with a half-strength pixel either side where the speck's shadow is soft.
fn add_streak(buf: &mut [u8], w: usize, h: usize, ch: usize, at: f64, width: u32, grey: u8) {
    let x0 = ((at * w as f64) as usize).min(w.saturating_sub(1));
    let full = grey as u32;
    let half = (255 + grey as u32) / 2;
    let cols = (x0.saturating_sub(1)..(x0 + width as usize + 1).min(w)).map(|x| {
        let edge = x + 1 == x0 || x == x0 + width as usize;
        (x, if edge { half } else { full })
    });
    let cols: Vec<(usize, u32)> = cols.collect();
    for y in 0..h {
        for &(x, g) in &cols {
            for c in 0..ch {
                let p = &mut buf[(y * w + x) * ch + c];
                *p = ((*p as u32 * g + 127) / 255) as u8;
            }
        }
    }
}

/// A hair or fibre on the glass: a gently curved dark line, 0.05–0.12 mm thick, 3–25 mm long.
fn add_hair(buf: &mut [u8], w: usize, h: usize, ch: usize, dpi: f64, rng: &mut SimRng) {
    let k = px_per_mm(dpi);
    let len = rng.range(3.0, 25.0) * k;
    let radius = rng.range(0.025, 0.06) * k;
    let grey = rng.range(40.0, 150.0);
    let (mut x, mut y) = (rng.range(0.0, w as f64), rng.range(0.0, h as f64));
    let mut a = rng.range(0.0, std::f64::consts::TAU);
    let bend = rng.sym(0.08);
    let step = 0.5;
    let mut s = 0.0;
    while s < len {
        // Coverage of the pixels around the point: a disc of `radius`, anti-aliased.
        let r = radius + 1.0;
        for py in (y - r).floor().max(0.0) as usize..((y + r).ceil() as usize).min(h) {
            for px in (x - r).floor().max(0.0) as usize..((x + r).ceil() as usize).min(w) {
                let d = (px as f64 + 0.5 - x).hypot(py as f64 + 0.5 - y);
                let cover = (radius + 0.5 - d).clamp(0.0, 1.0);
                if cover <= 0.0 {
                    continue;
                }
                for c in 0..ch {
                    let p = &mut buf[(py * w + px) * ch + c];
                    let v = *p as f64 * (1.0 - cover * (1.0 - grey / 255.0));
                    *p = (*p).min(v.round() as u8);
                }
            }
        }
        x += step * a.cos();
        y += step * a.sin();
        a += bend * step / k * 2.0;
        s += step;
    }
}

/// A photocopy of a printed page: shifted and a touch shrunk on the glass, greyer paper, darker
/// print, a little less colour, toner specks and sometimes a streak from the drum.
pub fn photocopy(page: &RgbImage, px_per_mm: f64, rng: &mut SimRng) -> RgbImage {
    let (w, h) = (page.width() as f64, page.height() as f64);
    let s = rng.range(0.985, 1.0);
    let a = rng.sym(0.6_f64.to_radians());
    let (dx, dy) = (rng.sym(2.0) * px_per_mm, rng.sym(2.0) * px_per_mm);
    let src = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let dst = src.map(|(x, y)| {
        let (rx, ry) = ((x - w / 2.0) * s, (y - h / 2.0) * s);
        (
            w / 2.0 + rx * a.cos() - ry * a.sin() + dx,
            h / 2.0 + rx * a.sin() + ry * a.cos() + dy,
        )
    });
    let copy_to_page =
        Homography::from_corners(dst, src).expect("a page's corners are never degenerate");
    let (wi, hi) = (page.width() as usize, page.height() as usize);
    let mut raw = vec![0u8; wi * hi * 3];
    warp::<3>(
        page.as_raw(),
        wi,
        hi,
        &mut raw,
        wi,
        hi,
        &copy_to_page,
        [255, 255, 255],
    );
    let mut out = RgbImage::from_raw(page.width(), page.height(), raw).expect("sized");
    let paper = rng.range(236.0, 250.0);
    let black = rng.range(0.0, 12.0);
    let gamma = rng.range(1.1, 1.45);
    let lut: [u8; 256] = std::array::from_fn(|v| {
        (black + (v as f64 / 255.0).powf(gamma) * (paper - black)).round() as u8
    });
    let keep = rng.range(0.65, 0.9) as f32;
    for px in out.as_mut().chunks_exact_mut(3) {
        let l = 0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32;
        for v in px.iter_mut() {
            let desaturated = l + (*v as f32 - l) * keep;
            *v = lut[desaturated.round().clamp(0.0, 255.0) as usize];
        }
    }
    let specks = rng.int(40, 300) as usize;
    add_dust(
        out.as_mut(),
        wi,
        hi,
        3,
        specks,
        dpi_from_px_per_mm(px_per_mm),
        rng,
    );
    if rng.chance(0.15) {
        let x = rng.range(0.0, wi as f64) as usize;
        let dark = rng.range(0.82, 0.95) as f32;
        let width = rng.int(1, 3) as usize;
        for y in 0..hi {
            for xx in x..(x + width).min(wi) {
                let p = out.get_pixel_mut(xx as u32, y as u32);
                p.0 = p.0.map(|v| (v as f32 * dark) as u8);
            }
        }
    }
    out
}

/// The creases of a folded ballot (in thirds, in half or in quarters): each a thin grey line
/// with a soft shadow on one side. Light enough never to read as ink. Returns what was done.
pub fn fold(page: &mut RgbImage, px_per_mm: f64, rng: &mut SimRng) -> &'static str {
    let (kind, creases): (&str, &[(bool, f64)]) = match rng.weighted(&[0.5, 0.3, 0.2]) {
        0 => ("fold:thirds", &[(true, 99.0), (true, 198.0)]),
        1 => ("fold:half", &[(true, 148.5)]),
        _ => ("fold:quarters", &[(true, 148.5), (false, 105.0)]),
    };
    let (w, h) = (page.width() as i64, page.height() as i64);
    for &(horizontal, at_mm) in creases {
        let pos = (at_mm + rng.sym(4.0)) * px_per_mm;
        let slope = rng.sym(0.015);
        let half_line = rng.range(0.06, 0.15) * px_per_mm;
        let line_dark = rng.range(0.06, 0.12);
        let shadow = rng.range(1.5, 4.0) * px_per_mm;
        let shadow_dark = rng.range(0.025, 0.06);
        let side = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let reach = (half_line + shadow + 2.0).ceil() as i64;
        let (along, across) = if horizontal { (w, h) } else { (h, w) };
        for a in 0..along {
            let centre = pos + slope * (a as f64 - along as f64 / 2.0);
            let c = centre.floor() as i64;
            for b in (c - reach).max(0)..(c + reach).min(across) {
                let d = b as f64 + 0.5 - centre;
                let line = (half_line + 0.5 - d.abs()).clamp(0.0, 1.0) * line_dark;
                let s = side * d;
                let shade = if s > 0.0 && s < shadow {
                    shadow_dark * (1.0 - s / shadow)
                } else {
                    0.0
                };
                let f = (1.0 - line) * (1.0 - shade);
                let (x, y) = if horizontal { (a, b) } else { (b, a) };
                let p = page.get_pixel_mut(x as u32, y as u32);
                p.0 = p.0.map(|v| (v as f64 * f).round() as u8);
            }
        }
    }
    kind
}

/// Encodes a scan in the format of its faults.
pub fn encode(img: &DynamicImage, f: &Faults) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    let (w, h) = (img.width(), img.height());
    let color = img.color().into();
    match f.format.as_str() {
        "jpg" => {
            let mut enc = JpegEncoder::new_with_quality(&mut buf, f.jpeg_quality.unwrap_or(90));
            enc.set_pixel_density(PixelDensity::dpi(f.dpi as u16));
            // The raw bytes, not the `DynamicImage`: the encoder reads pixel by pixel.
            enc.encode(img.as_bytes(), w, h, color)
                .map_err(|e| e.to_string())?;
        }
        "tif" => {
            TiffEncoder::new(Cursor::new(&mut buf))
                .write_image(img.as_bytes(), w, h, color)
                .map_err(|e| e.to_string())?;
        }
        _ => {
            PngEncoder::new_with_quality(&mut buf, CompressionType::Fast, FilterType::Adaptive)
                .write_image(img.as_bytes(), w, h, color)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(buf)
}
