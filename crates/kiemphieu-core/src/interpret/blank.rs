//! Whether a page has a ballot printed on it at all. A duplex scan writes every sheet's back
//! side, and an empty sheet can slip into the feeder: such a page is recorded as `blank`, not
//! sent to a person. Only a page with (almost) no ink is blank: a faint or half-printed ballot
//! still has its table, names and title, hundreds of times the ink a blank page shows.

use image::GrayImage;

use super::streaks::ScannerLines;

/// Ink is at least this many grey levels darker than the paper (show-through from the other
/// side and fold shadows stay under it).
const INK_STEP: u8 = 40;
/// A page whose centre has less than this share of ink is blank. A ballot's centre holds its
/// table and names: 1.5 % and more of the area, half-printed or faint.
const BLANK_SHARE: f64 = 0.0005;

/// Whether the page's central part (the middle 80 % each way, clear of the scanner bed) holds
/// no ink beyond dust, hairs and the scanner's own lines.
pub fn is_blank(img: &GrayImage, lines: &ScannerLines) -> bool {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 10 || h < 10 {
        return false;
    }
    let (x0, x1, y0, y1) = (w / 10, w - w / 10, h / 10, h - h / 10);
    let raw = img.as_raw();
    let mut hist = [0u64; 256];
    for y in (y0..y1).step_by(2) {
        for x in (x0..x1).step_by(2) {
            hist[raw[y * w + x] as usize] += 1;
        }
    }
    let total: u64 = hist.iter().sum();
    // The paper: the grey level below which 90 % of the page lies (ink is the dark tail).
    let mut acc = 0;
    let mut paper = 255u8;
    for (v, &n) in hist.iter().enumerate() {
        acc += n;
        if acc * 10 >= total * 9 {
            paper = v as u8;
            break;
        }
    }
    let Some(ink_below) = paper.checked_sub(INK_STEP) else {
        return false; // a dark page: not blank paper
    };
    let mut ink = 0u64;
    let mut seen = 0u64;
    for y in (y0..y1).step_by(2) {
        for x in (x0..x1).step_by(2) {
            let hidden = lines.hides(super::geometry::PointPx {
                x: x as f64 + 0.5,
                y: y as f64 + 0.5,
            });
            if hidden {
                continue;
            }
            seen += 1;
            ink += (raw[y * w + x] < ink_below) as u64;
        }
    }
    seen > 0 && (ink as f64) < BLANK_SHARE * seen as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::streaks::find_scanner_lines;

    #[test]
    fn an_empty_page_with_dust_and_a_streak_is_blank_and_a_few_lines_of_print_are_not() {
        let mut img = GrayImage::from_pixel(620, 877, image::Luma([238]));
        for (x, y) in [(100, 200), (300, 500), (400, 700)] {
            img.put_pixel(x, y, image::Luma([60]));
        }
        for y in 0..877 {
            img.put_pixel(311, y, image::Luma([90]));
            img.put_pixel(312, y, image::Luma([90]));
        }
        let lines = find_scanner_lines(&img);
        assert!(is_blank(&img, &lines));
        // Two faint rules (grey 170) across the middle: a ballot printed with little toner.
        for x in 100..520 {
            for y in [400, 401, 450, 451] {
                img.put_pixel(x, y, image::Luma([170]));
            }
        }
        assert!(!is_blank(&img, &lines));
    }
}
