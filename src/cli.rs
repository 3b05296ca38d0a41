//! The command line's arguments: every command and option, as `--help` shows them.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Paper ballot confidence votes, from printing to signed minutes.
#[derive(Parser)]
#[command(name = "kiemphieu", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// The counting room in a browser: review, live count, results and minutes, for signed-in
    /// committee members (prints `listening on http://HOST:PORT` first; Ctrl-C stops it).
    Serve(crate::room_cmd::ServeArgs),
    /// The committee members who may sign in to `serve`.
    Committee {
        #[command(subcommand)]
        action: crate::room_cmd::CommitteeAction,
    },
    /// Create a vote folder from a form file.
    Init {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// The committee's form file (JSON: see the README's table); validated and frozen into
        /// the vote folder.
        #[arg(long)]
        form: PathBuf,
    },
    /// Print N more ballots: a PDF and layout.json, serials registered.
    Generate {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// How many ballots to print in this batch (at most 5,000), each with a new serial.
        #[arg(long)]
        count: usize,
    },
    /// Interpret image files and folders; record every outcome.
    Scan {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// Image files (PNG, JPEG, TIFF, BMP, PDF) and folders, read recursively in name order.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// One JSON object per sheet on stdout (docs/contract.md).
        #[arg(long)]
        json: bool,
        /// Write a PNG per sheet into this folder, each box outlined by verdict.
        #[arg(long)]
        annotate: Option<PathBuf>,
        /// Worker threads (default: all cores). The record does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Keep scanning what a document scanner writes into FOLDER, until Ctrl-C.
    Watch {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// The folder the document scanner writes into.
        folder: PathBuf,
        /// One JSON object per sheet on stdout (docs/contract.md).
        #[arg(long)]
        json: bool,
        /// How long a file must stay unchanged before it is read, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        settle_ms: u64,
        /// List the folder every this many milliseconds (file-system events may wake it sooner).
        #[arg(long, default_value_t = 500)]
        poll_ms: u64,
        /// Do not use file-system events: only list the folder (network shares).
        #[arg(long)]
        poll_only: bool,
        /// Worker threads (default: all cores). The record does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Mark returned, unused ballots as void, from their scans or their serials.
    Void {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// Scanned images of the unused ballots.
        paths: Vec<PathBuf>,
        /// Serials as printed (dashes and case do not matter).
        #[arg(long, num_args = 1..)]
        serial: Vec<String>,
        /// Void every printed serial not voided and not found on a scanned sheet (the ballots
        /// left over after the vote). Asks for confirmation on a terminal.
        #[arg(long, conflicts_with_all = ["paths", "serial"])]
        all_unused: bool,
        /// Do not ask for confirmation (--all-unused in a script).
        #[arg(long, requires = "all_unused")]
        yes: bool,
    },
    /// List the printed serials (as printed, with dashes) and what became of each.
    Serials {
        vote: PathBuf,
        /// Only the serials neither voided nor found on a scanned sheet.
        #[arg(long, group = "which")]
        unused: bool,
        /// Only the serials held by a scanned sheet (counted, ruled invalid or waiting for review).
        #[arg(long, group = "which")]
        counted: bool,
        /// Only the voided serials.
        #[arg(long, group = "which")]
        voided: bool,
    },
    /// Record the meeting facts (quorum) and the counting committee.
    Meeting {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// How many people were convened (triệu tập); kept from the last run when left out.
        #[arg(long)]
        convened: Option<u64>,
        /// How many are present (có mặt); kept from the last run when left out.
        #[arg(long)]
        present: Option<u64>,
        /// The committee's head (Trưởng ban kiểm phiếu); replaces the recorded one, kept when left
        /// out.
        #[arg(long)]
        chair: Option<String>,
        /// A committee member (Thành viên); repeat for each. Given, they replace the recorded
        /// members; left out, the recorded members are kept.
        #[arg(long)]
        member: Vec<String>,
    },
    /// List, show and decide the sheets that need a person.
    Review {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        #[command(subcommand)]
        action: ReviewAction,
    },
    /// The result per subject: a table, --json or --csv, and the minutes as a PDF.
    Tally {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// The tally as one JSON object (docs/contract.md): every figure, the accounting
        /// identity, the unreadable files, the chain head.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// One CSV row per subject, UTF-8 with a byte order mark (Excel shows the accents).
        #[arg(long)]
        csv: bool,
        /// Write the minutes (Biên bản kiểm phiếu) to this PDF. Final minutes need the meeting
        /// facts, a chair and members, nothing pending and figures that add up.
        #[arg(long)]
        minutes: Option<PathBuf>,
        /// Write draft minutes even when they cannot be final, marked DỰ THẢO on every page.
        #[arg(long)]
        draft: bool,
    },
    /// The whole pipeline on the bundled example form: init, generate, simulate, scan, tally.
    Demo {
        /// Where to put the demo (default: ./demo-vote).
        out: Option<PathBuf>,
    },
    /// Make marked, scanner-like images of this vote's ballots with their ground truth.
    Simulate {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// The folder to write the images and truth.json into.
        #[arg(long)]
        out: PathBuf,
        /// Sheets of registered, unvoided serials (genuine ones, and those with no stamp).
        #[arg(long, default_value_t = 50)]
        count: usize,
        /// The random seed: the same seed makes the same images.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Scanner faults: none, mild (skew, noise), harsh (150 dpi, rotation, folds, stains) or
        /// all (a mix).
        #[arg(long, value_enum, default_value_t = Faults::All)]
        faults: Faults,
        /// Sheets with a serial never registered (must be rejected as not_issued).
        #[arg(long, default_value_t = 0)]
        forged: usize,
        /// Sheets of another vote (must be rejected as wrong_vote).
        #[arg(long, default_value_t = 0)]
        foreign: usize,
        /// Photocopies of earlier genuine sheets (must go to review as duplicate_serial).
        #[arg(long, default_value_t = 0)]
        duplicates: usize,
        /// How many of the COUNT sheets have their stamp whited out (review: missing_stamp).
        #[arg(long, default_value_t = 0)]
        missing_stamp: usize,
        /// Add broken files: empty, truncated, not an image, a giant header, a blank page…
        #[arg(long)]
        bad_inputs: bool,
    },
    /// The vote's timeline (D−20 … D+10) as text, and as an .ics calendar file.
    Plan {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        /// The day of the vote (default: the form's date).
        #[arg(long)]
        date: Option<String>,
        /// Write the timeline as an iCalendar file a phone or Outlook can import.
        #[arg(long)]
        ics: Option<PathBuf>,
    },
    /// Re-read the stored images with the current code; show every difference from the record.
    Audit {
        /// The vote folder (made by `init`: form.json, vote.db, ballots/, archive/).
        #[arg(value_name = "VOTE_DIR")]
        vote: PathBuf,
        #[command(subcommand)]
        action: Option<AuditAction>,
        /// The auditor's own copy of the scans, matched by SHA-256 (default: the vote's archive).
        #[arg(long, num_args = 1..)]
        images: Vec<PathBuf>,
        /// The report as one JSON object.
        #[arg(long)]
        json: bool,
        /// The chain head printed in the signed minutes (at least 16 hex digits): exit 1 when
        /// the record's chain does not pass through it.
        #[arg(long, value_name = "HEX")]
        expect: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AuditAction {
    /// A reproducible random sample of counted sheets for a hand count, with a printable PDF.
    Sample {
        /// How many counted sheets to draw (all of them when fewer were counted).
        #[arg(long)]
        count: usize,
        /// The seed that names the sample: the same seed draws the same sheets.
        #[arg(long)]
        seed: u64,
        /// Where to write the PDF (default: sample-SEED.pdf).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum ReviewAction {
    /// The sheets waiting for a person, with what each needs.
    List,
    /// A picture of one sheet with the rows in question highlighted, and its scores.
    Show {
        /// The sheet's number, as `review list` shows it.
        sheet: i64,
        /// Where to write the PNG (default: review-SHEET.png in the current folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Record a person's decision on one sheet; a decided or counted sheet only with --amend.
    Decide {
        /// The sheet's number, as `review list` shows it.
        #[arg(value_name = "SHEET")]
        sheet_id: i64,
        /// The reviewer's name.
        #[arg(long)]
        by: String,
        /// The whole sheet: ignore (not a ballot of this box, or the same sheet scanned again:
        /// not collected), withdraw (the same as ignore, for a sheet counted by mistake, with
        /// --amend), invalid (a ballot invalid as a whole, e.g. a copy or no stamp: collected,
        /// invalid for every subject), reject (the same as invalid), accept (the doubt is
        /// cleared, e.g. the stamp is there: the rows count).
        #[arg(long = "sheet", value_enum)]
        sheet_action: Option<SheetChoice>,
        /// The serial printed beside an unreadable QR code.
        #[arg(long)]
        serial: Option<String>,
        /// A row as read by the person: SUBJECT=LEVEL (levels 1, 2, 3 as printed) or SUBJECT=invalid.
        #[arg(long)]
        row: Vec<String>,
        /// Decide again a sheet already decided, or one the machine counted; the earlier
        /// decision stays in the history. Needs --reason.
        #[arg(long, requires = "reason")]
        amend: bool,
        /// Why the decision is amended (recorded with it).
        #[arg(long, requires = "amend")]
        reason: Option<String>,
    },
}

/// `simulate --faults`. (Plain comments: a doc comment here would change `--help`.)
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Faults {
    None,
    Mild,
    Harsh,
    All,
}

impl From<Faults> for kiemphieu::simulate::FaultLevel {
    fn from(f: Faults) -> Self {
        use kiemphieu::simulate::FaultLevel;
        match f {
            Faults::None => FaultLevel::None,
            Faults::Mild => FaultLevel::Mild,
            Faults::Harsh => FaultLevel::Harsh,
            Faults::All => FaultLevel::All,
        }
    }
}

/// `review decide --sheet`: withdraw and reject are the words for an amendment.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SheetChoice {
    Ignore,
    Withdraw,
    Invalid,
    Reject,
    Accept,
}

impl From<SheetChoice> for kiemphieu::decision::SheetAction {
    fn from(c: SheetChoice) -> Self {
        use kiemphieu::decision::SheetAction;
        match c {
            SheetChoice::Ignore | SheetChoice::Withdraw => SheetAction::Ignore,
            SheetChoice::Invalid | SheetChoice::Reject => SheetAction::Invalid,
            SheetChoice::Accept => SheetAction::Accept,
        }
    }
}
