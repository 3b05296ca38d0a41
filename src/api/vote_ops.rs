//! The other things a front end does to a vote: void, meeting, serials, plan, audit, sample,
//! simulate.

use std::path::{Path, PathBuf};

use crate::meeting::{Meeting, MeetingChange};
use crate::record::StoredSheet;

use super::{ApiError, Vote};

pub use crate::void::serial_lines;

/// Ballots voided, and the figures after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voided {
    pub count: usize,
    pub printed: u64,
    pub voided: u64,
}

impl Voided {
    /// Printed and not voided.
    pub fn issued(&self) -> u64 {
        self.printed - self.voided
    }
}

/// Voids the serials given and those read off the images at `paths` (unused ballots returned).
pub fn void(vote: &mut Vote, paths: &[PathBuf], serials: &[String]) -> Result<Voided, ApiError> {
    if paths.is_empty() && serials.is_empty() {
        return Err(ApiError::refused(
            "nothing to void",
            "give scanned images of the unused ballots, --serial S..., or --all-unused",
        ));
    }
    let mut serials = crate::void::parse_serials(serials)?;
    let (files, _) = crate::scan::outside_vote(crate::scan::collect_files(paths)?, &vote.dir);
    serials.extend(crate::void::serials_from_images(vote, &files)?);
    let count = crate::void::void_serials(vote, &serials)?;
    voided(vote, count)
}

/// How many printed serials are neither voided nor held by a sheet.
pub fn void_all_unused_count(vote: &Vote) -> Result<usize, ApiError> {
    Ok(serial_lines(vote)?
        .into_iter()
        .filter(|l| l.state == crate::void::SerialUse::Unused)
        .count())
}

/// Voids every printed serial neither voided nor held by a sheet.
pub fn void_all_unused(vote: &mut Vote) -> Result<Voided, ApiError> {
    let count = crate::void::void_all_unused(vote)?.len();
    voided(vote, count)
}

fn voided(vote: &Vote, count: usize) -> Result<Voided, ApiError> {
    let (printed, voided) = vote.store.printed_and_voided()?;
    Ok(Voided {
        count,
        printed,
        voided,
    })
}

/// The meeting as recorded after a change.
#[derive(Debug, Clone)]
pub struct MeetingRecorded {
    pub meeting: Meeting,
    /// No chair is recorded: the minutes cannot be final.
    pub no_chair: bool,
}

/// Amends the recorded meeting facts and committee with `change`.
pub fn meeting(vote: &mut Vote, change: &MeetingChange) -> Result<MeetingRecorded, ApiError> {
    let recorded = crate::review::meeting(vote)?;
    let m = crate::meeting::amend(recorded.as_ref(), change).map_err(|e| ApiError::Refused {
        message: format!("cannot record the meeting of {}: {e}", vote.dir.display()),
        hint: None,
    })?;
    crate::review::record_meeting(vote, &m)?;
    let no_chair = !m.committee.iter().any(|(_, r)| r == crate::meeting::CHAIR);
    Ok(MeetingRecorded {
        meeting: m,
        no_chair,
    })
}

/// The vote's timeline around `date` (default: the form's), and its iCalendar text.
pub fn plan(vote: &Vote, date: Option<&str>) -> Result<(String, String), ApiError> {
    let day = match date {
        Some(d) => crate::form::parse_date(d).ok_or_else(|| ApiError::Refused {
            message: format!("--date {d:?} is not a date YYYY-MM-DD"),
            hint: None,
        })?,
        None => vote.form.date_parts(),
    };
    let milestones = crate::plan::timeline(day);
    let ics = crate::plan::to_ics(&vote.form.id, &milestones, crate::date::unix_now());
    Ok((crate::plan::to_text(&milestones), ics))
}

/// What `audit` is asked.
#[derive(Debug, Clone, Default)]
pub struct AuditRequest {
    /// The auditor's own copy of the scans (default: the archive).
    pub images: Vec<PathBuf>,
    /// The chain head printed in the minutes, as typed.
    pub expect: Option<String>,
}

/// Re-reads the record from its images and checks it against its log.
pub fn audit(vote: &Vote, req: &AuditRequest) -> Result<crate::audit::AuditReport, ApiError> {
    let expect = req.expect.as_deref().map(parse_expect).transpose()?;
    let images = (!req.images.is_empty()).then_some(req.images.as_slice());
    Ok(crate::audit::audit_expecting(
        vote,
        images,
        expect.as_deref(),
    )?)
}

/// Checks a chain head typed from the minutes (at least 16 hex digits; spaces, dashes and case
/// do not matter); returns it in lower case.
pub fn parse_expect(text: &str) -> Result<String, ApiError> {
    crate::audit::parse_expected_head(text).map_err(|e| {
        ApiError::refused(
            format!("--expect {e}"),
            format!(
                "type the chain head as printed in the minutes (at least {} hex digits)",
                crate::audit::MIN_EXPECT_DIGITS
            ),
        )
    })
}

/// A hand-count sample written to a file.
#[derive(Debug, Clone)]
pub struct SampleWritten {
    pub sheets: Vec<StoredSheet>,
    pub path: PathBuf,
}

/// Picks `count` counted sheets with `seed` and writes their printable PDF to `out`.
pub fn sample(vote: &Vote, count: usize, seed: u64, out: &Path) -> Result<SampleWritten, ApiError> {
    let sheets = crate::sample::pick(vote, count, seed)?;
    let pdf = crate::sample::sample_pdf(vote, &sheets, seed)?;
    crate::vote::write_atomic(out, &pdf)?;
    Ok(SampleWritten {
        sheets,
        path: out.to_owned(),
    })
}

/// Marked, scanner-like images of the vote's ballots, with their truth, into `out`.
pub fn simulate(
    vote: &Vote,
    out: &Path,
    opts: &crate::simulate::SimOptions,
) -> Result<crate::simulate::SimSummary, ApiError> {
    Ok(crate::simulate::simulate(vote, out, opts)?)
}
