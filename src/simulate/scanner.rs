//! The scanner and the copier: what happens to a marked page between the ballot box and the file.
//!
//! A scan puts the page on a bed bigger than A4 in one projective warp (skew, scale, offset and a
//! little perspective together, bilinear), then blurs, adds sensor noise and dust, turns the
//! image by quarter turns when the sheet went in sideways or upside down, and encodes it.

use std::io::Cursor;

use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::tiff::TiffEncoder;
use image::{DynamicImage, GrayImage, ImageEncoder, Luma, Rgb, RgbImage};
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};

use super::Faults;
use super::rng::SimRng;
use crate::layout::RectMm;

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
}

impl Setup {
    pub fn dpi(&self) -> f64 {
        self.faults.dpi as f64
    }

    /// Draws the scan settings of a level.
    pub fn draw(level: Level, rng: &mut SimRng) -> Setup {
        let mut f = Faults {
            level: level.name().into(),
            dpi: 300,
            rotation_deg: 0.0,
            quarter_turns: 0,
            scale: 1.0,
            offset_mm: (0.0, 0.0),
            perspective: 0.0,
            blur_sigma: 0.0,
            noise: 0.0,
            jpeg_quality: None,
            gray: false,
            tint: None,
            format: "png".into(),
        };
        let mut margins_mm = [0.0; 4];
        let mut bed = [255, 255, 255];
        let mut corners_mm = [(0.0, 0.0); 4];
        let mut dust = 0;
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
                bed = if rng.chance(0.8) { white_bed(rng) } else { dark_bed(rng) };
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
                f.perspective = corners_mm.iter().map(|c| c.0.hypot(c.1)).fold(0.0, f64::max);
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
                bed = if rng.chance(0.6) { white_bed(rng) } else { dark_bed(rng) };
                dust = rng.int(0, 40) as usize;
            }
        }
        Setup { faults: f, margins_mm, bed, corners_mm, dust }
    }

    /// Scans a page rendered at `self.dpi()`. `content` is the part of the page (mm) that must
    /// stay on the bed: the bed grows where a skewed page would put it over the edge.
    pub fn scan(&mut self, mut page: RgbImage, content: RectMm, rng: &mut SimRng) -> DynamicImage {
        if let Some(t) = self.faults.tint {
            multiply(&mut page, t);
        }
        let img = if self.faults.level == Level::None.name() {
            if self.faults.gray { DynamicImage::ImageRgb8(page).into_luma8().into() } else { DynamicImage::ImageRgb8(page) }
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
        if self.faults.blur_sigma > 0.05 {
            blur(buf, w, h, channels, self.faults.blur_sigma);
        }
        if self.dust > 0 {
            add_dust(buf, w, h, channels, self.dust, self.dpi(), rng);
        }
        if self.faults.noise > 0.05 {
            add_noise(buf, self.faults.noise, rng);
        }
        match self.faults.quarter_turns % 4 {
            1 => img.rotate90(),
            2 => img.rotate180(),
            3 => img.rotate270(),
            _ => img,
        }
    }

    /// The one geometric step: page pixels to bed pixels.
    fn warp(&mut self, page: RgbImage, content: RectMm) -> DynamicImage {
        let k = self.dpi() / 25.4;
        let (pw, ph) = (page.width() as f64, page.height() as f64);
        let content_px = [
            (content.x_mm * k, content.y_mm * k),
            (content.right() * k, content.y_mm * k),
            (content.right() * k, content.bottom() * k),
            (content.x_mm * k, content.bottom() * k),
        ];
        let src = [(0.0, 0.0), (pw, 0.0), (pw, ph), (0.0, ph)];
        let (proj, cw, ch) = loop {
            let [ml, mt, mr, mb] = self.margins_mm;
            let (cw, ch) = (((ml + mr) * k + pw).round(), ((mt + mb) * k + ph).round());
            let centre = (
                ml * k + pw / 2.0 + self.faults.offset_mm.0 * k,
                mt * k + ph / 2.0 + self.faults.offset_mm.1 * k,
            );
            let (s, c) = self.faults.rotation_deg.to_radians().sin_cos();
            let sc = self.faults.scale;
            let dst: Vec<(f64, f64)> = src
                .iter()
                .zip(self.corners_mm)
                .map(|(&(x, y), d)| {
                    let (rx, ry) = ((x - pw / 2.0) * sc, (y - ph / 2.0) * sc);
                    (centre.0 + rx * c - ry * s + d.0 * k, centre.1 + rx * s + ry * c + d.1 * k)
                })
                .collect();
            let f32s = |v: &[(f64, f64)]| -> [(f32, f32); 4] { std::array::from_fn(|i| (v[i].0 as f32, v[i].1 as f32)) };
            let proj = Projection::from_control_points(f32s(&src), f32s(&dst)).expect("a page's corners are never degenerate");
            // Grow the bed where the content would fall off it (2 mm to spare).
            let mapped: Vec<(f32, f32)> = content_px.iter().map(|&(x, y)| proj * (x as f32, y as f32)).collect();
            let spare = 2.0 * k;
            let min_x = mapped.iter().map(|p| p.0 as f64).fold(f64::MAX, f64::min);
            let min_y = mapped.iter().map(|p| p.1 as f64).fold(f64::MAX, f64::min);
            let max_x = mapped.iter().map(|p| p.0 as f64).fold(f64::MIN, f64::max);
            let max_y = mapped.iter().map(|p| p.1 as f64).fold(f64::MIN, f64::max);
            let grow = [spare - min_x, spare - min_y, max_x - (cw - spare), max_y - (ch - spare)];
            if grow.iter().all(|&g| g <= 0.5) {
                break (proj, cw as u32, ch as u32);
            }
            for (m, g) in self.margins_mm.iter_mut().zip(grow) {
                if g > 0.5 {
                    *m += g / k + 0.5;
                }
            }
        };
        if self.faults.gray {
            let gray = DynamicImage::ImageRgb8(page).into_luma8();
            let bed = luma(self.bed);
            let mut out = GrayImage::from_pixel(cw, ch, Luma([bed]));
            warp_into(&gray, proj, Interpolation::Bilinear, Border::Constant(Luma([bed])), &mut out);
            DynamicImage::ImageLuma8(out)
        } else {
            let mut out = RgbImage::from_pixel(cw, ch, Rgb(self.bed));
            warp_into(&page, proj, Interpolation::Bilinear, Border::Constant(Rgb(self.bed)), &mut out);
            DynamicImage::ImageRgb8(out)
        }
    }
}

