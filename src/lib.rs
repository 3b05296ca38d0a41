//! # kiemphieu — counting the votes of a paper confidence vote
//!
//! The pipeline, one module per stage, over five crates whose boundaries are the walls between
//! the stages (README, "Architecture"):
//!
//! 1. [`form`]: the committee's form file, validated and frozen into the vote folder.
//! 2. [`layout`]: the page geometry in millimetres — the one thing printing and reading share.
//! 3. [`print`]: the ballots as a PDF, each page with a QR code holding a random [`serial`].
//! 4. [`vote`] and [`store`]: the vote folder, its SQLite registry of serials and sheets, and a
//!    hash-chained event log.
//! 5. [`scan`] (and [`watch`] for a live folder): scanned pages through [`interpret`] (decode,
//!    find the scanner's streaks, register, QR, marks, decided by the vote's reading profile) to
//!    one [`record`] per page, with the image archived under its hash.
//! 6. [`void`], [`review`], [`meeting`]: unused ballots voided; a person decides what the
//!    machine must not ([`decision`]); the meeting's facts and committee.
//! 7. [`tally`], [`minutes`], [`plan`]: the regulation's figures, the signed minutes, the timeline.
//! 8. [`audit`], [`ledger`], [`sample`]: the record re-read from the archived images and checked
//!    against its event log ([`registry`]: the claims and voids replayed in log order); a
//!    hand-count sample.
//! 9. [`simulate`], [`accuracy`], [`calibration`]: marked, scanner-like sheets with their truth,
//!    the scores, and the distributions the reading profile's constants rest on.
//!
//! The crates: `kiemphieu-core` (1–2, interpretation, records, decisions, tally: no database, no
//! PDF writer, no file watching), `kiemphieu-decode` (files to pages), `kiemphieu-docs` (every
//! PDF), `kiemphieu-store` (the vote folder, scanning into it, review, audit), `kiemphieu-sim`
//! (9). This crate re-exports their modules under the names they always had, and holds the
//! command line. Every error names the file and the reason; the binary (`src/main.rs`) only
//! parses arguments, calls one function per command, prints, and sets the exit status.

pub use kiemphieu_core::{
    annotate, date, decision, font, form, grid, layout, meeting, record, rng, serial, tally, units,
};
pub use kiemphieu_decode::raster;
pub use kiemphieu_docs::{minutes, plan, print, sample_sheets};
pub use kiemphieu_sim::{accuracy, calibration, simulate};
pub use kiemphieu_store::{
    audit, difference, ledger, registry, review, sample, scan, sheet_picture, store, two_person,
    void, vote, watch,
};

/// Interpretation: the pure stages (`kiemphieu_core::interpret`) and the file decoder
/// (`kiemphieu_decode::decode`), under one name as before.
pub mod interpret {
    pub use kiemphieu_core::interpret::*;
    pub use kiemphieu_decode::decode;
}
pub mod api;
pub mod serve;
