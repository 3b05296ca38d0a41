//! # kiemphieu-docs — the documents
//!
//! Everything the project prints, from values in memory to PDF bytes (or text): [`print`] the
//! ballots, [`minutes`] the signed minutes, [`sample_sheets`] the hand-count sample, [`plan`] the
//! timeline and its calendar. The three PDFs are drawn with one page writer in millimetres,
//! [`page`]. Nothing here reads the vote folder: the store gathers what a
//! document shows and hands it over.

pub mod minutes;
pub mod page;
pub mod plan;
pub mod print;
pub mod sample_sheets;

// The modules below name these as `crate::…`, as they did inside one crate.
use kiemphieu_core::{annotate, date, font, form, layout, meeting, record, serial, tally, units};
