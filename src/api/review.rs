//! The sheets that need a person: the list, one sheet as a person looks at it, a decision.

use std::collections::BTreeMap;

use image::RgbImage;

use crate::decision::{Decision, Resolution, SheetAction, collect_row_decisions};
use crate::record::{RowVerdict, StoredSheet};
use crate::review::printable;
use crate::tally::UnreadablePage;
use crate::two_person::Proposal;

use super::{ApiError, Vote};

/// A sheet waiting for a person, with what it needs.
#[derive(Debug, Clone)]
pub struct PendingSheet {
    pub sheet: StoredSheet,
    pub needs: String,
}

/// What `review list` shows.
#[derive(Debug, Clone)]
pub struct ReviewList {
    pub pending: Vec<PendingSheet>,
    /// Pages that could not be read as a sheet: a person should look at each.
    pub to_look_at: Vec<UnreadablePage>,
    /// The open proposal of each sheet that has one (`serve --two-person`), with what it would
    /// amount to once a second member confirms it.
    pub proposals: BTreeMap<i64, (Proposal, Resolution)>,
    /// The levels as printed, to describe a resolution.
    pub levels: Vec<String>,
}

/// The sheets waiting for a person, and the files to look at.
pub fn review_list(vote: &Vote) -> Result<ReviewList, ApiError> {
    let pending = crate::review::pending(vote)?
        .into_iter()
        .map(|(sheet, needs)| PendingSheet { sheet, needs })
        .collect();
    let to_look_at = crate::review::tally_input(vote)?
        .pages
        .map(|p| p.unreadable_files)
        .unwrap_or_default();
    Ok(ReviewList {
        pending,
        to_look_at,
        proposals: open_proposals(vote)?,
        levels: vote.form.levels.clone(),
    })
}

impl ReviewList {
    /// The command line's text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if self.pending.is_empty() {
            s.push_str("no sheet waits for review\n");
        }
        if !self.to_look_at.is_empty() {
            s.push_str(&format!(
                "files to look at: {} page(s) could not be read; if one is a ballot, rescan it\n",
                self.to_look_at.len()
            ));
            for f in &self.to_look_at {
                s.push_str(&format!(
                    "  {} (page {}): {}\n",
                    printable(&f.file),
                    f.page,
                    f.reason
                ));
            }
        }
        for p in &self.pending {
            let rec = &p.sheet.record;
            let reason = rec.reason.map(|r| r.as_str()).unwrap_or("");
            s.push_str(&format!(
                "sheet {:>5}  {:<20} {} (page {}): {}\n",
                p.sheet.id,
                reason,
                printable(&rec.file),
                rec.page,
                p.needs
            ));
            if let Some(d) = &rec.detail {
                s.push_str(&format!("             {}\n", printable(d)));
            }
            if let Some((p, res)) = self.proposals.get(&p.sheet.id) {
                s.push_str(&format!(
                    "             proposal {} by {} ({}): {}; a second member confirms it in the room\n",
                    p.id,
                    printable(&p.proposer),
                    p.proposed_at,
                    crate::decision::describe(res, &self.levels)
                ));
            }
        }
        s
    }
}

/// One sheet as a person looks at it.
#[derive(Debug, Clone)]
pub struct SheetView {
    pub sheet: StoredSheet,
    /// The page upright, its reading drawn over it, the rows in question marked.
    pub picture: RgbImage,
    /// What the sheet counts as now.
    pub in_force: Resolution,
    /// Every decision on it, oldest first, with what each amounted to.
    pub history: Vec<(Decision, Resolution)>,
    /// The levels as printed, to describe a resolution.
    pub levels: Vec<String>,
}

/// The recorded sheet with this id.
pub(crate) fn stored_sheet(vote: &Vote, sheet_id: i64) -> Result<StoredSheet, ApiError> {
    vote.store
        .sheet(sheet_id)?
        .ok_or(ApiError::NoSuchSheet { sheet: sheet_id })
}

/// One sheet, its picture and its decisions.
pub fn show_sheet(vote: &Vote, sheet_id: i64) -> Result<SheetView, ApiError> {
    let sheet = stored_sheet(vote, sheet_id)?;
    let highlight: Vec<usize> = sheet
        .record
        .rows
        .iter()
        .filter(|r| r.verdict == RowVerdict::Ambiguous)
        .map(|r| r.subject)
        .collect();
    let picture = crate::sheet_picture::sheet_picture(vote, &sheet, &highlight)?;
    let n = vote.layout.rows.len();
    let decisions = crate::review::history(vote, sheet_id)?;
    let in_force = crate::decision::resolve(&sheet, decisions.last(), n);
    let history = decisions
        .into_iter()
        .map(|d| {
            let r = crate::decision::resolve(&sheet, Some(&d), n);
            (d, r)
        })
        .collect();
    Ok(SheetView {
        sheet,
        picture,
        in_force,
        history,
        levels: vote.form.levels.clone(),
    })
}

