//! Ink on paper: pen and pencil strokes, and handwritten words, laid on a rendered page.
//!
//! Strokes are described in millimetres on the page (the layout's frame) and crossed over to the
//! page's pixels in one place, [`Paper::px`]. A stroke is an anti-aliased thick polyline: every
//! pixel takes the coverage of the nearest segment, and the ink darkens the paper by multiplying
//! (ballpoint ink is transparent: two strokes over each other are darker than one).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::RgbImage;

use super::rng::{SimRng, hash2};
use crate::layout::{PointMm, RectMm};

/// What a stroke is drawn with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ink {
    /// The colour a full-strength stroke leaves on white paper, as multipliers 0..1 per channel.
    pub rgb: [f32; 3],
    /// Strength of the stroke's core, 0..1.
    pub opacity: f32,
    /// How patchy the stroke is (0 for a ballpoint, about 0.5 for a pencil on paper).
    pub grain: f32,
}

/// What people mark a ballot with. The figures (line widths, tones) are in `voter.rs`'s header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instrument {
    Ballpoint,
    Gel,
    FeltTip,
    /// HB to 2B at ordinary pressure.
    Pencil,
    /// A hard pencil, or any pencil barely pressed: the light end, which may go to a person.
    LightPencil,
}

impl Instrument {
    pub fn name(self) -> &'static str {
        match self {
            Instrument::Ballpoint => "ballpoint",
            Instrument::Gel => "gel",
            Instrument::FeltTip => "felt_tip",
            Instrument::Pencil => "pencil",
            Instrument::LightPencil => "light_pencil",
        }
    }

    /// The width of the line it leaves, mm.
    pub fn line_width(self, rng: &mut SimRng) -> f64 {
        match self {
            Instrument::Ballpoint => rng.range(0.3, 0.5),
            Instrument::Gel => rng.range(0.4, 0.7),
            Instrument::FeltTip => rng.range(0.6, 1.2),
            Instrument::Pencil | Instrument::LightPencil => rng.range(0.3, 0.7),
        }
    }

    /// Its ink: a colour and a strength drawn from the instrument's range.
    pub fn ink(self, rng: &mut SimRng) -> Ink {
        let pen_colour = |rng: &mut SimRng, weights: &[f64; 3]| -> [f32; 3] {
            match rng.weighted(weights) {
                // Blue: a colour scan turns it into grey 45–90, lighter than black.
                0 => *rng.pick(&[[0.10, 0.16, 0.55], [0.14, 0.22, 0.66], [0.20, 0.30, 0.75]]),
                1 => *rng.pick(&[[0.10, 0.10, 0.12], [0.16, 0.16, 0.18], [0.06, 0.06, 0.08]]),
                // Red: grey 55–75 in a colour scan's luminance.
                _ => *rng.pick(&[[0.52, 0.08, 0.12], [0.62, 0.12, 0.16]]),
            }
        };
        let grey = |g: f64| {
            let g = g as f32 / 255.0;
            [g, g, g * 1.01]
        };
        match self {
            Instrument::Ballpoint => Ink {
                rgb: pen_colour(rng, &[0.55, 0.30, 0.15]),
                opacity: rng.range(0.75, 1.0) as f32,
                grain: rng.range(0.0, 0.2) as f32,
            },
            Instrument::Gel => Ink {
                rgb: pen_colour(rng, &[0.5, 0.45, 0.05]),
                opacity: rng.range(0.85, 1.0) as f32,
                grain: rng.range(0.0, 0.08) as f32,
            },
            Instrument::FeltTip => Ink {
                rgb: pen_colour(rng, &[0.4, 0.5, 0.1]),
                opacity: rng.range(0.8, 1.0) as f32,
                grain: rng.range(0.0, 0.1) as f32,
            },
            Instrument::Pencil => Ink {
                rgb: grey(rng.range(90.0, 170.0)),
                opacity: rng.range(0.85, 1.0) as f32,
                grain: rng.range(0.3, 0.55) as f32,
            },
            Instrument::LightPencil => Ink {
                rgb: grey(rng.range(170.0, 215.0)),
                opacity: rng.range(0.85, 1.0) as f32,
                grain: rng.range(0.45, 0.65) as f32,
            },
        }
    }
}

