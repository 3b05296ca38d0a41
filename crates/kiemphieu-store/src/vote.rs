//! The vote folder: the frozen form, the database, the printed batches and the image archive.
//!
//! ```text
//! VOTE/form.json      the form as validated at init (never edited afterwards)
//! VOTE/stamp.*        the agency's stamp image, when the form supplies one
//! VOTE/vote.db        SQLite: serials, batches, sheets, decisions, event log
//! VOTE/layout.json    the page geometry (kiemphieu-layout/1)
//! VOTE/ballots/       batch-0001.pdf, batch-0002.pdf, …
//! VOTE/archive/       every scanned file, named by its SHA-256
//! ```

use std::path::{Path, PathBuf};

use crate::form::{Form, FormError, ReadingProfile};
use crate::layout::BallotLayout;
use crate::print::{self, PrintError};
use crate::serial::{Serial, SerialError};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum VoteError {
    #[error("{dir} already exists and is not empty: a vote is never overwritten")]
    Exists { dir: PathBuf },
    #[error("{dir} is not a vote folder (no vote.db)")]
    NotAVote { dir: PathBuf },
    #[error(transparent)]
    Form(#[from] FormError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Print(#[from] PrintError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot draw serials: {0}")]
    Serial(#[from] SerialError),
    #[error("count must be between 1 and {max}, found {count}")]
    Count { count: usize, max: usize },
}

impl VoteError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            VoteError::Store(e) => e.hint(),
            _ => None,
        }
    }
}

/// An open vote folder.
pub struct Vote {
    pub dir: PathBuf,
    pub form: Form,
    pub layout: BallotLayout,
    pub store: Store,
}

/// What one `generate` printed.
#[derive(Debug, Clone)]
pub struct PrintedBatch {
    pub batch: i64,
    pub pdf: PathBuf,
    pub serials: Vec<Serial>,
}

/// The largest batch one `generate` prints. The PDF is built in memory (about 130 KB a page), so
/// a larger print run is several calls, each its own batch.
pub const MAX_BATCH: usize = 5_000;

impl Vote {
    pub fn db_path(dir: &Path) -> PathBuf {
        dir.join("vote.db")
    }
    pub fn form_path(dir: &Path) -> PathBuf {
        dir.join("form.json")
    }
    pub fn archive_dir(&self) -> PathBuf {
        self.dir.join("archive")
    }

    /// Creates a vote folder from a form file: validates the form, freezes it, creates the
    /// database. Refuses a folder that exists and is not empty.
    pub fn init(dir: &Path, form_file: &Path) -> Result<Vote, VoteError> {
        let mut form = Form::load(form_file)?;
        let non_empty = dir.exists()
            && std::fs::read_dir(dir)
                .map_err(|source| VoteError::Read {
                    path: dir.to_owned(),
                    source,
                })?
                .next()
                .is_some();
        if non_empty {
            return Err(VoteError::Exists {
                dir: dir.to_owned(),
            });
        }
        let stamp_bytes = match &form.stamp.image {
            Some(rel) => {
                let src = form_file.parent().unwrap_or(Path::new(".")).join(rel);
                let bytes = std::fs::read(&src).map_err(|source| VoteError::Read {
                    path: src.clone(),
                    source,
                })?;
                print::check_stamp_image(&bytes, &src)?;
                let ext = src
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("img")
                    .to_lowercase();
                let frozen = PathBuf::from(format!("stamp.{ext}"));
                form.stamp.image = Some(frozen.clone());
                Some((frozen, bytes))
            }
            None => None,
        };
        std::fs::create_dir_all(dir.join("ballots"))
            .and_then(|_| std::fs::create_dir_all(dir.join("archive")))
            .map_err(|source| VoteError::Write {
                path: dir.to_owned(),
                source,
            })?;
        if let Some((name, bytes)) = stamp_bytes {
            write_atomic(&dir.join(name), &bytes)?;
        }
        // The vote is read, and audited, with the reading profile of the day it was made.
        form.marks
            .profile
            .get_or_insert(ReadingProfile::CURRENT.number());
        let frozen = serde_json::to_string_pretty(&form).expect("form serializes");
        write_atomic(&Self::form_path(dir), frozen.as_bytes())?;
        let store = Store::create(
            &Self::db_path(dir),
            &form.id,
            &crate::store::sha256_hex(frozen.as_bytes()),
        )?;
        let layout = form.layout();
        Ok(Vote {
            dir: dir.to_owned(),
            form,
            layout,
            store,
        })
    }

    /// Opens an existing vote folder.
    pub fn open(dir: &Path) -> Result<Vote, VoteError> {
        Self::open_with(dir, Store::open)
    }

    /// Opens an existing vote folder for reading only (`tally`, `audit`, `review list`,
    /// `serials`): it works on a folder that cannot be written, and writes nothing.
    /// Everything it reads comes from one snapshot of the database, taken when it opens: a
    /// scan committing meanwhile is not half seen.
    pub fn open_read_only(dir: &Path) -> Result<Vote, VoteError> {
        let vote = Self::open_with(dir, |db| match Store::open_read_only(db) {
            // A folder made by an older version is upgraded once, where it can be written.
            Err(old @ StoreError::ReadOnlyOld { .. }) => Store::open(db).map_err(|_| old),
            other => other,
        })?;
        vote.store.hold_snapshot()?;
        Ok(vote)
    }

