//! The `kiemphieu` command: argument parsing, printing and exit codes over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kiemphieu::vote::Vote;

/// Paper ballot confidence votes, from printing to signed minutes.
#[derive(Parser)]
#[command(name = "kiemphieu", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        #[arg(long, default_value = "all", value_parser = ["none", "mild", "harsh", "all"])]
        faults: String,
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
enum AuditAction {
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
enum ReviewAction {
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
        #[arg(long = "sheet", value_parser = ["ignore", "withdraw", "invalid", "reject", "accept"])]
        sheet_action: Option<String>,
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

/// Exit status of the contract: 0 done, 1 done but needs attention, 2 could not run.
const EXIT_ATTENTION: u8 = 1;
const EXIT_CANNOT_RUN: u8 = 2;

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_CANNOT_RUN } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Init { vote, form } => {
            let v = Vote::init(&vote, &form)?;
            for w in v.form.warnings() {
                eprintln!("warning: form file {}: {w}", form.display());
            }
            println!(
                "created vote {} in {} ({} subjects)",
                v.form.id,
                vote.display(),
                v.form.subjects.len()
            );
            Ok(0)
        }
        Command::Generate { vote, count } => {
            let mut v = Vote::open(&vote)?;
            let b = v.generate(count)?;
            let (printed, voided) = v.store.printed_and_voided()?;
            println!(
                "printed batch {} with {} ballots: {}\n{} ballots printed in all, {} voided",
                b.batch,
                b.serials.len(),
                b.pdf.display(),
                printed,
                voided
            );
            Ok(0)
        }
        Command::Scan {
            vote,
            paths,
            json,
            annotate,
            threads,
        } => {
            set_threads(threads)?;
            let mut v = Vote::open(&vote)?;
            let summary = scan_command(&mut v, &paths, json, annotate.as_deref())?;
            Ok(if summary.needs_attention() {
                EXIT_ATTENTION
            } else {
                0
            })
        }
        Command::Watch {
            vote,
            folder,
            json,
            settle_ms,
            poll_ms,
            poll_only,
            threads,
        } => {
            set_threads(threads)?;
            let mut v = Vote::open(&vote)?;
            let cfg = kiemphieu::watch::WatchConfig {
                settle: std::time::Duration::from_millis(settle_ms),
                poll: std::time::Duration::from_millis(poll_ms.max(10)),
                // A file that still looks cut off this long after its last change is broken.
                grace: std::time::Duration::from_millis(settle_ms.saturating_mul(20).max(5000)),
                polling_only: poll_only,
                // A TIFF does not mark its end: a scanner may still be adding pages to it.
                unmarked_settle: std::time::Duration::from_millis(
                    settle_ms.saturating_mul(5).max(5000),
                ),
            };
            watch_command(&mut v, &folder, &cfg, json)
        }
        Command::Void {
            vote,
            paths,
            serial,
            all_unused,
            yes,
        } => {
            let mut v = Vote::open(&vote)?;
            if all_unused {
                return void_all_unused(&mut v, yes);
            }
            if paths.is_empty() && serial.is_empty() {
                anyhow::bail!(
                    "nothing to void\nhint: give scanned images of the unused ballots, --serial S..., or --all-unused"
                );
            }
            let mut serials = kiemphieu::void::parse_serials(&serial)?;
            let (files, _) =
                kiemphieu::scan::outside_vote(kiemphieu::scan::collect_files(&paths)?, &vote);
            serials.extend(kiemphieu::void::serials_from_images(&v, &files)?);
            let n = kiemphieu::void::void_serials(&mut v, &serials)?;
            let (printed, voided) = v.store.printed_and_voided()?;
            println!(
                "voided {n} ballot(s); printed {printed}, voided {voided}, issued {}",
                printed - voided
            );
            Ok(0)
        }
        Command::Meeting {
            vote,
            convened,
            present,
            chair,
            member,
        } => {
            let mut v = Vote::open(&vote)?;
            let recorded = kiemphieu::review::meeting(&v)?;
            let change = kiemphieu::meeting::MeetingChange {
                convened,
                present,
                chair,
                members: member,
            };
            let m = kiemphieu::meeting::amend(recorded.as_ref(), &change).map_err(|e| {
                anyhow::anyhow!("cannot record the meeting of {}: {e}", vote.display())
            })?;
            let (convened, present) = (m.convened, m.present);
            kiemphieu::review::record_meeting(&mut v, &m)?;
            println!(
                "meeting recorded: {present} of {convened} present; quorum (2/3) {}",
                if m.quorum_met() { "met" } else { "NOT met" }
            );
            for (name, role) in &m.committee {
                println!("  {role}: {name}");
            }
            if !m
                .committee
                .iter()
                .any(|(_, r)| r == kiemphieu::meeting::CHAIR)
            {
                eprintln!(
                    "warning: no chair recorded; the minutes cannot be final without one\nhint: kiemphieu meeting {} --chair NAME --member NAME",
                    vote.display()
                );
            }
            Ok(0)
        }
        Command::Review { vote, action } => review_command(&vote, action),
        Command::Serials {
            vote,
            unused,
            counted,
            voided,
        } => {
            use kiemphieu::void::SerialUse;
            let v = Vote::open_read_only(&vote)?;
            let want = match (unused, counted, voided) {
                (true, ..) => Some(SerialUse::Unused),
                (_, true, _) => Some(SerialUse::Counted),
                (.., true) => Some(SerialUse::Voided),
                _ => None,
            };
            for l in kiemphieu::void::serial_lines(&v)? {
                if want.is_some_and(|w| w != l.state) {
                    continue;
                }
                let state = match l.state {
                    SerialUse::Unused => "unused",
                    SerialUse::Counted => "counted",
                    SerialUse::Voided => "voided",
                };
                let sheet = l
                    .sheet
                    .map(|(id, what)| format!("  sheet {id} ({what})"))
                    .unwrap_or_default();
                println!(
                    "{}  {state:<7}  batch {} page {}{sheet}",
                    l.serial.grouped(),
                    l.batch,
                    l.page
                );
            }
            Ok(0)
        }
        Command::Plan { vote, date, ics } => {
            let v = Vote::open(&vote)?;
            let day = match &date {
                Some(d) => kiemphieu::form::parse_date(d)
                    .ok_or_else(|| anyhow::anyhow!("--date {d:?} is not a date YYYY-MM-DD"))?,
                None => v.form.date_parts(),
            };
            let milestones = kiemphieu::plan::timeline(day);
            print!("{}", kiemphieu::plan::to_text(&milestones));
            if let Some(path) = ics {
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                let text = kiemphieu::plan::to_ics(&v.form.id, &milestones, stamp);
                kiemphieu::vote::write_atomic(&path, text.as_bytes())?;
                println!("calendar written to {}", path.display());
            }
            Ok(0)
        }
        Command::Demo { out } => demo(&out.unwrap_or_else(|| PathBuf::from("demo-vote"))),
        Command::Simulate {
            vote,
            out,
            count,
            seed,
            faults,
            forged,
            foreign,
            duplicates,
            missing_stamp,
            bad_inputs,
        } => {
            let v = Vote::open(&vote)?;
            let opts = kiemphieu::simulate::SimOptions {
                seed,
                count,
                faults: fault_level(&faults),
                include_bad_inputs: bad_inputs,
                forged,
                foreign,
                duplicates,
                missing_stamp,
                dpi: None,
            };
            let s = kiemphieu::simulate::simulate(&v, &out, &opts)?;
            println!(
                "wrote {} sheets to {}; truth in {}",
                s.sheets,
                s.out.display(),
                s.truth.display()
            );
            Ok(0)
        }
        Command::Audit {
            vote,
            action: Some(AuditAction::Sample { count, seed, out }),
            ..
        } => {
            let v = Vote::open_read_only(&vote)?;
            let picked = kiemphieu::sample::pick(&v, count, seed)?;
            let out = out.unwrap_or_else(|| PathBuf::from(format!("sample-{seed}.pdf")));
            let pdf = kiemphieu::sample::sample_pdf(&v, &picked, seed)?;
            kiemphieu::vote::write_atomic(&out, &pdf)?;
            println!("sample of {} counted sheet(s), seed {seed}:", picked.len());
            for s in &picked {
                println!(
                    "  sheet {:>5}  serial {}  {}",
                    s.id,
                    s.record
                        .serial
                        .as_deref()
                        .map_or_else(|| "-".to_string(), kiemphieu::annotate::serial_as_printed),
                    kiemphieu::review::printable(&s.record.file)
                );
            }
            println!("printable sheets: {}", out.display());
            Ok(0)
        }
        Command::Audit {
            vote,
            action: None,
            images,
            json,
            expect,
        } => {
            let expect = match expect.as_deref().map(kiemphieu::audit::parse_expected_head) {
                Some(Err(e)) => anyhow::bail!(
                    "--expect {e}\nhint: type the chain head as printed in the minutes (at least {} hex digits)",
                    kiemphieu::audit::MIN_EXPECT_DIGITS
                ),
                Some(Ok(h)) => Some(h),
                None => None,
            };
            let v = Vote::open_read_only(&vote)?;
            let images = (!images.is_empty()).then_some(images.as_slice());
            let report = kiemphieu::audit::audit_expecting(&v, images, expect.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            Ok(if report.clean() { 0 } else { EXIT_ATTENTION })
        }
        Command::Tally {
            vote,
            json,
            csv,
            minutes,
            draft,
        } => {
            let v = Vote::open_read_only(&vote)?;
            let t = tally_with_chain_head(&v)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else if csv {
                print!("{}", t.to_csv());
            } else {
                print!("{}", t.to_text());
            }
            if let Some(path) = minutes {
                write_minutes(&v, &t, &path, draft)?;
            }
            // Figures that do not add up need the committee's attention.
            Ok(if t.identity_holds { 0 } else { EXIT_ATTENTION })
        }
    }
}