/// One movement of the pen, in page millimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct Stroke {
    pub points: Vec<PointMm>,
    pub width_mm: f64,
    pub ink: Ink,
    /// How hard the hand pressed at each point, 0..1 (empty: evenly, at full strength). A
    /// ballpoint skips and fades where the hand eases off; a pencil greys out.
    pub pressure: Vec<f32>,
}

impl Stroke {
    /// An evenly pressed stroke.
    pub fn even(points: Vec<PointMm>, width_mm: f64, ink: Ink) -> Stroke {
        Stroke {
            points,
            width_mm,
            ink,
            pressure: Vec::new(),
        }
    }

    /// Pressure along the stroke: it eases in and out at the ends (by up to `ease`) and wanders
    /// slowly along the way (by up to `wander`), as a hand does.
    pub fn with_pressure(mut self, rng: &mut SimRng, ease: f64, wander: f64) -> Stroke {
        let n = self.points.len();
        if n < 2 {
            return self;
        }
        let (phase, freq) = (rng.range(0.0, std::f64::consts::TAU), rng.range(0.3, 1.1));
        let (start, end) = (rng.range(0.0, ease), rng.range(0.0, ease));
        let mut along = 0.0;
        let total: f64 = self
            .points
            .windows(2)
            .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
            .sum::<f64>()
            .max(1e-9);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if i > 0 {
                let (a, b) = (self.points[i - 1], self.points[i]);
                along += (b.x - a.x).hypot(b.y - a.y);
            }
            let t = along / total;
            // The first and last 20 % of the stroke ease in and out.
            let ease_in = start * (1.0 - (t / 0.2).min(1.0));
            let ease_out = end * (1.0 - ((1.0 - t) / 0.2).min(1.0));
            let w = wander * 0.5 * (1.0 + (freq * along + phase).sin());
            out.push((1.0 - ease_in - ease_out - w).clamp(0.15, 1.0) as f32);
        }
        self.pressure = out;
        self
    }
}

/// A word or two written by hand, set in the ballot font, slanted and jittered.
#[derive(Debug, Clone, PartialEq)]
pub struct Handwriting {
    pub text: String,
    /// Left end of the baseline.
    pub at: PointMm,
    /// Height of a capital letter.
    pub cap_mm: f64,
    /// Horizontal shift per unit of height (0.2 leans right).
    pub slant: f64,
    pub ink: Ink,
    /// Seed for the letters' small wobbles.
    pub wobble: u64,
}

impl Handwriting {
    /// A generous bounding box (millimetres), for keeping writing out of places it must not go.
    pub fn bounds(&self) -> RectMm {
        let w = self.text.chars().count() as f64 * self.cap_mm * 0.85
            + self.cap_mm * self.slant.abs()
            + 1.0;
        RectMm::new(
            self.at.x - 0.5,
            self.at.y - self.cap_mm * 1.45,
            w,
            self.cap_mm * 1.95,
        )
    }
}

/// Pixels, inclusive-exclusive, `x0..x1` × `y0..y1`.
#[derive(Debug, Clone, Copy)]
struct PxBox {
    x0: i64,
    y0: i64,
    x1: i64,
    y1: i64,
}

impl PxBox {
    fn intersect(self, o: PxBox) -> Option<PxBox> {
        let b = PxBox {
            x0: self.x0.max(o.x0),
            y0: self.y0.max(o.y0),
            x1: self.x1.min(o.x1),
            y1: self.y1.min(o.y1),
        };
        (b.x0 < b.x1 && b.y0 < b.y1).then_some(b)
    }
    fn w(&self) -> usize {
        (self.x1 - self.x0) as usize
    }
    fn h(&self) -> usize {
        (self.y1 - self.y0) as usize
    }
}