impl SheetView {
    /// The command line's text (after the picture is written).
    pub fn to_text(&self) -> String {
        let rec = &self.sheet.record;
        let describe = |r: &Resolution| crate::decision::describe(r, &self.levels);
        let mut s = format!(
            "sheet {}: {} {}\n",
            self.sheet.id,
            rec.outcome.as_str(),
            rec.reason.map(|r| r.as_str()).unwrap_or("")
        );
        s.push_str(&format!("  in force: {}\n", describe(&self.in_force)));
        for (d, res) in &self.history {
            s.push_str(&format!(
                "  decided by {}{} at {}: {}{}\n",
                printable(&d.reviewer),
                d.confirmed_by
                    .as_deref()
                    .map(|c| format!(", confirmed by {}", printable(c)))
                    .unwrap_or_default(),
                d.decided_at,
                describe(res),
                d.amends
                    .as_deref()
                    .map(|r| format!(" (amended: {})", printable(r)))
                    .unwrap_or_default()
            ));
        }
        for r in &rec.rows {
            s.push_str(&format!(
                "  row {:>2} {:<15} scores {:.3} {:.3} {:.3}  traces {:.1} {:.1} {:.1} mm  strike {:.2}\n",
                r.subject,
                r.verdict.as_str(),
                r.scores[0],
                r.scores[1],
                r.scores[2],
                r.traces[0],
                r.traces[1],
                r.traces[2],
                r.strike
            ));
        }
        s
    }
}

/// A person's decision as a front end gathers it.
#[derive(Debug, Clone, Default)]
pub struct DecisionRequest {
    pub by: String,
    pub sheet: Option<SheetAction>,
    /// The serial typed from beside an unreadable QR code.
    pub serial: Option<String>,
    /// Rows as typed: `SUBJECT=LEVEL` or `SUBJECT=invalid`.
    pub rows: Vec<String>,
    /// Why an earlier decision (or the machine's count) is amended; `None` for a first decision.
    pub amend: Option<String>,
}

/// What a decision amounts to.
#[derive(Debug, Clone)]
pub struct Decided {
    pub resolution: Resolution,
    /// The same in words, with the levels as printed.
    pub description: String,
    /// The second member who confirmed it (two-person review).
    pub confirmed_by: Option<String>,
}

/// The decision a request asks for, its rows parsed.
fn requested(vote: &Vote, req: &DecisionRequest) -> Result<Decision, ApiError> {
    Ok(Decision {
        sheet: req.sheet,
        serial: req.serial.clone(),
        rows: collect_row_decisions(&req.rows, vote.form.levels.len())?,
        ..Default::default()
    })
}

/// Records a person's decision on one sheet.
pub fn decide(vote: &mut Vote, sheet_id: i64, req: DecisionRequest) -> Result<Decided, ApiError> {
    let d = requested(vote, &req)?;
    let resolution = crate::review::decide(vote, sheet_id, d, &req.by, req.amend.as_deref())?;
    let description = crate::decision::describe(&resolution, &vote.form.levels);
    Ok(Decided {
        resolution,
        description,
        confirmed_by: None,
    })
}

/// A decision proposed, waiting for a second member (`serve --two-person`).
#[derive(Debug, Clone)]
pub struct Proposed {
    pub proposal: i64,
    /// What the decision will amount to once confirmed.
    pub resolution: Resolution,
    pub description: String,
}

/// Proposes a decision on one sheet in `req.by`'s name: checked as a decision, recorded as a
/// proposal that a second member confirms (the tally does not move until then).
pub fn propose(vote: &mut Vote, sheet_id: i64, req: DecisionRequest) -> Result<Proposed, ApiError> {
    let d = requested(vote, &req)?;
    let (proposal, resolution) =
        crate::two_person::propose(vote, sheet_id, d, &req.by, req.amend.as_deref())?;
    let description = crate::decision::describe(&resolution, &vote.form.levels);
    Ok(Proposed {
        proposal,
        resolution,
        description,
    })
}

/// Confirms proposal `proposal` on a sheet as `by`, a member other than its proposer: the
/// decision is recorded in the proposer's name, confirmed by `by`.
pub fn confirm(
    vote: &mut Vote,
    sheet_id: i64,
    proposal: i64,
    by: &str,
) -> Result<(String, Decided), ApiError> {
    let (d, resolution) = crate::two_person::confirm(vote, sheet_id, proposal, by)?;
    let description = crate::decision::describe(&resolution, &vote.form.levels);
    Ok((
        d.reviewer,
        Decided {
            resolution,
            description,
            confirmed_by: d.confirmed_by,
        },
    ))
}

/// Discards proposal `proposal` on a sheet, as `by` (its proposer or another member).
pub fn discard(vote: &mut Vote, sheet_id: i64, proposal: i64, by: &str) -> Result<(), ApiError> {
    Ok(crate::two_person::discard(vote, sheet_id, proposal, by)?)
}

/// The open proposal of each sheet that has one, with what it would amount to.
pub fn open_proposals(vote: &Vote) -> Result<BTreeMap<i64, (Proposal, Resolution)>, ApiError> {
    let n = vote.layout.rows.len();
    let mut out = BTreeMap::new();
    for (id, p) in crate::two_person::open_proposals(vote)? {
        // Only the few sheets with a proposal are read.
        let Some(s) = vote.store.sheet(id)? else {
            continue;
        };
        let resolution = crate::decision::resolve(&s, Some(&p.decision), n);
        out.insert(id, (p, resolution));
    }
    Ok(out)
}
