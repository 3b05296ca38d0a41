//! Named conversions between the three spaces a length lives in: the layout's millimetres, the
//! PDF's points (1/72 inch) and a scan's pixels (at some dots per inch). A value crosses from one
//! space to another only through a function here, so a `/ 25.4` is never written inline again.

/// Millimetres in one inch.
pub const MM_PER_INCH: f64 = 25.4;
/// PostScript points in one inch.
pub const PT_PER_INCH: f64 = 72.0;
/// Millimetres in one PostScript point.
pub const MM_PER_PT: f64 = MM_PER_INCH / PT_PER_INCH;

/// The ISO A4 sheet every document of the project is printed on.
pub const A4_W_MM: f64 = 210.0;
pub const A4_H_MM: f64 = 297.0;

/// A length in points as millimetres.
pub fn mm_from_pt(pt: f64) -> f64 {
    pt * MM_PER_PT
}

/// A length in millimetres as points.
pub fn pt_from_mm(mm: f64) -> f64 {
    mm / MM_PER_PT
}

/// A length in millimetres as inches.
pub fn inch_from_mm(mm: f64) -> f64 {
    mm / MM_PER_INCH
}

/// A length in inches as millimetres.
pub fn mm_from_inch(inch: f64) -> f64 {
    inch * MM_PER_INCH
}

/// A length in points as inches.
pub fn inch_from_pt(pt: f64) -> f64 {
    pt / PT_PER_INCH
}

/// Pixels in one millimetre at `dpi`.
pub fn px_per_mm(dpi: f64) -> f64 {
    dpi / MM_PER_INCH
}

/// The resolution (dots per inch) of `px_per_mm` pixels a millimetre.
pub fn dpi_from_px_per_mm(px_per_mm: f64) -> f64 {
    px_per_mm * MM_PER_INCH
}

/// A length of `px` pixels at `dpi`, in points.
pub fn pt_from_px(px: f64, dpi: f64) -> f64 {
    px * PT_PER_INCH / dpi
}

/// The resolution (dots per inch) at which `px` pixels span `mm` millimetres.
pub fn dpi_of(px: f64, mm: f64) -> f64 {
    px / inch_from_mm(mm)
}

/// Pixels in one point at `dpi` (a PDF page rendered at that resolution).
pub fn px_per_pt(dpi: f64) -> f64 {
    dpi / PT_PER_INCH
}

/// A y measured downwards from the top of a page `page_h_mm` high, as a y measured upwards from
/// its bottom (the PDF's origin). Its own inverse.
pub fn flip_y(y_mm: f64, page_h_mm: f64) -> f64 {
    page_h_mm - y_mm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inch_is_72_points_and_25_4_mm() {
        assert!((pt_from_mm(25.4) - 72.0).abs() < 1e-12);
        assert!((mm_from_pt(72.0) - 25.4).abs() < 1e-12);
        assert!((mm_from_inch(inch_from_mm(12.5)) - 12.5).abs() < 1e-12);
        assert!((dpi_of(300.0, 25.4) - 300.0).abs() < 1e-9);
        assert!((px_per_pt(144.0) - 2.0).abs() < 1e-12);
        assert_eq!(flip_y(flip_y(40.0, A4_H_MM), A4_H_MM), 40.0);
    }
}
