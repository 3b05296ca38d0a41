//! Simulation: marked, scanner-like images of a vote's printed ballots, with their ground truth.
//!
//! [`simulate`] takes the very PDF pages that `generate` printed, renders each at its scanner's
//! dpi, lets a simulated voter mark it ([`voter`]), passes it through a simulated scanner
//! ([`scanner`]) and writes `OUT/sheet-0001.jpg`, … with `OUT/truth.json` saying what each file
//! holds and what the scanner should make of it. Geometry comes only from the vote's
//! [`BallotLayout`](crate::layout::BallotLayout). Nothing here reads the scanner's code: the
//! scanner is judged on sheets it was not designed for.
//!
//! The run is reproducible: every sheet draws from its own generator seeded by `(seed, sheet
//! index)`, so the same seed writes byte-identical files whatever the number of threads.
//!
//! What the sheets hold, and what the scanner must make of them:
//!
//! | kind            | what it is                                           | expect                       |
//! |-----------------|------------------------------------------------------|------------------------------|
//! | `genuine`       | a registered, unvoided serial, as printed            | `counted`                    |
//! | `missing_stamp` | a genuine sheet whose stamp zone was whited out      | `review`, `missing_stamp`    |
//! | `duplicate`     | a photocopy of an earlier genuine sheet of this run  | `review`, `duplicate_serial` |
//! | `forged`        | a ballot with a serial that was never registered     | `rejected`, `not_issued`     |
//! | `foreign`       | the same form printed for another vote id            | `rejected`, `wrong_vote`     |
//! | `bad_input`     | see [`BadInput`](bad::BadInput)                      | `error` or `review`          |
//!
//! A row's truth says what the voter did; it never depends on stray ink, which stays 2 mm clear
//! of every box frame and out of the name cells. `clear` is false when some mark is a faint
//! pencil mark: the scanner may then count the sheet or send it to a person.

mod bad;
mod ink;
mod rng;
mod scanner;
mod shapes;
mod voter;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::font::BallotFont;
use crate::form::Form;
use crate::layout::{BallotLayout, RectMm};
use crate::raster::PrintedPdf;
use crate::record::{Outcome, Reason, RowVerdict};
use crate::serial::{ALPHABET, Serial};
use crate::vote::Vote;
use bad::BadInput;
use ink::Paper;
use rng::SimRng;
use scanner::{Level, Setup};

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    pub seed: u64,
    /// Genuine sheets, each a registered, unvoided serial in print order.
    pub count: usize,
    pub faults: FaultLevel,
    /// Adds the seven bad inputs of [`BadInput`](bad::BadInput).
    pub include_bad_inputs: bool,
    /// Sheets with a serial never registered.
    pub forged: usize,
    /// Sheets of another vote.
    pub foreign: usize,
    /// Photocopies of earlier genuine sheets of the run.
    pub duplicates: usize,
    /// Genuine sheets (further serials) with the stamp whited out.
    pub missing_stamp: usize,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 1,
            count: 50,
            faults: FaultLevel::All,
            include_bad_inputs: false,
            forged: 0,
            foreign: 0,
            duplicates: 0,
            missing_stamp: 0,
        }
    }
}

/// How rough the simulated scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultLevel {
    /// 300 dpi, upright, no noise, PNG.
    None,
    /// Small skew and offset, 200–300 dpi, JPEG, light noise and blur.
    Mild,
    /// Skew up to 10° and quarter turns, perspective, 150–300 dpi, blur, noise, tinted paper.
    Harsh,
    /// Each sheet draws its level: none 25 %, mild 45 %, harsh 30 %.
    All,
}

impl FaultLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultLevel::None => "none",
            FaultLevel::Mild => "mild",
            FaultLevel::Harsh => "harsh",
            FaultLevel::All => "all",
        }
    }
}

impl std::str::FromStr for FaultLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [FaultLevel::None, FaultLevel::Mild, FaultLevel::Harsh, FaultLevel::All]
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| format!("unknown fault level {s:?} (none, mild, harsh or all)"))
    }
}

