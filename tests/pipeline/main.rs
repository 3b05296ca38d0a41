//! The pipeline's integration tests, from a form file to the signed minutes, in one test
//! binary: each module is one part of the work (the former `tests/<module>.rs`), and one binary
//! links once and runs every test on all the machine's cores. The room's tests
//! (`serve_http.rs`, `serve_browser.rs`) stay apart: they start a server and a browser.
//! `cargo test --test pipeline reading::` runs one module.

#[path = "../common/mod.rs"]
mod common;

// Helpers shared by several modules.
mod ballot_box;
mod printed_page;

mod accuracy;
mod anchoring;
mod audit;
mod claims;
mod files;
mod form;
mod formats;
mod generate;
mod help;
mod identity;
mod leftovers;
mod minutes;
mod reading;
mod registry;
mod scan;
mod simulate;
mod tally;
mod vote_e2e;
mod watch;
