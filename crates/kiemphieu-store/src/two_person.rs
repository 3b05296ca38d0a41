//! Two-person review (`kiemphieu serve --two-person`): a member's decision on a sheet is first a
//! proposal, and takes effect only when a second, different member confirms it. Until then the
//! sheet waits for review as before; the tally does not move.
//!
//! A proposal is checked as [`crate::review::decide`] checks a decision, when it is made and
//! again when it is confirmed (the record may have changed meanwhile: a serial claimed, the sheet
//! decided from a terminal). The decision confirmed is recorded in the proposer's name with the
//! confirming member beside it (`confirmed_by`), through the same table, event and claims as any
//! decision. A second member may also propose differently (the new proposal replaces the open
//! one) or discard it.

use std::collections::BTreeMap;

use crate::decision::{Decision, Resolution};
use crate::review::{ReviewError, checked, claimed_meanwhile};
use crate::store::{Confirmed, ProposalRow, ProposalState, StoreError};
use crate::vote::Vote;

/// A proposal as read back: the decision proposed, who proposed it, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub id: i64,
    pub sheet: i64,
    /// The decision as proposed (rows, whole-sheet action, typed serial, an amendment's reason).
    pub decision: Decision,
    pub proposer: String,
    pub proposed_at: String,
    pub state: ProposalState,
    pub closed_by: Option<String>,
}

fn parsed(vote: &Vote, row: ProposalRow) -> Result<Proposal, StoreError> {
    let decision = serde_json::from_str(&row.body).map_err(|e| StoreError::Corrupt {
        path: vote.store.path().to_owned(),
        reason: format!("proposal {} on sheet {}: {e}", row.id, row.sheet),
    })?;
    Ok(Proposal {
        id: row.id,
        sheet: row.sheet,
        decision,
        proposer: row.proposer,
        proposed_at: row.proposed_at,
        state: row.state,
        closed_by: row.closed_by,
    })
}

/// Every proposal, oldest first.
pub fn proposals(vote: &Vote) -> Result<Vec<Proposal>, StoreError> {
    vote.store
        .proposals()?
        .into_iter()
        .map(|r| parsed(vote, r))
        .collect()
}

/// The open proposal of each sheet that has one.
pub fn open_proposals(vote: &Vote) -> Result<BTreeMap<i64, Proposal>, StoreError> {
    Ok(proposals(vote)?
        .into_iter()
        .filter(|p| p.state == ProposalState::Open)
        .map(|p| (p.sheet, p))
        .collect())
}

/// Records `proposer`'s decision on a sheet as a proposal, after checking it as a decision
/// (refused for the same reasons). Replaces the sheet's open proposal, if any. Returns the
/// proposal's id and what the decision would amount to.
pub fn propose(
    vote: &mut Vote,
    sheet_id: i64,
    d: Decision,
    proposer: &str,
    amend: Option<&str>,
) -> Result<(i64, Resolution), ReviewError> {
    let (d, resolution) = checked(vote, sheet_id, d, proposer, amend)?;
    // What the member proposed; the registry's answers are asked again at confirmation.
    let proposed = Decision {
        sheet: d.sheet,
        serial: d.serial,
        rows: d.rows,
        amends: d.amends,
        ..Default::default()
    };
    let id = vote.store.propose(sheet_id, &proposed, proposer)?;
    Ok((id, resolution))
}

/// The open proposal `id` on `sheet_id`, or why it cannot be acted on.
fn open_proposal(vote: &Vote, sheet_id: i64, id: i64) -> Result<Proposal, ReviewError> {
    let p = proposals(vote)?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(ReviewError::NoProposal { id })?;
    if p.sheet != sheet_id {
        return Err(ReviewError::ProposalOfAnotherSheet {
            id,
            sheet: sheet_id,
            other: p.sheet,
        });
    }
    if p.state != ProposalState::Open {
        return Err(ReviewError::ProposalClosed {
            id,
            state: p.state.as_str(),
            by: p.closed_by.unwrap_or_default(),
        });
    }
    Ok(p)
}

/// `confirmer` confirms proposal `id` on a sheet: the proposed decision, checked again against
/// the record as it stands now, is recorded in the proposer's name, confirmed by `confirmer`.
/// The proposer cannot confirm their own proposal.
pub fn confirm(
    vote: &mut Vote,
    sheet_id: i64,
    id: i64,
    confirmer: &str,
) -> Result<(Decision, Resolution), ReviewError> {
    if confirmer.trim().is_empty() {
        return Err(ReviewError::NoReviewer);
    }
    let p = open_proposal(vote, sheet_id, id)?;
    if p.proposer == confirmer {
        return Err(ReviewError::OwnProposal { id, by: p.proposer });
    }
    let mut proposed = p.decision;
    let amend = proposed.amends.take();
    let (mut d, resolution) = checked(vote, sheet_id, proposed, &p.proposer, amend.as_deref())?;
    d.confirmed_by = Some(confirmer.to_string());
    match vote
        .store
        .confirm_proposal(id, sheet_id, &d, confirmer)
        .map_err(|e| claimed_meanwhile(e, sheet_id))?
    {
        Confirmed::Recorded => {
            d.reviewer = p.proposer;
            Ok((d, resolution))
        }
        // Closed by another member between the check and the write: say by whom.
        Confirmed::NotOpen => Err(open_proposal(vote, sheet_id, id)
            .err()
            .unwrap_or(ReviewError::NoProposal { id })),
    }
}

/// `by` discards proposal `id` on a sheet (its proposer withdrawing it, or another member
/// turning it down); the sheet waits for review as before.
pub fn discard(vote: &mut Vote, sheet_id: i64, id: i64, by: &str) -> Result<(), ReviewError> {
    if by.trim().is_empty() {
        return Err(ReviewError::NoReviewer);
    }
    open_proposal(vote, sheet_id, id)?;
    if vote.store.discard_proposal(id, by)? {
        Ok(())
    } else {
        Err(open_proposal(vote, sheet_id, id)
            .err()
            .unwrap_or(ReviewError::NoProposal { id }))
    }
}
