//! The tally and the minutes.

use std::path::{Path, PathBuf};

use crate::minutes::{MinutesError, MinutesInput};
use crate::tally::Tally;

use super::{ApiError, Vote};

/// The tally, with the head of the event chain it was made at.
pub fn tally(vote: &Vote) -> Result<Tally, ApiError> {
    let mut t = crate::tally::tally(&crate::review::tally_input(vote)?);
    let head = vote.store.chain_head()?;
    t.chain_head = Some(head.hash);
    t.chain_events = Some(head.events);
    Ok(t)
}

/// Minutes written to a file.
#[derive(Debug, Clone)]
pub struct MinutesWritten {
    pub path: PathBuf,
    pub draft: bool,
}

/// Writes the minutes of `tally` to `path`: final ones only when complete, else with `draft`.
pub fn write_minutes(
    vote: &Vote,
    tally: &Tally,
    path: &Path,
    draft: bool,
) -> Result<MinutesWritten, ApiError> {
    let committee = crate::review::meeting(vote)?
        .map(|m| m.committee)
        .unwrap_or_default();
    // In the vote's time zone (UTC+7 unless the form says otherwise).
    let generated_at = crate::date::local_text(
        crate::date::unix_now().div_euclid(60),
        vote.form.utc_offset_minutes(),
    );
    let input = MinutesInput {
        form: &vote.form,
        tally,
        committee,
        draft,
        generated_at,
    };
    let pdf = crate::minutes::render_minutes(&input).map_err(|e| match e {
        MinutesError::Incomplete { missing } => ApiError::MinutesIncomplete {
            path: path.to_owned(),
            missing,
        },
        source => ApiError::Minutes {
            path: path.to_owned(),
            source,
        },
    })?;
    crate::vote::write_atomic(path, &pdf)?;
    Ok(MinutesWritten {
        path: path.to_owned(),
        draft,
    })
}
