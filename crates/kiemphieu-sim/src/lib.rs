//! # kiemphieu-sim — simulated scans and how well they are read
//!
//! [`simulate`]: marked, scanner-like sheets of a vote's ballots with their ground truth;
//! [`accuracy`]: a run scanned and scored against the truth; [`calibration`]: the
//! distributions the reading profile's constants rest on.

pub mod accuracy;
pub mod calibration;
pub mod simulate;

// The modules below name these as `crate::…`, as they did inside one crate.
use kiemphieu_core::{font, form, layout, record, rng, serial, units};
use kiemphieu_decode::raster;
use kiemphieu_docs::print;
use kiemphieu_store::{scan, store, vote};

/// Interpretation as the simulator uses it: the pure stages and the file decoder.
mod interpret {
    pub use kiemphieu_core::interpret::*;
    // Only the simulator's own tests decode what it wrote.
    #[cfg(test)]
    pub use kiemphieu_decode::decode;
}