#[derive(thiserror::Error, Debug)]
pub enum SimError {
    #[error(
        "{vote_dir}: {needed} unused ballots are needed, only {usable} are printed and not voided\nhint: run `kiemphieu generate {vote_dir} --count {missing}` first",
        vote_dir = vote_dir.display(),
        missing = needed - usable
    )]
    NotEnoughBallots { vote_dir: PathBuf, needed: usize, usable: usize },
    #[error("{duplicates} duplicate(s) asked for, but no genuine sheet to copy\nhint: ask for a count of 1 or more")]
    NothingToDuplicate { duplicates: usize },
    #[error("{path}: cannot list the printed serials: {source}", path = path.display())]
    Registry { path: PathBuf, source: crate::store::StoreError },
    #[error("cannot read {path}: {source}", path = path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {reason}", path = path.display())]
    Render { path: PathBuf, reason: String },
    #[error("cannot print a {what} ballot: {reason}")]
    Print { what: String, reason: String },
    #[error("cannot encode {path} as {format}: {reason}", path = path.display())]
    Encode { path: PathBuf, format: String, reason: String },
    #[error("cannot write {path}: {source}", path = path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} already holds simulated sheets ({found})\nhint: choose an empty folder, or delete its sheet files and truth.json",
        path = path.display()
    )]
    OutNotEmpty { path: PathBuf, found: String },
}

/// What a run wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSummary {
    pub sheets: usize,
    pub out: PathBuf,
    pub truth: PathBuf,
}

/// `OUT/truth.json`: what every file holds and what the scanner should make of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub vote: String,
    pub seed: u64,
    pub sheets: Vec<TruthSheet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthSheet {
    /// File name, relative to OUT.
    pub file: String,
    /// The serial in the sheet's QR code (none for files without one).
    pub serial: Option<String>,
    pub kind: SheetKind,
    pub expect: Outcome,
    pub expect_reason: Option<Reason>,
    /// What the voter did in each row (empty for bad inputs).
    pub rows: Vec<TruthRow>,
    /// True when every mark is clear (no faint pencil): the scanner should not need a person.
    pub clear: bool,
    pub faults: Faults,
    /// For people: stray ink on the sheet ("signature", "doodle:star", …), "photocopy",
    /// "stamp_whited_out", or what a bad input is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetKind {
    Genuine,
    Forged,
    Foreign,
    Duplicate,
    MissingStamp,
    BadInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthRow {
    pub subject: usize,
    /// `valid` (exactly one mark), `no_mark`, `multiple_marks` or `crossed_out`.
    pub verdict: RowVerdict,
    /// The marked level when the verdict is `valid`.
    pub choice: Option<usize>,
    /// The mark is light pencil: a scanner may count it or ask a person.
    pub faint: bool,
    /// How: `x`, `tick`, `fill`, `scribble`, `circle`, `dot`, `pencil`, `none`; several marks
    /// joined by `+`; `strike`, `double_strike`, `wavy_strike` (maybe `+` a mark) for a name
    /// crossed out.
    pub style: String,
}

/// What the simulated scanner did to a sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// `none`, `mild` or `harsh`.
    pub level: String,
    /// The scanner's nominal resolution; 0 for files that are not scans.
    pub dpi: u32,
    /// Skew of the page on the bed, degrees, clockwise in the image.
    pub rotation_deg: f64,
    /// Quarter turns clockwise applied last (1 = the page's top is on the right, 2 = upside down).
    pub quarter_turns: u8,
    /// Size of the page in the image relative to the nominal dpi.
    pub scale: f64,
    /// Shift of the page's centre from its place on the bed (mm, x right, y down).
    pub offset_mm: (f64, f64),
    /// Largest displacement of a page corner by the perspective (mm).
    pub perspective: f64,
    /// Gaussian blur, sigma in pixels of the image.
    pub blur_sigma: f64,
    /// Sensor noise, standard deviation in grey levels (of 255).
    pub noise: f64,
    pub jpeg_quality: Option<u8>,
    pub gray: bool,
    /// The paper's colour, multiplied into the page.
    pub tint: Option<[u8; 3]>,
    /// `png`, `jpg` or `tif`.
    pub format: String,
}

impl Faults {
    /// For a file that never went through the scanner.
    fn not_scanned(format: &str) -> Faults {
        Faults {
            level: "none".into(),
            dpi: 0,
            rotation_deg: 0.0,
            quarter_turns: 0,
            scale: 1.0,
            offset_mm: (0.0, 0.0),
            perspective: 0.0,
            blur_sigma: 0.0,
            noise: 0.0,
            jpeg_quality: None,
            gray: false,
            tint: None,
            format: format.into(),
        }
    }
}

