//! # kiemphieu-store — the vote folder
//!
//! [`vote`] (the folder: form, layout, ballots, archive) and [`store`] (its SQLite registry of
//! serials and sheets and the hash-chained event log); [`scan`] and [`watch`] record what scanned
//! pages say; [`review`], [`void`]: a person's decisions and the returned ballots
//! ([`two_person`]: decisions that take effect when a second member confirms them); [`ledger`],
//! [`registry`] and [`audit`]: the record checked against its log and re-read from its images
//! ([`difference`] is what they report); [`sheet_picture`] and [`sample`]: a recorded sheet as a
//! person looks at it, and the hand-count sample.
//!
//! Scanning lives here, not in core, because each page is recorded in the transaction that
//! claims its serial: reading is pure (`kiemphieu_core::interpret`), recording is the store's.

pub mod audit;
pub mod difference;
pub mod ledger;
pub mod registry;
pub mod review;
pub mod sample;
pub mod scan;
pub mod sheet_picture;
pub mod store;
pub mod two_person;
pub mod void;
pub mod vote;
pub mod watch;

// The modules below name these as `crate::…`, as they did inside one crate.
use kiemphieu_core::{annotate, date, decision, form, layout, meeting, record, rng, serial, tally};
use kiemphieu_docs::{print, sample_sheets};

/// Interpretation as the store uses it: the pure stages and the file decoder.
mod interpret {
    pub use kiemphieu_core::interpret::*;
    pub use kiemphieu_decode::decode;
}
