//! Simulation: marked, scanner-like images of a vote's printed ballots, with their ground truth.
//!
//! [`simulate`] takes the very PDF pages that `generate` printed, renders each at its scanner's
//! dpi, lets a simulated voter mark it (`voter.rs`), passes it through a simulated scanner
//! (`scanner.rs`) and writes `OUT/sheet-0001.jpg`, … with `OUT/truth.json` ([`Truth`]) saying
//! what each file holds and what the scanner should make of it. Geometry comes only from the
//! vote's [`BallotLayout`](crate::layout::BallotLayout). Nothing here reads the scanner's code: the scanner is judged on
//! sheets it was not designed for.
//!
//! The run is reproducible: every sheet draws from its own generators seeded by `(seed, sheet
//! index)`, so the same seed and the same printed ballots give byte-identical files, whatever
//! the number of threads.
//!
//! What the sheets hold, and what the scanner must make of them:
//!
//! | kind            | what it is                                             | expect                          |
//! |-----------------|--------------------------------------------------------|---------------------------------|
//! | `genuine`       | a registered, unvoided serial, as printed              | `counted`                       |
//! | `missing_stamp` | one of the `count` sheets, its stamp zone whited out   | `review`, `missing_stamp`       |
//! | `duplicate`     | a photocopy of an earlier genuine sheet of the run     | `review`, `duplicate_serial`    |
//! | `forged`        | a ballot with a serial that was never registered       | `rejected`, `not_issued`        |
//! | `foreign`       | the same form printed for another vote id              | `rejected`, `wrong_vote`        |
//! | `bad_input`     | an empty file, a JPEG cut off mid-data, a text file    | `error`, `not_an_image`         |
//! |                 | named `.png`                                           |                                 |
//! | `bad_input`     | a PNG header claiming 100000×100000 pixels             | `error`, `image_too_large`      |
//! | `bad_input`     | a blank page, a page of another document, a ballot     | `review`, `registration_failed` |
//! |                 | printed at half size (unregistered serial)             |                                 |
//!
//! A row's truth says what the voter did; it never depends on stray ink (signatures, a name
//! written in under the list, doodles, a tick beside a box), which stays 2 mm clear of every box
//! frame and out of the name cells. Every clear mark darkens at least a fifth of its box's
//! inside. `clear` is false when some mark is a faint pencil mark: the scanner may then count the
//! sheet or send it to a person.
//!
//! The scanner's faults, by level (`All` draws none 25 %, mild 45 %, harsh 30 % per sheet):
//!
//! | | none | mild | harsh |
//! |-|------|------|-------|
//! | dpi | 300 | 200, 240, 300 | 150, 200, 240, 300 |
//! | skew | 0 | ±3° | ±10°, then 0/90/180/270° turns (40/20/20/20 %) |
//! | scale, offset | 1, 0 | 0.97–1.03, ±8 mm | 0.93–1.07, ±15 mm |
//! | perspective | 0 | 0 | corners moved up to 1.5 mm |
//! | blur σ (at 300 dpi) | 0 | 0.2–0.6 px | 0.4–1.2 px |
//! | noise σ | 0 | 0.5–3 grey levels | 2–8 grey levels, dust |
//! | output | colour PNG | JPEG q 80–95, grey 30 % | JPEG q 60–90 (70 %), PNG, grey TIFF; grey 45 % |
//! | paper, bed | flat page, no bed | bed 0–20 mm a side | tinted paper 60 %, low contrast 40 %, uneven lamp 50 % |
//!
//! Mild and harsh sheets are folded (in thirds, half or quarters) 40 % of the time.

mod bad;
pub mod formats;
mod ink;
mod pixels;
mod rng;
mod scanner;
mod shapes;
mod sheet;
mod stray;
mod truth;
mod voter;

pub use bad::{minimal_pdf, png_chunk};
pub use truth::{Faults, SheetKind, Truth, TruthRow, TruthSheet};

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::raster::PrintedPdf;
use crate::serial::Serial;
use crate::vote::Vote;
use bad::BadInput;
use rng::SimRng;
use sheet::{Ctx, Job, STREAM_PLAN, Source, make_sheet, write_atomic};

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    pub seed: u64,
    /// Sheets of registered, unvoided serials, in print order (genuine ones and those with a
    /// whited-out stamp).
    pub count: usize,
    pub faults: FaultLevel,
    /// Adds the seven bad inputs (see the module's table).
    pub include_bad_inputs: bool,
    /// Sheets with a serial never registered.
    pub forged: usize,
    /// Sheets of another vote.
    pub foreign: usize,
    /// Photocopies of earlier genuine sheets of the run.
    pub duplicates: usize,
    /// How many of the `count` sheets have their stamp whited out.
    pub missing_stamp: usize,
    /// Every sheet scanned at this resolution, whatever its fault level draws (for calibration
    /// at 150, 200 and 300 dpi); `None` lets each sheet draw its own.
    pub dpi: Option<u32>,
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
            dpi: None,
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
        [
            FaultLevel::None,
            FaultLevel::Mild,
            FaultLevel::Harsh,
            FaultLevel::All,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
        .ok_or_else(|| format!("unknown fault level {s:?} (none, mild, harsh or all)"))
    }
}

