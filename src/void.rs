//! Voiding: ballots printed but returned unused after the vote. A voided serial is no longer
//! issued (issued = printed − voided), and a voided serial found in the box is rejected.

use std::path::PathBuf;

use rusqlite::params;

use crate::interpret::decode::decode_pages;
use crate::interpret::qr::read_qr;
use crate::interpret::register::register;
use crate::serial::{Serial, parse_qr_payload};
use crate::store::{SerialStatus, StoreError, now_utc};
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
    #[error("{0}")]
    Serial(String),
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
        if let Some((file, page)) = vote.store.sheet_claiming_serial(s.as_str())? {
            return Err(VoidError::AlreadyCounted {
                serial: s.grouped(),
                file,
                page,
            });
        }
    }
    let list: Vec<String> = serials.iter().map(|s| s.to_string()).collect();
    let event = serde_json::json!({ "serials": list });
    let at = now_utc();
    vote.store.with_event("void", &event, |tx| {
        for s in &list {
            tx.execute(
                "UPDATE serials SET voided_at = ?1 WHERE serial = ?2",
                params![at, s],
            )?;
        }
        Ok(())
    })?;
    Ok(serials.len())
}

/// Reads the serials of unused ballots from scanned images (every page of every file).
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
        for img in pages {
            let reg = register(&img, &vote.layout).ok();
            let text = read_qr(&img, reg.as_ref().map(|r| &r.transform), &vote.layout.qr)
                .map_err(&unreadable)?;
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