fn review_command(vote: &std::path::Path, action: ReviewAction) -> anyhow::Result<u8> {
    use kiemphieu::review::{Decision, SheetAction, printable};
    let mut v = match action {
        ReviewAction::Decide { .. } => Vote::open(vote)?,
        _ => Vote::open_read_only(vote)?,
    };
    match action {
        ReviewAction::List => {
            let pending = kiemphieu::review::pending(&v)?;
            let to_look_at = kiemphieu::review::tally_input(&v)?
                .pages
                .map(|p| p.unreadable_files)
                .unwrap_or_default();
            if pending.is_empty() {
                println!("no sheet waits for review");
            }
            if !to_look_at.is_empty() {
                println!(
                    "files to look at: {} page(s) could not be read; if one is a ballot, rescan it",
                    to_look_at.len()
                );
                for f in &to_look_at {
                    println!(
                        "  {} (page {}): {}",
                        kiemphieu::review::printable(&f.file),
                        f.page,
                        f.reason
                    );
                }
            }
            for (s, why) in pending {
                let reason = s.record.reason.map(|r| r.as_str()).unwrap_or("");
                println!(
                    "sheet {:>5}  {:<20} {} (page {}): {why}",
                    s.id,
                    reason,
                    printable(&s.record.file),
                    s.record.page
                );
                if let Some(d) = &s.record.detail {
                    println!("             {}", printable(d));
                }
            }
            Ok(0)
        }
        ReviewAction::Show { sheet, out } => {
            let sheets = v.store.sheets()?;
            let s = sheets
                .iter()
                .find(|s| s.id == sheet)
                .ok_or_else(|| anyhow::anyhow!("sheet {sheet} does not exist\nhint: `kiemphieu review VOTE list` shows the sheets waiting"))?;
            let archive = s
                .archive
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("sheet {sheet} has no archived image"))?;
            let path = v.dir.join(archive);
            let bytes = std::fs::read(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let pages = kiemphieu::interpret::decode::decode_pages(&bytes)
                .map_err(|e| anyhow::anyhow!("cannot decode {}: {}", path.display(), e.detail))?;
            let img = pages.get(s.record.page as usize - 1).ok_or_else(|| {
                anyhow::anyhow!("{} has no page {}", path.display(), s.record.page)
            })?;
            let reading = kiemphieu::interpret::interpret_page(img, &v.layout, &v.form.marks);
            let highlight: Vec<usize> = s
                .record
                .rows
                .iter()
                .filter(|r| r.verdict == kiemphieu::record::RowVerdict::Ambiguous)
                .map(|r| r.subject)
                .collect();
            let pic =
                kiemphieu::annotate::annotate(img, &reading, &s.record, &v.layout, &highlight);
            let out = out.unwrap_or_else(|| PathBuf::from(format!("review-{sheet}.png")));
            pic.save(&out)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            println!(
                "sheet {sheet}: {} {}",
                s.record.outcome.as_str(),
                s.record.reason.map(|r| r.as_str()).unwrap_or("")
            );
            let n = v.layout.rows.len();
            let history = kiemphieu::review::history(&v, sheet)?;
            println!(
                "  in force: {}",
                kiemphieu::review::describe(
                    &kiemphieu::review::resolve(s, history.last(), n),
                    &v.form.levels
                )
            );
            for d in history {
                let res = kiemphieu::review::resolve(s, Some(&d), n);
                println!(
                    "  decided by {} at {}: {}{}",
                    printable(&d.reviewer),
                    d.decided_at,
                    kiemphieu::review::describe(&res, &v.form.levels),
                    d.amends
                        .as_deref()
                        .map(|r| format!(" (amended: {})", printable(r)))
                        .unwrap_or_default()
                );
            }
            for r in &s.record.rows {
                println!(
                    "  row {:>2} {:<15} scores {:.3} {:.3} {:.3}  traces {:.1} {:.1} {:.1} mm  strike {:.2}",
                    r.subject,
                    r.verdict.as_str(),
                    r.scores[0],
                    r.scores[1],
                    r.scores[2],
                    r.traces[0],
                    r.traces[1],
                    r.traces[2],
                    r.strike
                );
            }
            println!("picture: {}", out.display());
            Ok(0)
        }
        ReviewAction::Decide {
            sheet_id: sheet,
            by,
            sheet_action,
            serial,
            row,
            amend,
            reason,
        } => {
            let levels = v.form.levels.len();
            let rows = kiemphieu::review::collect_row_decisions(&row, levels)
                .map_err(anyhow::Error::msg)?;
            let sheet_action = sheet_action.map(|a| match a.as_str() {
                "ignore" | "withdraw" => SheetAction::Ignore,
                "invalid" | "reject" => SheetAction::Invalid,
                _ => SheetAction::Accept,
            });
            let d = Decision {
                sheet: sheet_action,
                serial,
                rows,
                ..Default::default()
            };
            let amend = if amend { reason.as_deref() } else { None };
            let res = kiemphieu::review::decide(&mut v, sheet, d, &by, amend)?;
            println!(
                "sheet {sheet} {} by {by}: {}",
                if amend.is_some() {
                    "re-decided"
                } else {
                    "decided"
                },
                kiemphieu::review::describe(&res, &v.form.levels)
            );
            Ok(0)
        }
    }
}

