//! # kiemphieu-core — the ballot's world, without I/O beyond an image in memory
//!
//! What every front end and every auditor shares, and nothing that needs a database, a PDF
//! writer, a file watcher or a PDF rasterizer (`cargo tree -p kiemphieu-core` shows none):
//!
//! 1. [`form`]: the committee's form file, validated; [`grid`]: the sizes both its fit check and
//!    the layout use.
//! 2. [`layout`]: the page geometry in millimetres — the one thing printing and reading share;
//!    [`units`]: the named conversions between millimetres, points and pixels.
//! 3. [`interpret`]: one decoded page to a reading (register → QR → marks → rows), pure.
//! 4. [`record`]: what a page amounted to; [`serial`]: the printed serials.
//! 5. [`decision`]: a person's decision and what a sheet counts as; [`meeting`]: the meeting's
//!    facts and the quorum rule; [`tally`]: the regulation's figures.
//! 6. [`annotate`]: a page drawn upright with its reading, for a person to look at.
//!
//! Small shared pieces: [`date`] (the store's timestamps, the form's dates), [`rng`] (a fixed
//! generator for reproducible samples), [`font`] (the one font every stage measures with).

pub mod annotate;
pub mod date;
pub mod decision;
pub mod font;
pub mod form;
pub mod grid;
pub mod interpret;
pub mod layout;
pub mod meeting;
pub mod record;
pub mod rng;
pub mod serial;
pub mod tally;
pub mod units;