fn luma(rgb: [u8; 3]) -> u8 {
    ((299 * rgb[0] as u32 + 587 * rgb[1] as u32 + 114 * rgb[2] as u32) / 1000) as u8
}

/// Multiplies every pixel by a paper colour.
fn multiply(page: &mut RgbImage, tint: [u8; 3]) {
    let luts: [[u8; 256]; 3] =
        std::array::from_fn(|c| std::array::from_fn(|v| ((v as u32 * tint[c] as u32 + 127) / 255) as u8));
    for px in page.as_mut().chunks_exact_mut(3) {
        for c in 0..3 {
            px[c] = luts[c][px[c] as usize];
        }
    }
}

/// A separable Gaussian blur in fixed point, edges clamped.
pub fn blur(buf: &mut [u8], w: usize, h: usize, ch: usize, sigma: f64) {
    let radius = (sigma * 2.5).ceil().max(1.0) as usize;
    let raw: Vec<f64> = (0..=2 * radius).map(|i| (-((i as f64 - radius as f64).powi(2)) / (2.0 * sigma * sigma)).exp()).collect();
    let total: f64 = raw.iter().sum();
    let kernel: Vec<u32> = raw.iter().map(|v| (v / total * 65536.0).round() as u32).collect();
    let norm: u32 = kernel.iter().sum();
    let mut tmp = vec![0u8; buf.len()];
    // Horizontal: buf → tmp.
    for y in 0..h {
        let row = &buf[y * w * ch..(y + 1) * w * ch];
        let out = &mut tmp[y * w * ch..(y + 1) * w * ch];
        for x in 0..w {
            for c in 0..ch {
                let mut acc = 0u32;
                for (i, &kv) in kernel.iter().enumerate() {
                    let sx = (x + i).saturating_sub(radius).min(w - 1);
                    acc += kv * row[sx * ch + c] as u32;
                }
                out[x * ch + c] = ((acc + norm / 2) / norm) as u8;
            }
        }
    }
    // Vertical: tmp → buf, a row at a time so the inner loop runs along memory.
    let stride = w * ch;
    let mut acc = vec![0u32; stride];
    for y in 0..h {
        acc.iter_mut().for_each(|a| *a = 0);
        for (i, &kv) in kernel.iter().enumerate() {
            let sy = (y + i).saturating_sub(radius).min(h - 1);
            let src = &tmp[sy * stride..(sy + 1) * stride];
            for (a, &v) in acc.iter_mut().zip(src) {
                *a += kv * v as u32;
            }
        }
        for (o, a) in buf[y * stride..(y + 1) * stride].iter_mut().zip(&acc) {
            *o = ((a + norm / 2) / norm) as u8;
        }
    }
}

/// Sensor noise: Gaussian with deviation `sigma` grey levels, from a table and a fast generator.
pub fn add_noise(buf: &mut [u8], sigma: f64, rng: &mut SimRng) {
    let table: Vec<i16> = (0..4096).map(|_| (rng.normal() * sigma).round().clamp(-60.0, 60.0) as i16).collect();
    let mut state = rng.next_u64() | 1;
    for chunk in buf.chunks_mut(5) {
        // xorshift64*: five 12-bit table indices per step.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let mut bits = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        for v in chunk {
            let n = table[(bits & 0xFFF) as usize];
            bits >>= 12;
            *v = (*v as i16 + n).clamp(0, 255) as u8;
        }
    }
}

