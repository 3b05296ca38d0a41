//! One library API for what a front end does: the command line calls it, and so will a
//! long-lived server (`kiemphieu serve`). Functions take a [`Vote`] (or paths), return named
//! structs, report progress through callbacks, and never print; turning results into text for a
//! terminal is the front end's business (the text forms here are for the command line's exact
//! output, which a browser front end does not need).

mod committee;
mod demo;
mod error;
mod review;
mod room;
mod scanning;
mod tally;
mod vote_ops;

pub use crate::vote::Vote;
pub use committee::{MIN_PASSPHRASE_CHARS, add_member, check_member, member_name, members};
pub use demo::{DEMO_MARKER, DemoEvent, EXAMPLE_FORM, default_out, demo};
pub use error::ApiError;
pub use review::{
    Decided, DecisionRequest, PendingSheet, Proposed, ReviewList, SheetView, confirm, decide,
    discard, open_proposals, propose, review_list, show_sheet,
};
pub use room::{
    RowCloseup, SheetFilter, SheetImages, SheetLine, rows_in_question, sheet_images, sheet_lines,
};
pub use scanning::{
    ScanOptions, ScanRun, UnreadablePage, count_files, outcome_counts, scan, unreadable_text, watch,
};
pub use tally::{MinutesWritten, tally, write_minutes};
pub use vote_ops::{
    AuditRequest, MeetingRecorded, SampleWritten, Voided, audit, meeting, parse_expect, plan,
    sample, serial_lines, simulate, void, void_all_unused, void_all_unused_count,
};
