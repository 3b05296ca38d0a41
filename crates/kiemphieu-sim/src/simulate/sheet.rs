//! One sheet, from the printed page to the file: render, mark, fold, scan, encode, write.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::bad::{self, BadInput};
use super::ink::Paper;
use super::rng::SimRng;
use super::scanner::{self, Level, Setup};
use super::{FaultLevel, Faults, SheetKind, SimError, TruthSheet, voter};
use crate::font::BallotFont;
use crate::form::Form;
use crate::layout::{BallotLayout, RectMm};
use crate::raster::PrintedPdf;
use crate::record::{Outcome, Reason};
use crate::serial::{ALPHABET, Serial};

/// Where a printed sheet comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Source {
    /// Index into the usable (registered, unvoided) serials.
    Registered(usize),
    /// A serial never registered.
    Unregistered,
    /// Another vote's ballot.
    OtherVote,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Job {
    Printed {
        kind: SheetKind,
        source: Source,
        keep_clear: bool,
    },
    Bad(BadInput),
}

/// Independent random streams of a sheet.
pub(super) const STREAM_PLAN: u64 = 0;
const STREAM_MARKS: u64 = 1;
const STREAM_SCAN: u64 = 2;
const STREAM_PAPER: u64 = 3;

/// Ids of other votes, for foreign sheets.
const OTHER_VOTES: [&str; 4] = [
    "tin-nhiem-so-tnmt-2023",
    "tin-nhiem-hdnd-tinh-2023",
    "bau-ban-chap-hanh-2024",
    "tin-nhiem-so-yte-2022",
];

/// Everything a sheet needs, shareable between threads.
pub(super) struct Ctx<'a> {
    pub form: &'a Form,
    pub layout: &'a BallotLayout,
    pub stamp: Option<Vec<u8>>,
    /// Usable serials with their batch and 1-based page.
    pub usable: Vec<(Serial, i64, i64)>,
    pub registered: HashSet<String>,
    pub pdfs: BTreeMap<i64, (PathBuf, PrintedPdf)>,
    pub out: &'a Path,
    pub seed: u64,
    pub faults: FaultLevel,
    pub dpi: Option<u32>,
    pub digits: usize,
}

/// Writes a file under a hidden temporary name, then renames it: a folder watcher sees it whole
/// or not at all.
pub(super) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SimError> {
    let tmp = dir.join(format!(".{name}.partial"));
    let path = dir.join(name);
    std::fs::write(&tmp, bytes).map_err(|source| SimError::Write {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, &path).map_err(|source| SimError::Write { path, source })
}

/// A serial that passes every check of its own but was never registered.
fn unregistered_serial(rng: &mut SimRng, registered: &HashSet<String>) -> Serial {
    loop {
        let body: String = (0..14)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())] as char)
            .collect();
        let found = ALPHABET
            .iter()
            .find_map(|&c| Serial::parse(&format!("{body}{}", c as char)).ok());
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
    let print_err = |reason: String| SimError::Print {
        what: what.into(),
        reason,
    };
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
        FaultLevel::All => {
            [Level::None, Level::Mild, Level::Harsh][rng.weighted(&[0.25, 0.45, 0.30])]
        }
    }
}