/// Where a printed sheet comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    /// Index into the usable (registered, unvoided) serials.
    Registered(usize),
    /// A serial never registered.
    Unregistered,
    /// Another vote's ballot.
    OtherVote,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Job {
    Printed { kind: SheetKind, source: Source, keep_clear: bool },
    Bad(BadInput),
}

/// Independent random streams of a sheet.
const STREAM_PLAN: u64 = 0;
const STREAM_MARKS: u64 = 1;
const STREAM_SCAN: u64 = 2;
const STREAM_PAPER: u64 = 3;

/// Ids of other votes, for foreign sheets.
const OTHER_VOTES: [&str; 4] =
    ["tin-nhiem-so-tnmt-2023", "tin-nhiem-hdnd-tinh-2023", "bau-ban-chap-hanh-2024", "tin-nhiem-so-yte-2022"];

/// Orders the sheets: genuine ones in print order, the others mixed in, every photocopy after
/// its original.
fn plan(opts: &SimOptions) -> Vec<Job> {
    let mut rng = SimRng::derived(opts.seed, STREAM_PLAN, 0);
    let genuine = |i| Job::Printed { kind: SheetKind::Genuine, source: Source::Registered(i), keep_clear: false };
    let mut jobs: Vec<Job> = (0..opts.count).map(genuine).collect();
    let mut extra = Vec::new();
    for i in 0..opts.missing_stamp {
        let source = Source::Registered(opts.count + i);
        extra.push(Job::Printed { kind: SheetKind::MissingStamp, source, keep_clear: false });
    }
    for _ in 0..opts.forged {
        extra.push(Job::Printed { kind: SheetKind::Forged, source: Source::Unregistered, keep_clear: false });
    }
    for _ in 0..opts.foreign {
        extra.push(Job::Printed { kind: SheetKind::Foreign, source: Source::OtherVote, keep_clear: false });
    }
    if opts.include_bad_inputs {
        extra.extend(BadInput::ALL.map(Job::Bad));
    }
    for job in extra {
        let at = rng.below(jobs.len() + 1);
        jobs.insert(at, job);
    }
    // Originals: distinct genuine sheets as long as there are enough, then again from the start.
    let mut originals: Vec<usize> = (0..opts.count).collect();
    for i in (1..originals.len()).rev() {
        originals.swap(i, rng.below(i + 1));
    }
    for d in 0..opts.duplicates {
        let serial = originals[d % originals.len()];
        let pos = jobs
            .iter()
            .position(|j| matches!(j, Job::Printed { kind: SheetKind::Genuine, source: Source::Registered(s), .. } if *s == serial))
            .expect("every original is planned");
        if let Job::Printed { keep_clear, .. } = &mut jobs[pos] {
            *keep_clear = true;
        }
        let at = pos + 1 + rng.below(jobs.len() - pos);
        let source = Source::Registered(serial);
        jobs.insert(at, Job::Printed { kind: SheetKind::Duplicate, source, keep_clear: false });
    }
    jobs
}

/// Everything a sheet needs, shareable between threads.
struct Ctx<'a> {
    form: &'a Form,
    layout: &'a BallotLayout,
    stamp: Option<Vec<u8>>,
    /// Usable serials with their batch and 1-based page.
    usable: Vec<(Serial, i64, i64)>,
    registered: HashSet<String>,
    pdfs: BTreeMap<i64, (PathBuf, PrintedPdf)>,
    out: &'a Path,
    seed: u64,
    faults: FaultLevel,
    digits: usize,
}

