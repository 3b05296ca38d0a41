//! How the command line shows what the API returns: progress, reports, warnings.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use kiemphieu::api::{
    self, ApiError, MeetingRecorded, MinutesWritten, SampleWritten, ScanRun, Vote,
};
use kiemphieu::record::SheetRecord;
use kiemphieu::review::printable;
use kiemphieu::scan::{FileProblem, ScanSummary, ScannedSheet};
use kiemphieu::void::{SerialLine, SerialUse};
use kiemphieu::watch::WatchStatus;

/// Output into a closed pipe (`scan --json | head -1`) ends the program quietly, as it ends any
/// Unix tool, instead of a panic: Rust ignores SIGPIPE by default, which makes `println!` panic.
/// Every change is one transaction, so stopping between two writes loses nothing recorded.
pub fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to its default, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// `--threads N`, capped at the number of cores.
pub fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
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

/// A page's record as one line of JSON, when asked for.
pub fn json_line(rec: &SheetRecord, json: bool) {
    if json {
        println!("{}", serde_json::to_string(rec).expect("record serializes"));
    }
}

/// A scan's progress: the JSON lines, and a bar on a terminal (not with --json).
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn new(vote: &Vote, paths: &[PathBuf], json: bool) -> anyhow::Result<Progress> {
        if json || !std::io::stderr().is_terminal() {
            return Ok(Progress(None));
        }
        // A missing path is reported by the scan itself.
        let total = api::count_files(vote, paths).unwrap_or(0);
        Ok(Progress::bar(total, json))
    }

    pub fn bar(files: usize, json: bool) -> Progress {
        Progress((!json && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(files as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}")
                    .expect("template"),
            );
            b
        }))
    }

    pub fn sheet(&self, sheet: &ScannedSheet, json: bool) {
        let rec = sheet.record;
        json_line(rec, json);
        if let Some(b) = &self.0 {
            if rec.page == 1 {
                b.inc(1);
            }
            b.set_message(format!(
                "{} {}",
                rec.outcome.as_str(),
                rec.reason.map(|r| r.as_str()).unwrap_or("")
            ));
        }
    }

    pub fn finish(self) {
        if let Some(b) = self.0 {
            b.finish_and_clear();
        }
    }
}

/// What `scan` says at its end.
pub fn scan_report(run: &ScanRun, vote_dir: &Path, json: bool) {
    let summary = &run.summary;
    for e in &run.picture_errors {
        eprintln!("error: {e}");
    }
    for p in &summary.problems {
        eprintln!("error: cannot scan {}: {}", p.file, p.reason);
    }
    if !summary.skipped_in_vote.is_empty() {
        eprintln!(
            "skipped {} file(s) inside the vote folder {}: its printed ballots and archive are never scanned",
            summary.skipped_in_vote.len(),
            vote_dir.display()
        );
    }
    print_skipped(&summary.skipped);
    warn_bilevel(summary);
    if !json {
        println!("{}", api::outcome_counts(summary));
        for ((o, r), n) in &summary.by_reason {
            println!("  {:<9} {:<20} {n}", o.as_str(), r.as_str());
        }
        print_unreadable(run);
    }
}

/// The running line of `watch`: redrawn on a terminal, a line per change in a log.
pub struct WatchLine<'a> {
    folder: &'a Path,
    first: bool,
    terminal: bool,
}