pub(super) fn make_sheet(ctx: &Ctx, index: usize, job: Job) -> Result<TruthSheet, SimError> {
    let seed = ctx.seed;
    let mut scan_rng = SimRng::derived(seed, STREAM_SCAN, index as u64);
    let mut paper_rng = SimRng::derived(seed, STREAM_PAPER, index as u64);
    let mut setup = Setup::draw(level_of(ctx.faults, &mut scan_rng), &mut scan_rng);
    if let Some(dpi) = ctx.dpi {
        setup.set_dpi(dpi);
    }
    let dpi = setup.dpi();
    let k = crate::units::px_per_mm(dpi);
    let stem = format!("sheet-{:0width$}", index + 1, width = ctx.digits);
    let layout = ctx.layout;
    let (page_w, page_h) = (
        (layout.page.width_mm * k) as u32,
        (layout.page.height_mm * k) as u32,
    );

    let (page, sheet) = match job {
        Job::Bad(bad) => {
            let (expect, reason) = bad.expect();
            let mut sheet = TruthSheet {
                file: String::new(),
                serial: None,
                kind: SheetKind::BadInput,
                expect,
                expect_reason: reason,
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
                BadInput::Blank => {
                    image::RgbImage::from_pixel(page_w, page_h, image::Rgb([255, 255, 255]))
                }
                BadInput::OtherDocument => bad::other_document(page_w, page_h, k, &mut paper_rng),
                _ => {
                    let serial = unregistered_serial(&mut paper_rng, &ctx.registered);
                    let small = render_new_ballot(
                        ctx.form,
                        layout,
                        &serial,
                        ctx.stamp.as_deref(),
                        dpi / 2.0,
                        "half-size",
                    )?;
                    let mut page =
                        image::RgbImage::from_pixel(page_w, page_h, image::Rgb([255, 255, 255]));
                    let x = paper_rng.range(15.0 * k, (page_w - small.width()) as f64 - 15.0 * k)
                        as i64;
                    let y = paper_rng.range(15.0 * k, (page_h - small.height()) as f64 - 15.0 * k)
                        as i64;
                    image::imageops::replace(&mut page, &small, x, y);
                    sheet.serial = Some(serial.to_string());
                    page
                }
            };
            (page, sheet)
        }
        Job::Printed {
            kind,
            source,
            keep_clear,
        } => {
            let mut notes = Vec::new();
            let foreign_form;
            let foreign_layout;
            let (mut page, serial, layout) = match source {
                Source::Registered(i) => {
                    let (serial, batch, page_no) = &ctx.usable[i];
                    let (path, pdf) = &ctx.pdfs[batch];
                    let page =
                        pdf.render((*page_no - 1) as usize, dpi)
                            .map_err(|e| SimError::Render {
                                path: path.clone(),
                                reason: e.to_string(),
                            })?;
                    (page, serial.clone(), layout)
                }
                Source::Unregistered => {
                    let serial = unregistered_serial(&mut paper_rng, &ctx.registered);
                    let page = render_new_ballot(
                        ctx.form,
                        layout,
                        &serial,
                        ctx.stamp.as_deref(),
                        dpi,
                        "forged",
                    )?;
                    (page, serial, layout)
                }
                Source::OtherVote => {
                    let mut form = ctx.form.clone();
                    let others: Vec<&str> = OTHER_VOTES
                        .iter()
                        .copied()
                        .filter(|v| *v != form.id)
                        .collect();
                    form.id = paper_rng.pick(&others).to_string();
                    foreign_layout = form.layout();
                    foreign_form = form;
                    let serial = unregistered_serial(&mut paper_rng, &ctx.registered);
                    let page = render_new_ballot(
                        &foreign_form,
                        &foreign_layout,
                        &serial,
                        ctx.stamp.as_deref(),
                        dpi,
                        "foreign",
                    )?;
                    notes.push(format!("vote:{}", foreign_form.id));
                    (page, serial, &foreign_layout)
                }
            };
            if kind == SheetKind::Duplicate {
                page = scanner::photocopy(&page, k, &mut paper_rng);
                notes.push("photocopy".into());
            }
            let mut paper = Paper {
                img: &mut page,
                px_per_mm: k,
                grain_seed: paper_rng.next_u64(),
            };
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
            // Ballots are folded to go into the box; the clean level keeps them flat.
            if setup.faults.level != Level::None.name() && paper_rng.chance(0.4) {
                notes.push(scanner::fold(&mut page, k, &mut paper_rng).into());
            }
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
    sheet.notes.extend(setup.notes());
    sheet.file = format!("{stem}.{}", sheet.faults.format);
    let bytes = scanner::encode(&image, &sheet.faults).map_err(|reason| SimError::Encode {
        path: ctx.out.join(&sheet.file),
        format: sheet.faults.format.clone(),
        reason,
    })?;
    write_atomic(ctx.out, &sheet.file, &bytes)?;
    Ok(sheet)
}