/// Writes `opts.count` genuine sheets and the asked-for others to `out`, with `out/truth.json`.
pub fn simulate(vote: &Vote, out: &Path, opts: &SimOptions) -> Result<SimSummary, SimError> {
    let db = Vote::db_path(&vote.dir);
    let serials = vote.store.serials().map_err(|source| SimError::Registry { path: db.clone(), source })?;
    let registered: HashSet<String> = serials.iter().map(|(s, ..)| s.to_string()).collect();
    let usable: Vec<(Serial, i64, i64)> =
        serials.into_iter().filter(|(.., voided)| !voided).map(|(s, b, p, _)| (s, b, p)).collect();
    let needed = opts.count + opts.missing_stamp;
    if needed > usable.len() {
        return Err(SimError::NotEnoughBallots { vote_dir: vote.dir.clone(), needed, usable: usable.len() });
    }
    if opts.duplicates > 0 && opts.count == 0 {
        return Err(SimError::NothingToDuplicate { duplicates: opts.duplicates });
    }
    check_out(out)?;
    let stamp = vote.stamp_image().map_err(|e| SimError::Render { path: vote.dir.clone(), reason: e.to_string() })?;

    let mut pdfs = BTreeMap::new();
    for (_, batch, _) in &usable[..needed] {
        if !pdfs.contains_key(batch) {
            let path = vote.dir.join(format!("ballots/batch-{batch:04}.pdf"));
            let bytes = std::fs::read(&path).map_err(|source| SimError::Read { path: path.clone(), source })?;
            let pdf = PrintedPdf::load(bytes).map_err(|e| SimError::Render { path: path.clone(), reason: e.to_string() })?;
            pdfs.insert(*batch, (path, pdf));
        }
    }

    let jobs = plan(opts);
    let digits = jobs.len().to_string().len().max(4);
    let ctx = Ctx {
        form: &vote.form,
        layout: &vote.layout,
        stamp,
        usable,
        registered,
        pdfs,
        out,
        seed: opts.seed,
        faults: opts.faults,
        digits,
    };
    let sheets = jobs
        .par_iter()
        .enumerate()
        .map(|(i, job)| make_sheet(&ctx, i, *job))
        .collect::<Result<Vec<TruthSheet>, SimError>>()?;

    let truth = Truth { vote: vote.form.id.clone(), seed: opts.seed, sheets };
    let json = serde_json::to_string_pretty(&truth).expect("truth serializes");
    write_atomic(out, "truth.json", json.as_bytes())?;
    Ok(SimSummary { sheets: truth.sheets.len(), out: out.to_owned(), truth: out.join("truth.json") })
}

/// Refuses an output folder that already holds a simulation, so that truths never mix.
fn check_out(out: &Path) -> Result<(), SimError> {
    std::fs::create_dir_all(out).map_err(|source| SimError::Write { path: out.to_owned(), source })?;
    let entries = std::fs::read_dir(out).map_err(|source| SimError::Read { path: out.to_owned(), source })?;
    let mut found: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n == "truth.json" || n.starts_with("sheet-"))
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    found.sort();
    let n = found.len();
    let mut listed = found.into_iter().take(3).collect::<Vec<_>>().join(", ");
    if n > 3 {
        listed.push_str(&format!(" and {} more", n - 3));
    }
    Err(SimError::OutNotEmpty { path: out.to_owned(), found: listed })
}

/// Writes a file under a hidden temporary name, then renames it: a folder watcher sees it whole
/// or not at all.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SimError> {
    let tmp = dir.join(format!(".{name}.partial"));
    let path = dir.join(name);
    std::fs::write(&tmp, bytes).map_err(|source| SimError::Write { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, &path).map_err(|source| SimError::Write { path, source })
}

/// A serial that passes every check of its own but was never registered.
fn unregistered_serial(rng: &mut SimRng, registered: &HashSet<String>) -> Serial {
    loop {
        let body: String = (0..14).map(|_| ALPHABET[rng.below(ALPHABET.len())] as char).collect();
        let found = ALPHABET.iter().find_map(|&c| Serial::parse(&format!("{body}{}", c as char)).ok());
        if let Some(s) = found.filter(|s| !registered.contains(s.as_str())) {
            return s;
        }
    }
}

fn render_new_ballot(
    form: &Form,
    layout: &BallotLayout,
    serial: &Serial,
    stamp: Option<&[u8]>,
    dpi: f64,
    what: &str,
) -> Result<image::RgbImage, SimError> {
    let print_err = |reason: String| SimError::Print { what: what.into(), reason };
    let bytes = crate::print::render_ballots(form, layout, std::slice::from_ref(serial), stamp)
        .map_err(|e| print_err(e.to_string()))?;
    let pdf = PrintedPdf::load(bytes).map_err(|e| print_err(e.to_string()))?;
    pdf.render(0, dpi).map_err(|e| print_err(e.to_string()))
}

/// The part of the page that must stay on the scanner's bed: the registration marks and inside.
fn content_rect(layout: &BallotLayout) -> RectMm {
    let f = &layout.fiducials;
    let x0 = f.iter().map(|r| r.x_mm).fold(f64::MAX, f64::min) - 3.0;
    let y0 = f.iter().map(|r| r.y_mm).fold(f64::MAX, f64::min) - 3.0;
    let x1 = f.iter().map(|r| r.right()).fold(f64::MIN, f64::max) + 3.0;
    let y1 = f.iter().map(|r| r.bottom()).fold(f64::MIN, f64::max) + 3.0;
    RectMm::new(x0, y0, x1 - x0, y1 - y0)
}

