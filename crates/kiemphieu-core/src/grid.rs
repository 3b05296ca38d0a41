//! The ballot's fixed grid: the table's columns and rows, the type sizes and how much room each
//! text of the form gets. Both the form's check that its texts fit ([`crate::form`]) and the
//! layout that places them ([`crate::layout`]) read these, so a size is written once and the
//! form does not depend on the layout.

use crate::units::mm_from_pt;

/// Left edge of the table.
pub const TABLE_LEFT: f64 = 15.0;
/// Top edge of the table.
pub const TABLE_TOP: f64 = 80.0;
/// Height of the table's head row.
pub const HEADER_ROW_MM: f64 = 12.0;
/// The table ends above this line, however many subjects.
pub const TABLE_BOTTOM_MAX: f64 = 270.0;
pub const ROW_MAX_MM: f64 = 14.0;
pub const ROW_MIN_MM: f64 = 8.0;
/// Column widths: STT | Họ và tên | Chức vụ | level × 3.
pub const COLS_MM: [f64; 6] = [10.0, 55.0, 46.0, 23.0, 23.0, 23.0];
/// Space between a cell's rule and its text.
pub const CELL_PAD_MM: f64 = 2.0;

/// A subject's name.
pub const NAME_PT: f64 = 11.0;
/// A subject's position, wrapped to as many lines as the row holds.
pub const POSITION_PT: f64 = 9.5;
/// Line spacing of a position's lines, in type sizes.
pub const POSITION_LEADING: f64 = 1.15;
/// The table's head (level labels wrap to at most [`LEVEL_MAX_LINES`] lines).
pub const HEADER_PT: f64 = 8.5;
pub const LEVEL_MAX_LINES: usize = 2;

/// The agency's lines in the header, each at most [`ORGANIZATION_MAX_MM`] wide.
pub const ORGANIZATION_PT: f64 = 10.0;
pub const ORGANIZATION_MAX_MM: f64 = 100.0;
pub const ORGANIZATION_MAX_LINES: usize = 4;
/// The title, and the subtitle's lines under it, each at most [`TITLE_MAX_MM`] wide.
pub const TITLE_PT: f64 = 15.0;
pub const SUBTITLE_PT: f64 = 10.0;
pub const SUBTITLE_MAX_LINES: usize = 2;
pub const TITLE_MAX_MM: f64 = 175.0;

/// How many subjects fit on one page.
pub fn max_subjects() -> usize {
    ((TABLE_BOTTOM_MAX - TABLE_TOP - HEADER_ROW_MM) / ROW_MIN_MM).floor() as usize
}

/// The height of a row when the table holds `n` subjects.
pub fn row_height(n: usize) -> f64 {
    ((TABLE_BOTTOM_MAX - TABLE_TOP - HEADER_ROW_MM) / n.max(1) as f64).clamp(ROW_MIN_MM, ROW_MAX_MM)
}

/// The x of the rule left of column `i` (`i == COLS_MM.len()`: the table's right edge).
pub fn col_x(i: usize) -> f64 {
    TABLE_LEFT + COLS_MM[..i].iter().sum::<f64>()
}

/// The height of one line of a position.
pub fn position_line_mm() -> f64 {
    mm_from_pt(POSITION_PT) * POSITION_LEADING
}

/// How many lines of a position a row `row_h` high holds (at least one).
pub fn position_max_lines(row_h: f64) -> usize {
    ((row_h - 1.0) / position_line_mm()).floor().max(1.0) as usize
}