/// `void VOTE --all-unused`: asks on a terminal, refuses without one unless --yes.
fn void_all_unused(v: &mut Vote, yes: bool) -> anyhow::Result<u8> {
    use std::io::{BufRead, IsTerminal, Write};
    let unused = kiemphieu::void::serial_lines(v)?
        .into_iter()
        .filter(|l| l.state == kiemphieu::void::SerialUse::Unused)
        .count();
    if unused == 0 {
        println!("no unused serial to void");
        return Ok(0);
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "--all-unused voids {unused} serial(s) and asks first, but there is no terminal to ask on\nhint: check the list with `kiemphieu serials VOTE --unused`, then add --yes"
            );
        }
        eprint!(
            "void {unused} unused serial(s) of {}? every one of them becomes invalid if found in the box [y/N] ",
            v.form.id
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "có" | "co") {
            println!("nothing voided");
            return Ok(0);
        }
    }
    let voided = kiemphieu::void::void_all_unused(v)?;
    let (printed, all_voided) = v.store.printed_and_voided()?;
    println!(
        "voided {} unused ballot(s); printed {printed}, voided {all_voided}, issued {}",
        voided.len(),
        printed - all_voided
    );
    Ok(0)
}

/// The tally, with the head of the event chain it was made at.
fn tally_with_chain_head(v: &Vote) -> anyhow::Result<kiemphieu::tally::Tally> {
    let mut t = kiemphieu::tally::tally(&kiemphieu::review::tally_input(v)?);
    let (head, events) = v.store.chain_head()?;
    t.chain_head = Some(head);
    t.chain_events = Some(events);
    Ok(t)
}