fn level_of(faults: FaultLevel, rng: &mut SimRng) -> Level {
    match faults {
        FaultLevel::None => Level::None,
        FaultLevel::Mild => Level::Mild,
        FaultLevel::Harsh => Level::Harsh,
        FaultLevel::All => [Level::None, Level::Mild, Level::Harsh][rng.weighted(&[0.25, 0.45, 0.30])],
    }
}

fn make_sheet(ctx: &Ctx, index: usize, job: Job) -> Result<TruthSheet, SimError> {
    let seed = ctx.seed;
    let mut scan_rng = SimRng::derived(seed, STREAM_SCAN, index as u64);
    let mut paper_rng = SimRng::derived(seed, STREAM_PAPER, index as u64);
    let mut setup = Setup::draw(level_of(ctx.faults, &mut scan_rng), &mut scan_rng);
    let dpi = setup.dpi();
    let k = dpi / 25.4;
    let stem = format!("sheet-{:0width$}", index + 1, width = ctx.digits);
    let layout = ctx.layout;
    let (page_w, page_h) = ((layout.page.width_mm * k) as u32, (layout.page.height_mm * k) as u32);

    let (page, sheet) = match job {
        Job::Bad(bad) => {
            let (expect, reason) = bad.expect();
            let mut sheet = TruthSheet {
                file: String::new(),
                serial: None,
                kind: SheetKind::BadInput,
                expect,
                expect_reason: Some(reason),
                rows: Vec::new(),
                clear: true,
                faults: setup.faults.clone(),
                notes: vec![bad.label().into()],
            };
            if let Some(ext) = bad.fixed_ext() {
                let bytes = match bad {
                    BadInput::Empty => Vec::new(),
                    BadInput::Truncated => bad::truncated_jpeg(&mut paper_rng),
                    BadInput::TextAsPng => bad::text_file(),
                    _ => bad::giant_png(),
                };
                sheet.file = format!("{stem}.{ext}");
                sheet.faults = Faults::not_scanned(ext);
                write_atomic(ctx.out, &sheet.file, &bytes)?;
                return Ok(sheet);
            }
            let page = match bad {
                BadInput::Blank => image::RgbImage::from_pixel(page_w, page_h, image::Rgb([255, 255, 255])),
                BadInput::OtherDocument => bad::other_document(page_w, page_h, k, &mut paper_rng),
                _ => {
                    let serial = unregistered_serial(&mut paper_rng, &ctx.registered);
                    let small = render_new_ballot(ctx.form, layout, &serial, ctx.stamp.as_deref(), dpi / 2.0, "half-size")?;
                    let mut page = image::RgbImage::from_pixel(page_w, page_h, image::Rgb([255, 255, 255]));
                    let x = paper_rng.range(15.0 * k, (page_w - small.width()) as f64 - 15.0 * k) as i64;
                    let y = paper_rng.range(15.0 * k, (page_h - small.height()) as f64 - 15.0 * k) as i64;
                    image::imageops::replace(&mut page, &small, x, y);
                    sheet.serial = Some(serial.to_string());
                    page
                }
            };
            (page, sheet)
        }
        Job::Printed { kind, source, keep_clear } => {
            let mut notes = Vec::new();
            let foreign_form;
            let foreign_layout;
            let (mut page, serial, layout) = match source {
                Source::Registered(i) => {
                    let (serial, batch, page_no) = &ctx.usable[i];
                    let (path, pdf) = &ctx.pdfs[batch];
                    let page = pdf
                        .render((*page_no - 1) as usize, dpi)
                        .map_err(|e| SimError::Render { path: path.clone(), reason: e.to_string() })?;
                    (page, serial.clone(), layout)
                }
                Source::Unregistered => {
                    let serial = unregistered_serial(&mut paper_rng, &ctx.registered);
                    let page = render_new_ballot(ctx.form, layout, &serial, ctx.stamp.as_deref(), dpi, "forged")?;
                    (page, serial, layout)
                }
                Source::OtherVote => {
                    let mut form = ctx.form.clone();
                    let others: Vec<&str> = OTHER_VOTES.iter().copied().filter(|v| *v != form.id).collect();
                    form.id = paper_rng.pick(&others).to_string();
                    foreign_layout = form.layout();
                    foreign_form = form;
                    let serial = unregistered_serial(&mut paper_rng, &ctx.registered);
                    let page =
                        render_new_ballot(&foreign_form, &foreign_layout, &serial, ctx.stamp.as_deref(), dpi, "foreign")?;
                    notes.push(format!("vote:{}", foreign_form.id));
                    (page, serial, &foreign_layout)
                }
            };
            if kind == SheetKind::Duplicate {
                page = scanner::photocopy(&page, k, &mut paper_rng);
                notes.push("photocopy".into());
            }
            let mut paper = Paper { img: &mut page, px_per_mm: k, grain_seed: paper_rng.next_u64() };
            if kind == SheetKind::MissingStamp {
                paper.paint(layout.stamp.inset(-1.0), [255, 255, 255]);
                notes.push("stamp_whited_out".into());
            }
            let mut marks_rng = SimRng::derived(seed, STREAM_MARKS, index as u64);
            let marking = voter::vote_on(layout, &mut marks_rng, !keep_clear);
            for s in &marking.strokes {
                paper.draw(s);
            }
            let font = BallotFont::regular();
            for hw in &marking.writing {
                paper.write(hw, font.face());
            }
            notes.extend(marking.strays);
            let (expect, expect_reason) = match kind {
                SheetKind::Genuine => (Outcome::Counted, None),
                SheetKind::MissingStamp => (Outcome::Review, Some(Reason::MissingStamp)),
                SheetKind::Duplicate => (Outcome::Review, Some(Reason::DuplicateSerial)),
                SheetKind::Forged => (Outcome::Rejected, Some(Reason::NotIssued)),
                SheetKind::Foreign => (Outcome::Rejected, Some(Reason::WrongVote)),
                SheetKind::BadInput => unreachable!("bad inputs are not printed ballots"),
            };
            let clear = marking.rows.iter().all(|r| !r.faint);
            let sheet = TruthSheet {
                file: String::new(),
                serial: Some(serial.to_string()),
                kind,
                expect,
                expect_reason,
                rows: marking.rows,
                clear,
                faults: setup.faults.clone(),
                notes,
            };
            (page, sheet)
        }
    };

    let image = setup.scan(page, content_rect(layout), &mut scan_rng);
    let mut sheet = sheet;
    sheet.faults = setup.faults.clone();
    sheet.file = format!("{stem}.{}", sheet.faults.format);
    let bytes = scanner::encode(&image, &sheet.faults).map_err(|reason| SimError::Encode {
        path: ctx.out.join(&sheet.file),
        format: sheet.faults.format.clone(),
        reason,
    })?;
    write_atomic(ctx.out, &sheet.file, &bytes)?;
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(count: usize) -> SimOptions {
        SimOptions { count, ..SimOptions::default() }
    }

    #[test]
    fn plan_puts_every_copy_after_its_original() {
        let o = SimOptions { duplicates: 6, forged: 2, foreign: 2, missing_stamp: 1, include_bad_inputs: true, ..opts(4) };
        let jobs = plan(&o);
        assert_eq!(jobs.len(), 4 + 6 + 2 + 2 + 1 + 7);
        for (i, j) in jobs.iter().enumerate() {
            if let Job::Printed { kind: SheetKind::Duplicate, source: Source::Registered(s), .. } = j {
                let orig = jobs.iter().position(|o| {
                    matches!(o, Job::Printed { kind: SheetKind::Genuine, source: Source::Registered(t), keep_clear: true } if t == s)
                });
                assert!(orig.is_some_and(|o| o < i), "copy {i} of serial {s}");
            }
        }
        let genuine: Vec<usize> = jobs
            .iter()
            .filter_map(|j| match j {
                Job::Printed { kind: SheetKind::Genuine, source: Source::Registered(s), .. } => Some(*s),
                _ => None,
            })
            .collect();
        assert_eq!(genuine, vec![0, 1, 2, 3]);
        assert_eq!(plan(&o), jobs);
    }

    #[test]
    fn fault_levels_parse() {
        assert_eq!("harsh".parse::<FaultLevel>(), Ok(FaultLevel::Harsh));
        assert!("rough".parse::<FaultLevel>().is_err());
    }
}