    fn open_with(
        dir: &Path,
        open: impl FnOnce(&Path) -> Result<Store, StoreError>,
    ) -> Result<Vote, VoteError> {
        let db = Self::db_path(dir);
        if !db.is_file() {
            return Err(VoteError::NotAVote {
                dir: dir.to_owned(),
            });
        }
        let form = Form::load(&Self::form_path(dir))?;
        let store = open(&db)?;
        let layout = form.layout();
        Ok(Vote {
            dir: dir.to_owned(),
            form,
            layout,
            store,
        })
    }

    /// The agency's stamp image bytes, if the form supplies one.
    pub fn stamp_image(&self) -> Result<Option<Vec<u8>>, VoteError> {
        match &self.form.stamp.image {
            None => Ok(None),
            Some(rel) => {
                let p = self.dir.join(rel);
                std::fs::read(&p)
                    .map(Some)
                    .map_err(|source| VoteError::Read { path: p, source })
            }
        }
    }

    /// Prints `count` new ballots: draws serials, renders the PDF, registers the serials and the
    /// batch in one transaction, then puts the PDF in place. A failure at any step leaves no
    /// registered serial without its PDF file, and no PDF with unregistered serials.
    pub fn generate(&mut self, count: usize) -> Result<PrintedBatch, VoteError> {
        if count == 0 || count > MAX_BATCH {
            return Err(VoteError::Count {
                count,
                max: MAX_BATCH,
            });
        }
        let known: std::collections::HashSet<String> = self
            .store
            .serials()?
            .into_iter()
            .map(|r| r.serial.to_string())
            .collect();
        let mut serials: Vec<Serial> = Vec::with_capacity(count);
        let mut fresh = std::collections::HashSet::new();
        while serials.len() < count {
            let s = Serial::random()?;
            // 2^69 serials make a repeat practically impossible; checking costs nothing.
            if !known.contains(s.as_str()) && fresh.insert(s.clone()) {
                serials.push(s);
            }
        }
        let stamp = self.stamp_image()?;
        let pdf_bytes =
            print::render_ballots(&self.form, &self.layout, &serials, stamp.as_deref())?;

        let layout_json = serde_json::to_string_pretty(&self.layout).expect("layout serializes");
        write_atomic(&self.dir.join("layout.json"), layout_json.as_bytes())?;

        let ballots = self.dir.join("ballots");
        std::fs::create_dir_all(&ballots).map_err(|source| VoteError::Write {
            path: ballots.clone(),
            source,
        })?;
        // The bytes reach the disk under a name of this process's own before anything is
        // registered (a full disk fails here, with nothing registered). The batch number is
        // taken in the transaction that registers the serials, and the file gets its final name
        // inside it: two `generate`s at once never share a number or a file, and a serial is
        // registered only once its PDF is in place.
        let partial = ballots.join(format!(".batch-{}.partial", unique_suffix()));
        write_synced(&partial, &pdf_bytes)?;
        let mut final_path = PathBuf::new();
        let registered = self.store.register_batch(&serials, |batch| {
            let name = format!("batch-{batch:04}.pdf");
            final_path = ballots.join(&name);
            std::fs::rename(&partial, &final_path).map_err(|source| VoteError::Write {
                path: final_path.clone(),
                source,
            })?;
            Ok::<_, VoteError>(format!("ballots/{name}"))
        });
        let batch = match registered {
            Ok(b) => b,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                if final_path.as_os_str().is_empty() {
                    return Err(e);
                }
                // Renamed, then the commit failed: the file holds serials nobody registered.
                let _ = std::fs::remove_file(&final_path);
                return Err(e);
            }
        };
        Ok(PrintedBatch {
            batch,
            pdf: final_path,
            serials,
        })
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), VoteError> {
    use std::io::Write;
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    write().map_err(|source| VoteError::Write {
        path: path.to_owned(),
        source,
    })
}

/// A suffix no other process (and no other call in this one) uses at the same time: the process
/// id and a counter.
pub fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Writes a file so that it is either wholly there or not at all: a temporary file of this
/// process's own, synced, renamed. When writing fails (a full disk) the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), VoteError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", unique_suffix()));
    let written = write_synced(&tmp, bytes)
        .map_err(|e| match e {
            // Name the file being written, not its temporary name.
            VoteError::Write { source, .. } => VoteError::Write {
                path: path.to_owned(),
                source,
            },
            e => e,
        })
        .and_then(|()| {
            std::fs::rename(&tmp, path).map_err(|source| VoteError::Write {
                path: path.to_owned(),
                source,
            })
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a folder that is not empty: the rename fails after the bytes were written.
        let target = dir.path().join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("x"), b"x").unwrap();
        let err = write_atomic(&target, b"bytes").unwrap_err();
        assert!(err.to_string().contains("taken"), "{err}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("taken")]);
    }

    #[test]
    fn temporary_names_differ_between_calls() {
        assert_ne!(unique_suffix(), unique_suffix());
        assert!(unique_suffix().starts_with(&format!("{}-", std::process::id())));
    }
}