fn write_minutes(
    v: &Vote,
    t: &kiemphieu::tally::Tally,
    path: &std::path::Path,
    draft: bool,
) -> anyhow::Result<()> {
    let committee = kiemphieu::review::meeting(v)?
        .map(|m| m.committee)
        .unwrap_or_default();
    // In the vote's time zone (UTC+7 unless the form says otherwise).
    let generated_at =
        kiemphieu::minutes::local_time(&kiemphieu::store::now_utc(), v.form.utc_offset_minutes());
    let input = kiemphieu::minutes::MinutesInput {
        form: &v.form,
        tally: t,
        committee,
        draft,
        generated_at,
    };
    let pdf = match kiemphieu::minutes::render_minutes(&input) {
        Ok(pdf) => pdf,
        Err(kiemphieu::minutes::MinutesError::Incomplete { missing }) => {
            let list: String = missing.iter().map(|m| format!("\n  - {m}")).collect();
            anyhow::bail!(
                "cannot write final minutes to {}; missing:{list}\nhint: record what is missing (kiemphieu meeting, kiemphieu review), or write a draft with --draft",
                path.display()
            )
        }
        Err(e) => match e.hint() {
            Some(h) => anyhow::bail!(
                "cannot write the minutes {}: {e}\nhint: {h}",
                path.display()
            ),
            None => anyhow::bail!("cannot write the minutes {}: {e}", path.display()),
        },
    };
    kiemphieu::vote::write_atomic(path, &pdf)?;
    eprintln!(
        "minutes written to {}{}",
        path.display(),
        if draft { " (DỰ THẢO)" } else { "" }
    );
    Ok(())
}