/// Coverage (0..1) of one stroke over a box of pixels, and the segment nearest each pixel
/// (for the pressure there; empty where the stroke is pressed evenly).
struct Mask {
    area: PxBox,
    cov: Vec<f32>,
    seg: Vec<u32>,
}

/// Rasterizes a stroke (points already in pixels) inside `clip`.
fn rasterize(points: &[(f64, f64)], radius: f64, clip: PxBox) -> Option<Mask> {
    let pad = radius + 1.5;
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in points {
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    let bounds = PxBox {
        x0: (x0 - pad).floor() as i64,
        y0: (y0 - pad).floor() as i64,
        x1: (x1 + pad).ceil() as i64 + 1,
        y1: (y1 + pad).ceil() as i64 + 1,
    };
    let area = bounds.intersect(clip)?;
    let (w, h) = (area.w(), area.h());
    let mut cov = vec![0f32; w * h];
    let mut nearest = vec![0u32; w * h];
    let segments: Vec<((f64, f64), (f64, f64))> = if points.len() == 1 {
        vec![(points[0], points[0])]
    } else {
        points.windows(2).map(|p| (p[0], p[1])).collect()
    };
    for (index, (a, b)) in segments.into_iter().enumerate() {
        let seg = PxBox {
            x0: (a.0.min(b.0) - pad).floor() as i64,
            y0: (a.1.min(b.1) - pad).floor() as i64,
            x1: (a.0.max(b.0) + pad).ceil() as i64 + 1,
            y1: (a.1.max(b.1) + pad).ceil() as i64 + 1,
        };
        let Some(s) = seg.intersect(area) else {
            continue;
        };
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        for y in s.y0..s.y1 {
            let py = y as f64 + 0.5;
            let row = (y - area.y0) as usize * w;
            for x in s.x0..s.x1 {
                let px = x as f64 + 0.5;
                let t = if len2 > 0.0 {
                    (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
                let d = (qx * qx + qy * qy).sqrt();
                let c = (radius + 0.5 - d).clamp(0.0, 1.0) as f32;
                let at = row + (x - area.x0) as usize;
                if c > cov[at] {
                    cov[at] = c;
                    nearest[at] = index as u32;
                }
            }
        }
    }
    Some(Mask {
        area,
        cov,
        seg: nearest,
    })
}

/// A rendered page and its scale, ready for ink.
pub struct Paper<'a> {
    pub img: &'a mut RgbImage,
    /// Pixels per millimetre of the render (`units::px_per_mm` of its dpi).
    pub px_per_mm: f64,
    /// Seed of the paper's grain under pencil strokes.
    pub grain_seed: u64,
}

impl Paper<'_> {
    /// Page millimetres to page pixels: the one conversion of this module.
    pub fn px(&self, p: PointMm) -> (f64, f64) {
        (p.x * self.px_per_mm, p.y * self.px_per_mm)
    }

    fn whole(&self) -> PxBox {
        PxBox {
            x0: 0,
            y0: 0,
            x1: self.img.width() as i64,
            y1: self.img.height() as i64,
        }
    }

    pub fn draw(&mut self, stroke: &Stroke) {
        let pts: Vec<(f64, f64)> = stroke.points.iter().map(|&p| self.px(p)).collect();
        if pts.is_empty() {
            return;
        }
        let radius = (stroke.width_mm * self.px_per_mm / 2.0).max(0.45);
        if let Some(mask) = rasterize(&pts, radius, self.whole()) {
            self.lay(&mask, stroke.ink, &stroke.pressure);
        }
    }

    /// Multiplies the paper by the ink where the mask covers it, as hard as the hand pressed
    /// on the nearest segment (`pressure` per point; empty: evenly).
    fn lay(&mut self, mask: &Mask, ink: Ink, pressure: &[f32]) {
        let w = mask.area.w();
        let seed = self.grain_seed;
        let width = self.img.width() as usize;
        let buf: &mut [u8] = self.img.as_mut();
        for y in mask.area.y0..mask.area.y1 {
            let row = &mask.cov[(y - mask.area.y0) as usize * w..][..w];
            for (i, &m) in row.iter().enumerate() {
                if m <= 0.0 {
                    continue;
                }
                let x = mask.area.x0 + i as i64;
                let mut a = m * ink.opacity;
                if !pressure.is_empty() {
                    let k = mask.seg[(y - mask.area.y0) as usize * w + i] as usize;
                    let next = (k + 1).min(pressure.len() - 1);
                    a *= 0.5 * (pressure[k.min(next)] + pressure[next]);
                }
                if ink.grain > 0.0 {
                    let u = (hash2(seed, x, y) >> 40) as f32 / (1u64 << 24) as f32;
                    a *= 1.0 - ink.grain * u;
                }
                let at = (y as usize * width + x as usize) * 3;
                for c in 0..3 {
                    let v = buf[at + c] as f32 * (1.0 - a * (1.0 - ink.rgb[c]));
                    buf[at + c] = v.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }

    /// Paints a rectangle in one colour (white-out, a label stuck over the stamp).
    pub fn paint(&mut self, r: RectMm, rgb: [u8; 3]) {
        let (x0, y0) = self.px(PointMm {
            x: r.x_mm,
            y: r.y_mm,
        });
        let (x1, y1) = self.px(PointMm {
            x: r.right(),
            y: r.bottom(),
        });
        let b = PxBox {
            x0: x0.floor() as i64,
            y0: y0.floor() as i64,
            x1: x1.ceil() as i64,
            y1: y1.ceil() as i64,
        };
        let Some(b) = b.intersect(self.whole()) else {
            return;
        };
        for y in b.y0..b.y1 {
            for x in b.x0..b.x1 {
                self.img.put_pixel(x as u32, y as u32, image::Rgb(rgb));
            }
        }
    }

    /// Writes a word or two in the ballot font, leaning and wobbling like a hand.
    pub fn write(&mut self, hw: &Handwriting, font: &FontRef<'_>) {
        let k = self.px_per_mm;
        let scaled_probe = font.as_scaled(PxScale::from(100.0));
        // Capital height is about 0.73 of the em; PxScale is ascent − descent, about 1.16 em.
        let em_per_scale = 100.0 / (scaled_probe.ascent() - scaled_probe.descent()) as f64;
        let scale_px = hw.cap_mm / 0.73 * k / em_per_scale;
        let mut rng = SimRng::new(hw.wobble);
        let sf = font.as_scaled(PxScale::from(scale_px as f32));
        let ascent = sf.ascent() as f64;
        let (ox, oy) = self.px(hw.at);
        // Local mask: glyphs laid out on a baseline at `ascent`, then sheared while splatting.
        let text_w: f64 = hw
            .text
            .chars()
            .map(|c| sf.h_advance(font.glyph_id(c)) as f64)
            .sum();
        let height = (ascent - sf.descent() as f64).ceil() as usize + 4;
        let lean = hw.slant.abs() * height as f64;
        let width = (text_w * 1.1 + 2.0 * lean).ceil() as usize + 8;
        let mut cov = vec![0f32; width * height];
        let mut caret = 2.0 + lean;
        for c in hw.text.chars() {
            let id = font.glyph_id(c);
            let adv = sf.h_advance(id) as f64;
            let dy = rng.sym(0.12) * hw.cap_mm * k * 0.3;
            let g = id.with_scale_and_position(
                PxScale::from((scale_px * rng.range(0.93, 1.07)) as f32),
                point(caret as f32, (ascent + 2.0 + dy) as f32),
            );
            caret += adv * rng.range(0.95, 1.12);
            let Some(og) = font.outline_glyph(g) else {
                continue;
            };
            let b = og.px_bounds();
            og.draw(|gx, gy, c| {
                let (lx, ly) = (b.min.x as f64 + gx as f64, b.min.y as f64 + gy as f64);
                // Shear: points above the baseline move right by `slant` per pixel of height.
                let sx = lx + hw.slant * (ascent + 2.0 - ly);
                let (ix, fx) = (sx.floor(), sx - sx.floor());
                let iy = ly as i64;
                for (xx, share) in [(ix as i64, 1.0 - fx), (ix as i64 + 1, fx)] {
                    if xx >= 0 && (xx as usize) < width && iy >= 0 && (iy as usize) < height {
                        let cell = &mut cov[iy as usize * width + xx as usize];
                        *cell = (*cell + c * share as f32).min(1.0);
                    }
                }
            });
        }
        // Place the local mask so that its baseline lands on `at`.
        let area = PxBox {
            x0: (ox - 2.0 - lean).round() as i64,
            y0: (oy - ascent - 2.0).round() as i64,
            x1: 0,
            y1: 0,
        };
        let area = PxBox {
            x1: area.x0 + width as i64,
            y1: area.y0 + height as i64,
            ..area
        };
        let Some(clipped) = area.intersect(self.whole()) else {
            return;
        };
        let mut mask = Mask {
            area: clipped,
            cov: vec![0f32; clipped.w() * clipped.h()],
            seg: Vec::new(),
        };
        for y in clipped.y0..clipped.y1 {
            for x in clipped.x0..clipped.x1 {
                let src = (y - area.y0) as usize * width + (x - area.x0) as usize;
                mask.cov[(y - clipped.y0) as usize * clipped.w() + (x - clipped.x0) as usize] =
                    cov[src];
            }
        }
        self.lay(&mask, hw.ink, &[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 20 × 10 mm white page at 10 px/mm, and an even ink of colour `rgb`.
    fn page(rgb: [f32; 3]) -> (RgbImage, Ink) {
        let img = RgbImage::from_pixel(200, 100, image::Rgb([255, 255, 255]));
        let ink = Ink {
            rgb,
            opacity: 1.0,
            grain: 0.0,
        };
        (img, ink)
    }

    fn paper(img: &mut RgbImage) -> Paper<'_> {
        Paper {
            img,
            px_per_mm: 10.0,
            grain_seed: 1,
        }
    }

    #[test]
    fn a_stroke_darkens_only_along_its_path() {
        let (mut img, ink) = page([0.1, 0.1, 0.5]);
        let mut paper = paper(&mut img);
        let s = Stroke::even(
            vec![PointMm { x: 2.0, y: 5.0 }, PointMm { x: 18.0, y: 5.0 }],
            0.6,
            ink,
        );
        paper.draw(&s);
        assert!(img.get_pixel(100, 50)[0] < 40);
        assert_eq!(img.get_pixel(100, 20)[0], 255);
        assert_eq!(img.get_pixel(5, 50)[0], 255);
    }

    #[test]
    fn a_hand_easing_off_leaves_a_lighter_line() {
        let (mut img, ink) = page([0.1, 0.1, 0.1]);
        let mut paper = paper(&mut img);
        let points: Vec<PointMm> = (0..=16)
            .map(|i| PointMm {
                x: 2.0 + i as f64,
                y: 5.0,
            })
            .collect();
        let mut s = Stroke::even(points, 0.6, ink);
        // Full pressure on the left half, a fifth of it on the right.
        s.pressure = (0..=16).map(|i| if i < 8 { 1.0 } else { 0.2 }).collect();
        paper.draw(&s);
        let (left, right) = (img.get_pixel(40, 50)[0], img.get_pixel(160, 50)[0]);
        assert!(left < 50 && right > 180, "{left} {right}");
    }
}
