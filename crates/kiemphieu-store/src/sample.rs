//! A reproducible random sample of counted sheets for a hand count, and its printable PDF
//! ([`crate::sample_sheets`] writes the pages).

use crate::record::Outcome;
use crate::rng::SplitMix64;
use crate::sample_sheets::SampleSheet;
use crate::sheet_picture::{PictureError, sheet_picture};
use crate::store::{StoreError, StoredSheet};
use crate::vote::Vote;

/// Picks `count` counted sheets at random with `seed`, in record order.
pub fn pick(vote: &Vote, count: usize, seed: u64) -> Result<Vec<StoredSheet>, StoreError> {
    let mut counted: Vec<StoredSheet> = vote
        .store
        .sheets()?
        .into_iter()
        .filter(|s| s.record.outcome == Outcome::Counted)
        .collect();
    let mut rng = SplitMix64::new(seed);
    // A partial Fisher–Yates shuffle over the record order.
    let k = count.min(counted.len());
    for i in 0..k {
        let j = i + rng.below((counted.len() - i) as u64) as usize;
        counted.swap(i, j);
    }
    counted.truncate(k);
    counted.sort_by_key(|s| s.id);
    Ok(counted)
}

/// Why the sample's PDF cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sheet {sheet}: its archived image {path} cannot be used: {reason}")]
    Image {
        sheet: i64,
        path: String,
        reason: String,
    },
}

impl SampleError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            SampleError::Store(e) => e.hint(),
            _ => None,
        }
    }
}

impl From<PictureError> for SampleError {
    fn from(e: PictureError) -> SampleError {
        let (sheet, path, reason) = e.parts();
        SampleError::Image {
            sheet,
            path: path.to_string(),
            reason,
        }
    }
}

/// The printable PDF of a sample: each sheet's archived page, read again and drawn over.
pub fn sample_pdf(vote: &Vote, sheets: &[StoredSheet], seed: u64) -> Result<Vec<u8>, SampleError> {
    let pages = sheets
        .iter()
        .map(|s| {
            Ok(SampleSheet {
                sheet: s,
                picture: sheet_picture(vote, s, &[])?,
            })
        })
        .collect::<Result<Vec<_>, SampleError>>()?;
    Ok(crate::sample_sheets::sample_pdf(
        &vote.layout,
        &vote.form.levels,
        pages,
        seed,
    ))
}