fn fault_level(s: &str) -> kiemphieu::simulate::FaultLevel {
    use kiemphieu::simulate::FaultLevel;
    match s {
        "none" => FaultLevel::None,
        "mild" => FaultLevel::Mild,
        "harsh" => FaultLevel::Harsh,
        _ => FaultLevel::All,
    }
}

/// The bundled example form, so that `demo` runs from any folder.
const EXAMPLE_FORM: &str = include_str!("../forms/tin-nhiem-so-khcn.json");
/// Marks a folder made by `demo`, which a later `demo` may replace.
const DEMO_MARKER: &str = ".kiemphieu-demo";

fn demo(out: &std::path::Path) -> anyhow::Result<u8> {
    if out.exists() {
        let empty = std::fs::read_dir(out)?.next().is_none();
        if out.join(DEMO_MARKER).exists() {
            std::fs::remove_dir_all(out)?;
        } else if !empty {
            anyhow::bail!(
                "{} exists and was not made by demo\nhint: name another folder: kiemphieu demo OUT_DIR",
                out.display()
            );
        }
    }
    std::fs::create_dir_all(out)?;
    std::fs::write(
        out.join(DEMO_MARKER),
        "made by kiemphieu demo; a later demo replaces this folder\n",
    )?;
    let form = out.join("form.json");
    std::fs::write(&form, EXAMPLE_FORM)?;
    let vote_dir = out.join("vote");
    let mut v = Vote::init(&vote_dir, &form)?;
    println!(
        "1. init      {} ({} subjects)",
        vote_dir.display(),
        v.form.subjects.len()
    );
    let batch = v.generate(48)?;
    println!(
        "2. generate  {} ballots -> {}",
        batch.serials.len(),
        batch.pdf.display()
    );
    let m = kiemphieu::review::Meeting {
        convened: 45,
        present: 40,
        committee: vec![
            ("Phạm Văn X".into(), "Trưởng ban".into()),
            ("Đỗ Thị Y".into(), "Thành viên".into()),
            ("Hoàng Văn Z".into(), "Thành viên".into()),
        ],
    };
    kiemphieu::review::record_meeting(&mut v, &m)?;
    println!("3. meeting   {} of {} present", m.present, m.convened);
    let scans = out.join("scans");
    let opts = kiemphieu::simulate::SimOptions {
        seed: 7,
        count: 40,
        faults: kiemphieu::simulate::FaultLevel::All,
        include_bad_inputs: false,
        forged: 2,
        foreign: 1,
        duplicates: 1,
        missing_stamp: 1,
        dpi: None,
    };
    let sim = kiemphieu::simulate::simulate(&v, &scans, &opts)?;
    println!(
        "4. simulate  {} scanned sheets -> {} (truth: {})",
        sim.sheets,
        scans.display(),
        sim.truth.display()
    );
    // The ballots not handed out come back unused and are voided.
    let used: std::collections::HashSet<String> = std::fs::read_to_string(&sim.truth)
        .ok()
        .and_then(|t| serde_json::from_str::<kiemphieu::simulate::Truth>(&t).ok())
        .map(|t| t.sheets.into_iter().filter_map(|s| s.serial).collect())
        .unwrap_or_default();
    let unused: Vec<_> = v
        .store
        .serials()?
        .into_iter()
        .filter(|(s, ..)| !used.contains(s.as_str()))
        .map(|(s, ..)| s)
        .collect();
    let n = kiemphieu::void::void_serials(&mut v, &unused)?;
    println!("5. void      {n} unused ballots returned and voided");
    println!(
        "6. scan      (annotated pictures in {})",
        out.join("annotated").display()
    );
    scan_command(&mut v, &[scans], false, Some(&out.join("annotated")))?;
    println!("7. review");
    for (s, why) in kiemphieu::review::pending(&v)? {
        println!("   sheet {:>3} {}: {why}", s.id, s.record.file);
    }
    println!("8. tally");
    let t = tally_with_chain_head(&v)?;
    print!("{}", t.to_text());
    let minutes = out.join("bien-ban-kiem-phieu.pdf");
    let draft = !t.is_final || !t.identity_holds;
    write_minutes(&v, &t, &minutes, draft)?;
    println!(
        "9. minutes   {}{}",
        minutes.display(),
        if !t.is_final {
            " (DỰ THẢO: sheets await review)"
        } else if !t.identity_holds {
            " (DỰ THẢO: the figures do not add up)"
        } else {
            ""
        }
    );
    let report = kiemphieu::audit::audit(&v, None)?;
    println!(
        "10. audit    {} sheets re-read, {} difference(s)",
        report.sheets_checked,
        report.differences.len()
    );
    Ok(0)
}

