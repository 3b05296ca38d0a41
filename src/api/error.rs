//! The API's errors: one enum a front end can branch on, each with at most one hint.

use std::path::PathBuf;

/// Why a request could not run. `Display` is the message (lowercase, naming the file and the
/// reason); [`ApiError::hint`] what the user can do, when there is something.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Vote(#[from] crate::vote::VoteError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Scan(#[from] crate::scan::ScanError),
    #[error(transparent)]
    Review(#[from] crate::review::ReviewError),
    #[error(transparent)]
    Void(#[from] crate::void::VoidError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Sample(#[from] crate::sample::SampleError),
    #[error(transparent)]
    Rows(#[from] crate::decision::RowsError),
    #[error(transparent)]
    Picture(#[from] crate::sheet_picture::PictureError),
    #[error(transparent)]
    Simulate(#[from] crate::simulate::SimError),
    /// A path to scan that is not there: a mistyped argument, nothing runs.
    #[error("cannot scan {}: no such file or folder", path.display())]
    NoSuchPath { path: PathBuf },
    #[error("sheet {sheet} does not exist")]
    NoSuchSheet { sheet: i64 },
    /// Final minutes asked for while something they need is missing.
    #[error("cannot write final minutes to {}; missing:{}", path.display(), missing.iter().map(|m| format!("\n  - {m}")).collect::<String>())]
    MinutesIncomplete { path: PathBuf, missing: Vec<String> },
    #[error("cannot write the minutes {}: {source}", path.display())]
    Minutes {
        path: PathBuf,
        source: crate::minutes::MinutesError,
    },
    /// A request that cannot run as given (arguments that contradict each other or the record).
    #[error("{message}")]
    Refused {
        message: String,
        hint: Option<String>,
    },
    #[error("cannot {what} {}: {reason}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
}

impl ApiError {
    /// A request refused with a message and what to do instead.
    pub fn refused(message: impl Into<String>, hint: impl Into<String>) -> ApiError {
        ApiError::Refused {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<String> {
        match self {
            ApiError::NoSuchPath { .. } => Some(
                "check the path; give the folder the scanner writes into".into(),
            ),
            ApiError::NoSuchSheet { .. } => {
                Some("`kiemphieu review VOTE list` shows the sheets waiting".into())
            }
            ApiError::MinutesIncomplete { .. } => Some(
                "record what is missing (kiemphieu meeting, kiemphieu review), or write a draft with --draft"
                    .into(),
            ),
            ApiError::Minutes { source, .. } => source.hint().map(str::to_string),
            ApiError::Review(e) => e.hint(),
            ApiError::Rows(e) => e.hint().map(str::to_string),
            ApiError::Void(e) => e.hint().map(str::to_string),
            ApiError::Refused { hint, .. } => hint.clone(),
            ApiError::Vote(e) => e.hint().map(str::to_string),
            ApiError::Store(e) => e.hint().map(str::to_string),
            ApiError::Scan(e) => e.hint().map(str::to_string),
            ApiError::Audit(e) => e.hint().map(str::to_string),
            ApiError::Sample(e) => e.hint().map(str::to_string),
            ApiError::Simulate(e) => e.hint(),
            _ => None,
        }
    }
}