#[derive(thiserror::Error, Debug)]
pub enum SimError {
    #[error(
        "{vote_dir}: {needed} unused ballots are needed, only {usable} are printed and not voided",
        vote_dir = vote_dir.display()
    )]
    NotEnoughBallots {
        vote_dir: PathBuf,
        needed: usize,
        usable: usize,
    },
    #[error("{missing_stamp} sheets without a stamp asked for, but only {count} sheets in all")]
    MissingStampOverCount { missing_stamp: usize, count: usize },
    #[error("{duplicates} duplicate(s) asked for, but no genuine sheet to copy")]
    NothingToDuplicate { duplicates: usize },
    #[error("{path}: cannot list the printed serials: {source}", path = path.display())]
    Registry {
        path: PathBuf,
        source: crate::store::StoreError,
    },
    #[error("cannot read {path}: {source}", path = path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}", path = path.display())]
    Render { path: PathBuf, reason: String },
    #[error("cannot print a {what} ballot: {reason}")]
    Print { what: String, reason: String },
    #[error("cannot encode {path} as {format}: {reason}", path = path.display())]
    Encode {
        path: PathBuf,
        format: String,
        reason: String,
    },
    #[error("cannot write {path}: {source}", path = path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} already holds simulated sheets ({found})", path = path.display())]
    OutNotEmpty { path: PathBuf, found: String },
}

impl SimError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            SimError::NotEnoughBallots {
                vote_dir,
                needed,
                usable,
            } => format!(
                "run `kiemphieu generate {} --count {}` first",
                vote_dir.display(),
                needed - usable
            ),
            SimError::MissingStampOverCount { .. } => {
                "the sheets without a stamp are taken from the count; raise the count".into()
            }
            SimError::NothingToDuplicate { .. } => {
                "ask for a count above the sheets without a stamp".into()
            }
            SimError::OutNotEmpty { .. } => {
                "choose an empty folder, or delete its sheet files and truth.json".into()
            }
            SimError::Registry { source, .. } => return source.hint().map(str::to_string),
            _ => return None,
        })
    }
}

/// What a run wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSummary {
    pub sheets: usize,
    pub out: PathBuf,
    pub truth: PathBuf,
}

/// Orders the sheets: genuine ones in print order, the others mixed in, every photocopy after
/// its original.
fn plan(opts: &SimOptions) -> Vec<Job> {
    let mut rng = SimRng::derived(opts.seed, STREAM_PLAN, 0);
    let genuine = |i| Job::Printed {
        kind: SheetKind::Genuine,
        source: Source::Registered(i),
        keep_clear: false,
    };
    let mut jobs: Vec<Job> = (0..opts.count).map(genuine).collect();
    // A random choice of the printed sheets lose their stamp.
    let mut order: Vec<usize> = (0..opts.count).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let (unstamped, originals) = order.split_at(opts.missing_stamp.min(opts.count));
    for &i in unstamped {
        if let Job::Printed { kind, .. } = &mut jobs[i] {
            *kind = SheetKind::MissingStamp;
        }
    }
    let mut extra = Vec::new();
    for _ in 0..opts.forged {
        extra.push(Job::Printed {
            kind: SheetKind::Forged,
            source: Source::Unregistered,
            keep_clear: false,
        });
    }
    for _ in 0..opts.foreign {
        extra.push(Job::Printed {
            kind: SheetKind::Foreign,
            source: Source::OtherVote,
            keep_clear: false,
        });
    }
    if opts.include_bad_inputs {
        extra.extend(BadInput::ALL.map(Job::Bad));
    }
    for job in extra {
        let at = rng.below(jobs.len() + 1);
        jobs.insert(at, job);
    }
    // Originals: distinct genuine sheets as long as there are enough, then again from the start.
    for d in 0..opts.duplicates {
        if originals.is_empty() {
            break;
        }
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
        jobs.insert(
            at,
            Job::Printed {
                kind: SheetKind::Duplicate,
                source,
                keep_clear: false,
            },
        );
    }
    jobs
}