/// Output into a closed pipe (`scan --json | head -1`) ends the program quietly, as it ends any
/// Unix tool, instead of a panic: Rust ignores SIGPIPE by default, which makes `println!` panic.
/// Every change is one transaction, so stopping between two writes loses nothing recorded.
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to its default, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = threads {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let n = if n > cores {
            eprintln!("note: --threads {n} is more than the {cores} core(s) here: using {cores}");
            cores
        } else {
            n.max(1)
        };
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    Ok(())
}

fn print_skipped(skipped: &[kiemphieu::scan::FileProblem]) {
    for s in skipped {
        eprintln!("warning: {}: {}", s.file, s.reason);
    }
}

fn watch_command(
    v: &mut Vote,
    folder: &std::path::Path,
    cfg: &kiemphieu::watch::WatchConfig,
    json: bool,
) -> anyhow::Result<u8> {
    use std::io::{IsTerminal, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| anyhow::anyhow!("cannot catch Ctrl-C: {e}"))?;
    let terminal = std::io::stderr().is_terminal();
    let mut first = true;
    let mut unreadable: Vec<(String, u32, String)> = Vec::new();
    let summary = kiemphieu::watch::watch(
        v,
        folder,
        cfg,
        &stop,
        |sheet| {
            if sheet.record.outcome == kiemphieu::record::Outcome::Error {
                unreadable.push((
                    sheet.record.file.clone(),
                    sheet.record.page,
                    unreadable_reason(sheet.record),
                ));
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string(sheet.record).expect("record serializes")
                );
            }
        },
        |status| {
            if first {
                first = false;
                eprintln!(
                    "watching {} ({}); Ctrl-C stops",
                    folder.display(),
                    if status.events {
                        "file-system events and polling"
                    } else {
                        "polling"
                    }
                );
            }
            // On a terminal one line is redrawn; in a log, a line per change.
            if terminal {
                eprint!("\r{}\x1b[K", status.line());
                let _ = std::io::stderr().flush();
            } else {
                eprintln!("{}", status.line());
            }
        },
    )?;
    if terminal {
        eprintln!();
    }
    for p in &summary.problems {
        eprintln!("error: cannot scan {}: {}", p.file, p.reason);
    }
    print_skipped(&summary.skipped);
    warn_bilevel(&summary);
    eprintln!("stopped: {}", outcome_counts(&summary));
    if !json {
        print_unreadable(&unreadable, &summary);
    }
    Ok(if summary.needs_attention() {
        EXIT_ATTENTION
    } else {
        0
    })
}

/// The reason a page could not be read, with the decoder's words when there are some.
fn unreadable_reason(rec: &kiemphieu::record::SheetRecord) -> String {
    let code = rec.reason.map_or("error", |r| r.as_str());
    match &rec.detail {
        Some(d) => format!("{code}: {d}"),
        None => code.to_string(),
    }
}

