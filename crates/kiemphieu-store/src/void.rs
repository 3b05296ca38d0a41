//! Voiding: ballots printed but returned unused after the vote. A voided serial is no longer
//! issued (issued = printed − voided), and a voided serial found in the box is rejected.

use std::path::PathBuf;

use crate::interpret::decode::decode_pages;
use crate::interpret::interpret_page;
use crate::record::RowVerdict;
use crate::review::{Resolution, decisions, resolve};
use crate::serial::{Serial, parse_qr_payload};
use crate::store::{Holder, SerialStatus, StoreError};
use crate::vote::Vote;

#[derive(Debug, thiserror::Error)]
pub enum VoidError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("serial {serial} was never printed for this vote")]
    Unknown { serial: String },
    #[error("serial {serial} is already void")]
    AlreadyVoid { serial: String },
    #[error("serial {serial} cannot be voided: it was already read from {file} (page {page})")]
    AlreadyCounted {
        serial: String,
        file: String,
        page: u32,
    },
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error(
        "{file} (page {page}) is filled in: row(s) {rows} carry a mark, and a used ballot is never voided"
    )]
    FilledIn {
        file: String,
        page: usize,
        rows: String,
    },
    #[error("{file} (page {page}) cannot be checked for marks: {reason}")]
    Unchecked {
        file: String,
        page: usize,
        reason: String,
    },
    #[error("a serial was claimed by a scan while voiding; nothing was voided")]
    ClaimedMeanwhile,
    #[error("{0}")]
    Serial(String),
}

impl VoidError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            VoidError::Store(e) => e.hint(),
            VoidError::FilledIn { .. } => Some(
                "a ballot marked by a voter goes into the ballot box and is scanned; void only blank, unused ballots",
            ),
            VoidError::Unchecked { .. } => {
                Some("look at the sheet; if it is blank and unused, void it with --serial")
            }
            VoidError::ClaimedMeanwhile => Some("run the command again"),
            _ => None,
        }
    }
}

/// Voids serials; refuses (and voids nothing) if any cannot be voided.
pub fn void_serials(vote: &mut Vote, serials: &[Serial]) -> Result<usize, VoidError> {
    for s in serials {
        match vote.store.serial_status(s.as_str())? {
            SerialStatus::Unknown => {
                return Err(VoidError::Unknown {
                    serial: s.grouped(),
                });
            }
            SerialStatus::Voided => {
                return Err(VoidError::AlreadyVoid {
                    serial: s.grouped(),
                });
            }
            SerialStatus::Issued => {}
        }
        if let Some(Holder { file, page }) = vote.store.sheet_claiming_serial(s.as_str())? {
            return Err(VoidError::AlreadyCounted {
                serial: s.grouped(),
                file,
                page,
            });
        }
    }
    vote.store
        .void_serials(serials)
        .map_err(claimed_meanwhile)?;
    Ok(serials.len())
}

fn claimed_meanwhile(e: StoreError) -> VoidError {
    match e {
        StoreError::Conflict { .. } => VoidError::ClaimedMeanwhile,
        e => VoidError::Store(e),
    }
}

/// Voids every serial printed and neither voided nor held by a sheet, in one transaction (the
/// list is taken under the write lock, so a sheet scanned meanwhile keeps its serial). Returns
/// the serials voided, in print order.
pub fn void_all_unused(vote: &mut Vote) -> Result<Vec<Serial>, VoidError> {
    vote.store.void_all_unused().map_err(claimed_meanwhile)
}

/// What became of a printed serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialUse {
    /// Printed, not voided, not found on any sheet.
    Unused,
    /// Held by a sheet: counted, ruled invalid, or waiting for a person.
    Counted,
    /// Returned unused and voided.
    Voided,
}

/// One printed serial and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SerialLine {
    pub serial: Serial,
    pub batch: i64,
    pub page: i64,
    pub state: SerialUse,
    /// The sheet holding it, with what that sheet amounts to in words.
    pub sheet: Option<(i64, String)>,
}

/// Every printed serial in print order, with what became of it.
pub fn serial_lines(vote: &Vote) -> Result<Vec<SerialLine>, StoreError> {
    let claims = vote.store.claims()?;
    let sheets: std::collections::HashMap<i64, crate::store::StoredSheet> = vote
        .store
        .sheets()?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let decided = decisions(vote)?;
    let n = vote.layout.rows.len();
    Ok(vote
        .store
        .serials()?
        .into_iter()
        .map(|r| {
            let (serial, batch, page, voided) = (r.serial, r.batch, r.page, r.voided);
            let sheet = claims.get(serial.as_str()).map(|id| {
                let what = match sheets.get(id).map(|s| resolve(s, decided.get(id), n)) {
                    Some(Resolution::Counted(_)) => "counted",
                    Some(Resolution::Rejected) => "ruled invalid",
                    Some(Resolution::Pending(_)) => "waiting for review",
                    Some(Resolution::NotCollected) | None => "held",
                };
                (*id, what.to_string())
            });
            let state = match (voided, &sheet) {
                (true, _) => SerialUse::Voided,
                (false, Some(_)) => SerialUse::Counted,
                (false, None) => SerialUse::Unused,
            };
            SerialLine {
                serial,
                batch,
                page,
                state,
                sheet,
            }
        })
        .collect())
}

/// Reads the serials of unused ballots from scanned images (every page of every file). A page
/// with any mark in a box, or one whose boxes cannot be read, is refused: a used ballot is
/// never voided.
pub fn serials_from_images(vote: &Vote, files: &[PathBuf]) -> Result<Vec<Serial>, VoidError> {
    let mut out = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let unreadable = |reason: String| VoidError::Unreadable {
            file: name.clone(),
            reason,
        };
        let bytes = std::fs::read(f).map_err(|e| unreadable(e.to_string()))?;
        let pages = decode_pages(&bytes).map_err(|e| unreadable(e.detail))?;
        for (i, img) in pages.iter().enumerate() {
            let reading = interpret_page(img, &vote.layout, &vote.form.marks);
            let text = reading.qr.clone().map_err(&unreadable)?;
            if let Err(reason) = &reading.registration {
                return Err(VoidError::Unchecked {
                    file: name.clone(),
                    page: i + 1,
                    reason: reason.clone(),
                });
            }
            let marked: Vec<String> = reading
                .rows
                .iter()
                .filter(|r| r.verdict != RowVerdict::NoMark)
                .map(|r| r.subject.to_string())
                .collect();
            if !marked.is_empty() {
                return Err(VoidError::FilledIn {
                    file: name.clone(),
                    page: i + 1,
                    rows: marked.join(", "),
                });
            }
            let (vote_id, serial) =
                parse_qr_payload(&text).map_err(|e| unreadable(e.to_string()))?;
            if vote_id != vote.form.id {
                return Err(unreadable(format!("the sheet belongs to vote {vote_id:?}")));
            }
            out.push(serial);
        }
    }
    Ok(out)
}

/// Parses serials as typed.
pub fn parse_serials(texts: &[String]) -> Result<Vec<Serial>, VoidError> {
    texts
        .iter()
        .map(|t| Serial::parse(t).map_err(|e| VoidError::Serial(format!("serial {t:?}: {e}"))))
        .collect()
}