/// Writes `opts.count` sheets of registered serials (some without their stamp) and the
/// asked-for others to `out`, with `out/truth.json`. Refuses a folder that already holds a
/// simulation, and a count larger than the printed, unvoided ballots.
pub fn simulate(vote: &Vote, out: &Path, opts: &SimOptions) -> Result<SimSummary, SimError> {
    let db = Vote::db_path(&vote.dir);
    let serials = vote.store.serials().map_err(|source| SimError::Registry {
        path: db.clone(),
        source,
    })?;
    let registered: HashSet<String> = serials.iter().map(|r| r.serial.to_string()).collect();
    let usable: Vec<(Serial, i64, i64)> = serials
        .into_iter()
        .filter(|r| !r.voided)
        .map(|r| (r.serial, r.batch, r.page))
        .collect();
    let needed = opts.count;
    if opts.missing_stamp > opts.count {
        return Err(SimError::MissingStampOverCount {
            missing_stamp: opts.missing_stamp,
            count: opts.count,
        });
    }
    if needed > usable.len() {
        return Err(SimError::NotEnoughBallots {
            vote_dir: vote.dir.clone(),
            needed,
            usable: usable.len(),
        });
    }
    if opts.duplicates > 0 && opts.count == opts.missing_stamp {
        return Err(SimError::NothingToDuplicate {
            duplicates: opts.duplicates,
        });
    }
    check_out(out)?;
    let stamp = vote.stamp_image().map_err(|e| SimError::Render {
        path: vote.dir.clone(),
        reason: e.to_string(),
    })?;

    let mut pdfs = BTreeMap::new();
    for (_, batch, _) in &usable[..needed] {
        if !pdfs.contains_key(batch) {
            let path = vote.dir.join(format!("ballots/batch-{batch:04}.pdf"));
            let bytes = std::fs::read(&path).map_err(|source| SimError::Read {
                path: path.clone(),
                source,
            })?;
            let pdf = PrintedPdf::load(bytes).map_err(|e| SimError::Render {
                path: path.clone(),
                reason: e.to_string(),
            })?;
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
        dpi: opts.dpi,
        digits,
    };
    let sheets = jobs
        .par_iter()
        .enumerate()
        .map(|(i, job)| make_sheet(&ctx, i, *job))
        .collect::<Result<Vec<TruthSheet>, SimError>>()?;

    let truth = Truth {
        vote: vote.form.id.clone(),
        seed: opts.seed,
        sheets,
    };
    let json = serde_json::to_string_pretty(&truth).expect("truth serializes");
    write_atomic(out, "truth.json", json.as_bytes())?;
    Ok(SimSummary {
        sheets: truth.sheets.len(),
        out: out.to_owned(),
        truth: out.join("truth.json"),
    })
}

/// Refuses an output folder that already holds a simulation, so that truths never mix.
fn check_out(out: &Path) -> Result<(), SimError> {
    std::fs::create_dir_all(out).map_err(|source| SimError::Write {
        path: out.to_owned(),
        source,
    })?;
    let entries = std::fs::read_dir(out).map_err(|source| SimError::Read {
        path: out.to_owned(),
        source,
    })?;
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
    Err(SimError::OutNotEmpty {
        path: out.to_owned(),
        found: listed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(count: usize) -> SimOptions {
        SimOptions {
            count,
            ..SimOptions::default()
        }
    }

    #[test]
    fn plan_puts_every_copy_after_its_original() {
        let o = SimOptions {
            duplicates: 6,
            forged: 2,
            foreign: 2,
            missing_stamp: 1,
            dpi: None,
            include_bad_inputs: true,
            ..opts(4)
        };
        let jobs = plan(&o);
        assert_eq!(jobs.len(), 4 + 6 + 2 + 2 + 7);
        for (i, j) in jobs.iter().enumerate() {
            if let Job::Printed {
                kind: SheetKind::Duplicate,
                source: Source::Registered(s),
                ..
            } = j
            {
                let orig = jobs.iter().position(|o| {
                    matches!(o, Job::Printed { kind: SheetKind::Genuine, source: Source::Registered(t), keep_clear: true } if t == s)
                });
                assert!(orig.is_some_and(|o| o < i), "copy {i} of serial {s}");
            }
        }
        let printed: Vec<(SheetKind, usize)> = jobs
            .iter()
            .filter_map(|j| match j {
                Job::Printed {
                    kind: kind @ (SheetKind::Genuine | SheetKind::MissingStamp),
                    source: Source::Registered(s),
                    ..
                } => Some((*kind, *s)),
                _ => None,
            })
            .collect();
        assert_eq!(
            printed.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        let unstamped = printed
            .iter()
            .filter(|p| p.0 == SheetKind::MissingStamp)
            .count();
        assert_eq!(unstamped, 1);
        assert_eq!(plan(&o), jobs);
    }

    #[test]
    fn fault_levels_parse() {
        assert_eq!("harsh".parse::<FaultLevel>(), Ok(FaultLevel::Harsh));
        assert!("rough".parse::<FaultLevel>().is_err());
    }
}