/// Names every file (or page) that could not be read, so that no ballot drops out unseen.
fn print_unreadable(unreadable: &[(String, u32, String)], summary: &kiemphieu::scan::ScanSummary) {
    if unreadable.is_empty() && summary.problems.is_empty() {
        return;
    }
    println!("files that could not be read (look at each; rescan the sheet if it is a ballot):");
    for (file, page, why) in unreadable {
        println!(
            "  {} (page {page}): {}",
            kiemphieu::review::printable(file),
            kiemphieu::review::printable(why)
        );
    }
    for p in &summary.problems {
        println!(
            "  {}: {} (not recorded)",
            kiemphieu::review::printable(&p.file),
            kiemphieu::review::printable(&p.reason)
        );
    }
}

/// "counted 3, rejected 1, …": a scan's outcomes in one line.
fn outcome_counts(summary: &kiemphieu::scan::ScanSummary) -> String {
    use kiemphieu::record::Outcome;
    format!(
        "counted {}, rejected {}, review {}, already scanned {}, blank {}, errors {}",
        summary.count(Outcome::Counted),
        summary.count(Outcome::Rejected),
        summary.count(Outcome::Review),
        summary.count(Outcome::AlreadyScanned),
        summary.count(Outcome::Blank),
        summary.count(Outcome::Error) + summary.problems.len()
    )
}

fn warn_bilevel(summary: &kiemphieu::scan::ScanSummary) {
    if summary.bilevel_pages > 0 {
        eprintln!(
            "warning: {} page(s) were scanned in black and white (1 bit), where a faint pencil mark can vanish\nhint: set the scanner to grey (8 bit) and scan those sheets again, or check them by hand",
            summary.bilevel_pages
        );
    }
}

fn scan_command(
    v: &mut Vote,
    paths: &[PathBuf],
    json: bool,
    annotate: Option<&std::path::Path>,
) -> anyhow::Result<kiemphieu::scan::ScanSummary> {
    use std::io::IsTerminal;
    // A path given on the command line that is not there is a mistyped argument: nothing runs.
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            anyhow::bail!(
                "cannot scan {}: no such file or folder\nhint: check the path; give the folder the scanner writes into",
                p.display()
            );
        }
    }
    if let Some(dir) = annotate {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let total = kiemphieu::scan::outside_vote(kiemphieu::scan::collect_files(paths)?, &v.dir)
        .0
        .len();
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}")
                .expect("template"),
        );
        b
    });
    let layout = v.layout.clone();
    let mut annotate_errors = Vec::new();
    let mut unreadable: Vec<(String, u32, String)> = Vec::new();
    let pixels = if annotate.is_some() {
        kiemphieu::scan::Pixels::Keep
    } else {
        kiemphieu::scan::Pixels::Drop
    };
    let summary = kiemphieu::scan::scan(v, paths, pixels, |sheet| {
        let rec = sheet.record;
        if json {
            println!("{}", serde_json::to_string(rec).expect("record serializes"));
        }
        if rec.outcome == kiemphieu::record::Outcome::Error {
            unreadable.push((rec.file.clone(), rec.page, unreadable_reason(rec)));
        }
        if let Some(b) = &bar {
            if rec.page == 1 {
                b.inc(1);
            }
            b.set_message(format!(
                "{} {}",
                rec.outcome.as_str(),
                rec.reason.map(|r| r.as_str()).unwrap_or("")
            ));
        }
        if let (Some(dir), Some(img), Some(reading)) = (annotate, sheet.image, sheet.reading) {
            let pic = kiemphieu::annotate::annotate(img, reading, rec, &layout, &[]);
            let stem = std::path::Path::new(&rec.file)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let out = dir.join(format!("{stem}-p{}-{}.png", rec.page, &rec.sha256[..8]));
            if let Err(e) = pic.save(&out) {
                annotate_errors.push(format!("cannot write {}: {e}", out.display()));
            }
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for e in &annotate_errors {
        eprintln!("error: {e}");
    }
    for p in &summary.problems {
        eprintln!("error: cannot scan {}: {}", p.file, p.reason);
    }
    if !summary.skipped_in_vote.is_empty() {
        eprintln!(
            "skipped {} file(s) inside the vote folder {}: its printed ballots and archive are never scanned",
            summary.skipped_in_vote.len(),
            v.dir.display()
        );
    }
    print_skipped(&summary.skipped);
    warn_bilevel(&summary);
    if !json {
        println!("{}", outcome_counts(&summary));
        for ((o, r), n) in &summary.by_reason {
            println!("  {:<9} {:<20} {n}", o.as_str(), r.as_str());
        }
        print_unreadable(&unreadable, &summary);
    }
    Ok(summary)
}