impl<'a> WatchLine<'a> {
    pub fn new(folder: &'a Path) -> WatchLine<'a> {
        WatchLine {
            folder,
            first: true,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    pub fn show(&mut self, status: &WatchStatus) {
        if self.first {
            self.first = false;
            eprintln!(
                "watching {} ({}); Ctrl-C stops",
                self.folder.display(),
                if status.events {
                    "file-system events and polling"
                } else {
                    "polling"
                }
            );
        }
        if self.terminal {
            eprint!("\r{}\x1b[K", status.line());
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{}", status.line());
        }
    }

    pub fn finish(self) {
        if self.terminal {
            eprintln!();
        }
    }
}

/// What `watch` says when it stops.
pub fn watch_report(run: &ScanRun, json: bool) {
    let summary = &run.summary;
    for p in &summary.problems {
        eprintln!("error: cannot scan {}: {}", p.file, p.reason);
    }
    print_skipped(&summary.skipped);
    warn_bilevel(summary);
    eprintln!("stopped: {}", api::outcome_counts(summary));
    if !json {
        print_unreadable(run);
    }
}

fn print_skipped(skipped: &[FileProblem]) {
    for s in skipped {
        eprintln!("warning: {}: {}", s.file, s.reason);
    }
}

/// Names every file (or page) that could not be read, so that no ballot drops out unseen.
fn print_unreadable(run: &ScanRun) {
    if run.unreadable.is_empty() && run.summary.problems.is_empty() {
        return;
    }
    println!("files that could not be read (look at each; rescan the sheet if it is a ballot):");
    for u in &run.unreadable {
        println!(
            "  {} (page {}): {}",
            printable(&u.file),
            u.page,
            printable(&u.reason)
        );
    }
    for p in &run.summary.problems {
        println!(
            "  {}: {} (not recorded)",
            printable(&p.file),
            printable(&p.reason)
        );
    }
}

fn warn_bilevel(summary: &ScanSummary) {
    if summary.bilevel_pages > 0 {
        eprintln!(
            "warning: {} page(s) were scanned in black and white (1 bit), where a faint pencil mark can vanish\nhint: set the scanner to grey (8 bit) and scan those sheets again, or check them by hand",
            summary.bilevel_pages
        );
    }
}

/// `void VOTE --all-unused`: asks on a terminal, refuses without one unless --yes.
pub fn void_all_unused(v: &mut Vote, yes: bool) -> anyhow::Result<u8> {
    let unused = api::void_all_unused_count(v)?;
    if unused == 0 {
        println!("no unused serial to void");
        return Ok(0);
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(ApiError::refused(
                format!(
                    "--all-unused voids {unused} serial(s) and asks first, but there is no terminal to ask on"
                ),
                "check the list with `kiemphieu serials VOTE --unused`, then add --yes",
            )
            .into());
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
    let d = api::void_all_unused(v)?;
    println!(
        "voided {} unused ballot(s); printed {}, voided {}, issued {}",
        d.count,
        d.printed,
        d.voided,
        d.issued()
    );
    Ok(0)
}

/// What `meeting` says once the facts are recorded.
pub fn meeting(r: &MeetingRecorded, vote: &Path) {
    let m = &r.meeting;
    println!(
        "meeting recorded: {} of {} present; quorum (2/3) {}",
        m.present,
        m.convened,
        if m.quorum_met() { "met" } else { "NOT met" }
    );
    for (name, role) in &m.committee {
        println!("  {role}: {name}");
    }
    if r.no_chair {
        eprintln!(
            "warning: no chair recorded; the minutes cannot be final without one\nhint: kiemphieu meeting {} --chair NAME --member NAME",
            vote.display()
        );
    }
}

/// `serials`, optionally only one state.
pub fn serials(lines: &[SerialLine], unused: bool, counted: bool, voided: bool) {
    let want = match (unused, counted, voided) {
        (true, ..) => Some(SerialUse::Unused),
        (_, true, _) => Some(SerialUse::Counted),
        (.., true) => Some(SerialUse::Voided),
        _ => None,
    };
    for l in lines {
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
            .as_ref()
            .map(|(id, what)| format!("  sheet {id} ({what})"))
            .unwrap_or_default();
        println!(
            "{}  {state:<7}  batch {} page {}{sheet}",
            l.serial.grouped(),
            l.batch,
            l.page
        );
    }
}

/// What `audit sample` says.
pub fn sample(s: &SampleWritten, seed: u64) {
    println!(
        "sample of {} counted sheet(s), seed {seed}:",
        s.sheets.len()
    );
    for sheet in &s.sheets {
        println!(
            "  sheet {:>5}  serial {}  {}",
            sheet.id,
            sheet
                .record
                .serial
                .as_deref()
                .map_or_else(|| "-".to_string(), kiemphieu::annotate::serial_as_printed),
            printable(&sheet.record.file)
        );
    }
    println!("printable sheets: {}", s.path.display());
}

/// The note that minutes were written.
pub fn minutes_written(m: &MinutesWritten) {
    eprintln!(
        "minutes written to {}{}",
        m.path.display(),
        if m.draft { " (DỰ THẢO)" } else { "" }
    );
}
