//! The ballot font: DejaVu Sans (regular and bold), shipped in `assets/fonts` with its licence.
//!
//! One font serves the PDF, the measurement of printed text (so the layout knows where a name ends)
//! and the annotated pictures, so every stage agrees on the same glyphs.

use ab_glyph::{Font, FontRef};

pub static REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
pub static BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

pub use crate::units::MM_PER_PT;

/// A parsed face of the ballot font.
pub struct BallotFont {
    face: FontRef<'static>,
}

impl BallotFont {
    pub fn regular() -> BallotFont {
        BallotFont {
            face: FontRef::try_from_slice(REGULAR_TTF).expect("bundled font parses"),
        }
    }

    pub fn bold() -> BallotFont {
        BallotFont {
            face: FontRef::try_from_slice(BOLD_TTF).expect("bundled font parses"),
        }
    }

    pub fn face(&self) -> &FontRef<'static> {
        &self.face
    }

    /// The first character of `text` that this face has no glyph for (controls excepted).
    pub fn first_missing_char(&self, text: &str) -> Option<char> {
        text.chars()
            .filter(|c| !c.is_control())
            .find(|&c| self.face.glyph_id(c).0 == 0)
    }

    /// The advance width of `text` set at `size_pt`, in millimetres (no kerning: the PDF sets none).
    pub fn width_mm(&self, text: &str, size_pt: f64) -> f64 {
        let units = self.face.units_per_em().unwrap_or(1000.0) as f64;
        let advance: f64 = text
            .chars()
            .map(|c| self.face.h_advance_unscaled(self.face.glyph_id(c)) as f64)
            .sum();
        advance / units * size_pt * MM_PER_PT
    }

    /// Height above the baseline of capitals with their Vietnamese accents, in millimetres.
    pub fn ascent_mm(&self, size_pt: f64) -> f64 {
        let units = self.face.units_per_em().unwrap_or(1000.0) as f64;
        self.face.ascent_unscaled() as f64 / units * size_pt * MM_PER_PT
    }

    /// How far the ink of `text` reaches above and below its baseline (both positive), in
    /// millimetres, from the glyph outlines: stacked accents (Ễ) and dots under descenders (gỵ)
    /// included.
    pub fn ink_extent_mm(&self, text: &str, size_pt: f64) -> (f64, f64) {
        let scale = size_pt * MM_PER_PT / self.face.units_per_em().unwrap_or(1000.0) as f64;
        let (mut above, mut below) = (0.0f64, 0.0f64);
        for c in text.chars() {
            if let Some(o) = self.face.outline(self.face.glyph_id(c)) {
                // Font units, y up from the baseline; ab_glyph puts the top (y_max) in `min.y`
                // and the bottom (y_min) in `max.y`, ready for its y-down pixel space.
                above = above.max(o.bounds.min.y as f64);
                below = below.max(-o.bounds.max.y as f64);
            }
        }
        (above * scale, below * scale)
    }

    /// Depth below the baseline (positive), in millimetres.
    pub fn descent_mm(&self, size_pt: f64) -> f64 {
        let units = self.face.units_per_em().unwrap_or(1000.0) as f64;
        -(self.face.descent_unscaled() as f64) / units * size_pt * MM_PER_PT
    }

    /// Splits `text` into lines no wider than `max_mm`, breaking at spaces; `None` when a single
    /// word is wider than `max_mm`.
    pub fn wrap(&self, text: &str, size_pt: f64, max_mm: f64) -> Option<Vec<String>> {
        if text
            .split_whitespace()
            .any(|word| self.width_mm(word, size_pt) > max_mm)
        {
            return None;
        }
        Some(self.wrap_cutting(text, size_pt, max_mm))
    }

    /// Splits `text` into lines no wider than `max_mm`, at spaces, as [`BallotFont::wrap`] does;
    /// a word wider than a line is cut between characters (the minutes' table cells).
    pub fn wrap_cutting(&self, text: &str, size_pt: f64, max_mm: f64) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if self.width_mm(&candidate, size_pt) <= max_mm {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone, cut if it must be.
            for c in word.chars() {
                line.push(c);
                if self.width_mm(&line, size_pt) > max_mm && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_is_covered_and_emoji_is_not() {
        let f = BallotFont::regular();
        assert_eq!(
            f.first_missing_char("Nguyễn Thị Hường, Phó Giám đốc Sở — Tín nhiệm thấp"),
            None
        );
        assert_eq!(f.first_missing_char("A 𝄞 B"), Some('𝄞'));
    }

    #[test]
    fn width_grows_with_text_and_size() {
        let f = BallotFont::regular();
        let w = f.width_mm("Nguyễn Văn A", 11.0);
        assert!(w > 15.0 && w < 35.0, "{w}");
        assert!((f.width_mm("Nguyễn Văn A", 22.0) - 2.0 * w).abs() < 1e-9);
    }

    #[test]
    fn ink_extent_reaches_stacked_accents_and_descenders() {
        let f = BallotFont::regular();
        let (cap, none) = f.ink_extent_mm("AVE", 10.0);
        assert!(cap > 2.3 && cap < 2.8, "{cap}");
        assert!(none < 0.05, "{none}");
        let (stacked, _) = f.ink_extent_mm("Ễ", 10.0);
        assert!(stacked > cap + 0.5, "{stacked} vs {cap}");
        let (_, deep) = f.ink_extent_mm("gỵ", 10.0);
        assert!(deep > 0.6, "{deep}");
    }

    #[test]
    fn wrap_breaks_at_spaces() {
        let f = BallotFont::regular();
        let lines = f.wrap("Tín nhiệm thấp", 9.0, 18.0).unwrap();
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| f.width_mm(l, 9.0) <= 18.0));
        assert!(f.wrap("Supercalifragilistic", 12.0, 5.0).is_none());
    }
}
