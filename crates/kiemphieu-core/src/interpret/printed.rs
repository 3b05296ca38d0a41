//! Where the ballot's own ink is in a name cell: the printed name, rasterized from the same font
//! and placement the PDF uses, in millimetres. The crossing-out search ignores this ink, so that
//! only what a voter added can make a line through a name; the letters of a long or dense name
//! can no longer look like one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ab_glyph::{Font, PxScale, ScaleFont, point};

use crate::font::{BallotFont, MM_PER_PT};
use crate::layout::{NAME_PT, PointMm, RowLayout};

/// Mask resolution, pixels per millimetre.
const RES: f64 = 10.0;
/// How far around a printed letter ink is still taken as printed: registration error at the
/// name, print spread and scanner blur.
pub const PRINTED_SPREAD_MM: f64 = 0.3;

/// The printed name of one row, dilated by [`PRINTED_SPREAD_MM`].
pub struct PrintedName {
    /// The top of the capitals and the baseline, in page millimetres.
    body: (f64, f64),
    x0: f64,
    y0: f64,
    w: usize,
    h: usize,
    bits: Vec<bool>,
}

type Key = (String, [u64; 4], Option<u64>);

impl PrintedName {
    /// The mask of a row, made once per name and place for the whole process: every sheet of a
    /// vote prints the same names in the same places.
    pub fn of_row(row: &RowLayout) -> Arc<PrintedName> {
        static CACHE: OnceLock<Mutex<HashMap<Key, Arc<PrintedName>>>> = OnceLock::new();
        let r = &row.name_rect;
        let key = (
            row.name.clone(),
            [r.x_mm, r.y_mm, r.w_mm, r.h_mm].map(f64::to_bits),
            row.name_baseline_mm.map(f64::to_bits),
        );
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(m) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return m.clone();
        }
        let m = Arc::new(PrintedName::of(row, &BallotFont::regular()));
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, m.clone());
        m
    }

    /// Rasterizes `row.name` where `layout` prints it (left end of the baseline at
    /// `name_rect.x`, the baseline where the layout says).
    pub fn of(row: &RowLayout, font: &BallotFont) -> PrintedName {
        let baseline = row.name_baseline(font);
        let pad = PRINTED_SPREAD_MM + 0.5;
        let x0 = row.name_rect.x_mm - pad;
        let y0 = row.name_rect.y_mm - pad;
        let w = ((row.name_rect.w_mm + 2.0 * pad) * RES).ceil() as usize;
        let h = ((row.name_rect.h_mm + 2.0 * pad) * RES).ceil() as usize;
        let mut ink = vec![false; w * h];
        let face = font.face();
        let upem = face.units_per_em().unwrap_or(1000.0) as f64;
        let em_px = NAME_PT * MM_PER_PT * RES;
        // ab_glyph scales by the font's height (ascent − descent); the PDF by its em.
        let s = (em_px * face.height_unscaled() as f64 / upem) as f32;
        let scale = PxScale { x: s, y: s };
        let scaled = face.as_scaled(scale);
        let mut caret = ((row.name_rect.x_mm - x0) * RES) as f32;
        let base_px = ((baseline - y0) * RES) as f32;
        for c in row.name.chars() {
            let id = face.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, point(caret, base_px));
            if let Some(outlined) = face.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, cover| {
                    let (x, y) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                    if cover > 0.2 && x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
                        ink[y as usize * w + x as usize] = true;
                    }
                });
            }
            caret += scaled.h_advance(id);
        }
        let cap = font.ink_extent_mm("H", NAME_PT).0;
        PrintedName {
            body: (baseline - cap, baseline),
            x0,
            y0,
            w,
            h,
            bits: dilate(&ink, w, h, (PRINTED_SPREAD_MM * RES).round() as i64),
        }
    }

    /// From the top of the capitals to the baseline: where a line crossing the name runs.
    pub fn body(&self) -> (f64, f64) {
        self.body
    }

    /// Whether the ballot itself printed ink at (or within the spread of) `p`.
    pub fn printed(&self, p: PointMm) -> bool {
        let x = (p.x - self.x0) * RES;
        let y = (p.y - self.y0) * RES;
        if x < 0.0 || y < 0.0 {
            return false;
        }
        // Non-negative: truncation is the floor, without a libm call.
        let (x, y) = (x as usize, y as usize);
        x < self.w && y < self.h && self.bits[y * self.w + x]
    }
}

/// Grows the set pixels by a disc of radius `r` pixels.
fn dilate(src: &[bool], w: usize, h: usize, r: i64) -> Vec<bool> {
    let mut out = vec![false; w * h];
    let offsets: Vec<(i64, i64)> = (-r..=r)
        .flat_map(|dy| (-r..=r).map(move |dx| (dx, dy)))
        .filter(|(dx, dy)| dx * dx + dy * dy <= r * r)
        .collect();
    for y in 0..h as i64 {
        for x in 0..w as i64 {
            if !src[y as usize * w + x as usize] {
                continue;
            }
            for (dx, dy) in &offsets {
                let (u, v) = (x + dx, y + dy);
                if u >= 0 && v >= 0 && (u as usize) < w && (v as usize) < h {
                    out[v as usize * w + u as usize] = true;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{NAME_INK_MARGIN_MM, RectMm};

    fn row(name: &str) -> RowLayout {
        let font = BallotFont::regular();
        let (above, below) = font.ink_extent_mm(name, NAME_PT);
        RowLayout {
            subject: 1,
            name: name.into(),
            position: String::new(),
            name_rect: RectMm::new(
                30.0,
                100.0,
                font.width_mm(name, NAME_PT),
                above + below + 2.0 * NAME_INK_MARGIN_MM,
            ),
            row_rect: RectMm::new(15.0, 95.0, 180.0, 14.0),
            boxes: [RectMm::new(0.0, 0.0, 1.0, 1.0); 3],
            name_baseline_mm: None,
        }
    }

    #[test]
    fn the_mask_covers_the_letters_and_not_the_space_around_them() {
        let font = BallotFont::regular();
        let r = row("HH");
        let m = PrintedName::of(&r, &font);
        let top = r.name_rect.y_mm + NAME_INK_MARGIN_MM;
        let cap = font.ink_extent_mm("H", NAME_PT).0;
        // The left stem of the first H, half-way up.
        let stem = PointMm {
            x: r.name_rect.x_mm + 0.6,
            y: top + cap / 2.0,
        };
        assert!(m.printed(stem));
        // Well above the capitals, and past the end of the name.
        assert!(!m.printed(PointMm {
            x: stem.x,
            y: top - 1.0
        }));
        assert!(!m.printed(PointMm {
            x: r.name_rect.right() + 1.0,
            y: stem.y
        }));
    }
}