/// Specks of dust on the glass: tiny dark dots, at most 0.2 mm across.
fn add_dust(buf: &mut [u8], w: usize, h: usize, ch: usize, count: usize, dpi: f64, rng: &mut SimRng) {
    let max_r = (0.1 * dpi / 25.4).max(1.0);
    for _ in 0..count {
        let (cx, cy) = (rng.range(0.0, w as f64), rng.range(0.0, h as f64));
        let r = rng.range(0.5, max_r);
        let v = rng.range(20.0, 120.0) as u8;
        let (x0, x1) = ((cx - r).floor().max(0.0) as usize, ((cx + r).ceil() as usize).min(w));
        let (y0, y1) = ((cy - r).floor().max(0.0) as usize, ((cy + r).ceil() as usize).min(h));
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

/// A photocopy of a printed page: shifted and a touch shrunk on the glass, greyer paper, darker
/// print, a little less colour, toner specks and sometimes a streak from the drum.
pub fn photocopy(page: &RgbImage, px_per_mm: f64, rng: &mut SimRng) -> RgbImage {
    let (w, h) = (page.width() as f32, page.height() as f32);
    let s = rng.range(0.985, 1.0) as f32;
    let a = rng.sym(0.6_f64.to_radians()) as f32;
    let (dx, dy) = ((rng.sym(2.0) * px_per_mm) as f32, (rng.sym(2.0) * px_per_mm) as f32);
    let src = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let dst = src.map(|(x, y)| {
        let (rx, ry) = ((x - w / 2.0) * s, (y - h / 2.0) * s);
        (w / 2.0 + rx * a.cos() - ry * a.sin() + dx, h / 2.0 + rx * a.sin() + ry * a.cos() + dy)
    });
    let proj = Projection::from_control_points(src, dst).expect("a page's corners are never degenerate");
    let mut out = RgbImage::from_pixel(page.width(), page.height(), Rgb([255, 255, 255]));
    warp_into(page, proj, Interpolation::Bilinear, Border::Constant(Rgb([255, 255, 255])), &mut out);
    let paper = rng.range(236.0, 250.0);
    let black = rng.range(0.0, 12.0);
    let gamma = rng.range(1.1, 1.45);
    let lut: [u8; 256] = std::array::from_fn(|v| (black + (v as f64 / 255.0).powf(gamma) * (paper - black)).round() as u8);
    let keep = rng.range(0.65, 0.9) as f32;
    for px in out.as_mut().chunks_exact_mut(3) {
        let l = 0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32;
        for c in 0..3 {
            let v = l + (px[c] as f32 - l) * keep;
            px[c] = lut[v.round().clamp(0.0, 255.0) as usize];
        }
    }
    let (wi, hi) = (out.width() as usize, out.height() as usize);
    let specks = rng.int(40, 300) as usize;
    add_dust(out.as_mut(), wi, hi, 3, specks, px_per_mm * 25.4, rng);
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

/// Encodes a scan in the format of its faults.
pub fn encode(img: &DynamicImage, f: &Faults) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    let (w, h) = (img.width(), img.height());
    let color = img.color().into();
    match f.format.as_str() {
        "jpg" => {
            let mut enc = JpegEncoder::new_with_quality(&mut buf, f.jpeg_quality.unwrap_or(90));
            enc.set_pixel_density(PixelDensity::dpi(f.dpi as u16));
            enc.encode_image(img).map_err(|e| e.to_string())?;
        }
        "tif" => {
            TiffEncoder::new(Cursor::new(&mut buf)).write_image(img.as_bytes(), w, h, color).map_err(|e| e.to_string())?;
        }
        _ => {
            PngEncoder::new_with_quality(&mut buf, CompressionType::Fast, FilterType::Adaptive)
                .write_image(img.as_bytes(), w, h, color)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blur_keeps_a_flat_image_flat_and_softens_an_edge() {
        let (w, h) = (20, 10);
        let mut buf = vec![200u8; w * h];
        blur(&mut buf, w, h, 1, 1.0);
        assert!(buf.iter().all(|&v| v == 200));
        let mut edge: Vec<u8> = (0..w * h).map(|i| if i % w < 10 { 0 } else { 255 }).collect();
        blur(&mut edge, w, h, 1, 1.0);
        assert!(edge[9] > 0 && edge[9] < 128 && edge[10] > 128 && edge[10] < 255);
        assert_eq!(edge[0], 0);
    }

    #[test]
    fn noise_has_about_the_asked_deviation() {
        let mut buf = vec![128u8; 100_000];
        add_noise(&mut buf, 5.0, &mut SimRng::new(9));
        let mean = buf.iter().map(|&v| v as f64).sum::<f64>() / buf.len() as f64;
        let var = buf.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / buf.len() as f64;
        assert!((mean - 128.0).abs() < 0.3, "{mean}");
        assert!((var.sqrt() - 5.0).abs() < 0.4, "{}", var.sqrt());
    }
}
