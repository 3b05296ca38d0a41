//! # kiemphieu — counting the votes of a paper confidence vote
//!
//! The pipeline, one module per stage:
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
//!    machine must not; the meeting's facts and committee.
//! 7. [`tally`], [`minutes`], [`plan`]: the regulation's figures, the signed minutes, the timeline.
//! 8. [`audit`], [`ledger`], [`sample`]: the record re-read from the archived images and checked
//!    against its event log ([`registry`]: the claims and voids replayed in log order); a
//!    hand-count sample.
//! 9. [`simulate`], [`accuracy`], [`calibration`]: marked, scanner-like sheets with their truth,
//!    the scores, and the distributions the reading profile's constants rest on.
//!
//! Every error names the file and the reason; the binary (`src/main.rs`) only parses arguments,
//! calls one function per command, prints, and sets the exit status.

pub mod accuracy;
pub mod annotate;
pub mod audit;
pub mod calibration;
pub mod date;
pub mod decision;
pub mod difference;
pub mod font;
pub mod form;
pub mod grid;
pub mod interpret;
pub mod layout;
pub mod ledger;
pub mod meeting;
pub mod minutes;
pub mod plan;
pub mod print;
pub mod raster;
pub mod record;
pub mod registry;
pub mod review;
pub mod rng;
pub mod sample;
pub mod sample_sheets;
pub mod scan;
pub mod serial;
pub mod sheet_picture;
pub mod simulate;
pub mod store;
pub mod tally;
pub mod units;
pub mod void;
pub mod vote;
pub mod watch;
