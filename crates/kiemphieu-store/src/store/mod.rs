//! The vote's database: registered serials, print batches, sheet records and the event log.
//!
//! SQLite (bundled, no system library) in WAL mode; every change is one transaction that also
//! appends to a hash-chained event log, so a record edited behind the program's back shows.

use std::path::{Path, PathBuf};

pub use crate::date::{civil_from_days, days_from_civil, now_utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::meeting::Meeting;
use crate::record::{Outcome, Reason, RowReading, SheetRecord};
use crate::serial::Serial;

/// How long a writer waits for another writer (a second `scan`, a `watch`) before it says the vote
/// is busy.
const BUSY_TIMEOUT_MS: u32 = 30_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path} has schema version {found}, this program knows {SCHEMA_VERSION}")]
    Schema { path: PathBuf, found: i64 },
    #[error("database {path}: serial {serial} is already registered")]
    SerialTaken { path: PathBuf, serial: String },
    /// A change the database's constraints refuse: a serial claimed or voided by another command
    /// since the caller looked (the claims table and its triggers).
    #[error("database {path}: {source}")]
    Conflict {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path}: a stored record cannot be read: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("database {path} is busy: another kiemphieu command is writing to this vote")]
    Busy { path: PathBuf },
    #[error(
        "database {path} has schema version {found} and cannot be upgraded in a read-only folder"
    )]
    ReadOnlyOld { path: PathBuf, found: i64 },
    /// A read-only folder whose write-ahead log holds changes: reading around it would miss them.
    #[error(
        "database {path}: a stored record cannot be read: {} holds changes not yet merged into the database, and the folder cannot be written: read-only they would be missed",
        wal.display()
    )]
    UnmergedLog { path: PathBuf, wal: PathBuf },
}

impl StoreError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            StoreError::Busy { .. } => {
                Some("wait until it ends (a scan or watch of the same vote), then run this again")
            }
            StoreError::ReadOnlyOld { .. } => {
                Some("run any kiemphieu command on the vote once where the folder can be written")
            }
            StoreError::UnmergedLog { .. } => {
                Some("copy the vote folder where it can be written and run the command there")
            }
            _ => None,
        }
    }
}

/// What recording a sheet did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// Recorded under this id, as given or as the registry made it when the claim was taken
    /// (a serial claimed meanwhile: `review`/`duplicate_serial`; voided meanwhile: `rejected`).
    New(i64, SheetRecord),
    /// These bytes (this page of them) were recorded before, by another command perhaps.
    Already,
}

/// What the registry knows of a serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialStatus {
    Unknown,
    Issued,
    Voided,
}

mod decisions;
mod events;
mod members;
mod proposals;
mod schema;
mod serials;
mod sheets;

pub use crate::record::StoredSheet;
use events::append_event;
pub use events::{ChainCheck, ChainHead, Event, hex, serials_digest, sha256_hex};
pub use members::Member;
pub use proposals::{Confirmed, ProposalRow, ProposalState};
pub use schema::SCHEMA_VERSION;
use schema::{CLAIMS_SCHEMA, SCHEMA};
use serials::claimant;
pub use serials::{Batch, Holder, RegisteredSerial};
pub use sheets::holds_serial;

/// One row of the `decisions` table: the decision's body as stored (JSON), who and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    pub sheet: i64,
    pub body: String,
    pub reviewer: String,
    pub decided_at: String,
}

/// A read transaction, rolled back when dropped (see [`Store::read_snapshot`]).
pub struct ReadSnapshot<'a>(Option<&'a Connection>);

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0 {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

/// An open vote database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Creates a new database with the current schema; fails if the file exists. The `init`
    /// event anchors the frozen form file by its SHA-256, which `audit` checks.
    pub fn create(path: &Path, vote: &str, form_sha256: &str) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|source| sql(path, source))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.pragmas()?;
        let p = store.path.clone();
        let tx = store.write()?;
        tx.execute_batch(SCHEMA).map_err(|e| sql(&p, e))?;
        tx.execute_batch(CLAIMS_SCHEMA).map_err(|e| sql(&p, e))?;
        tx.execute_batch(members::MEMBERS_SCHEMA)
            .map_err(|e| sql(&p, e))?;
        tx.execute_batch(proposals::PROPOSALS_SCHEMA)
            .map_err(|e| sql(&p, e))?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('vote', ?2)",
            params![SCHEMA_VERSION.to_string(), vote],
        )
        .map_err(|e| sql(&p, e))?;
        append_event(
            &tx,
            "init",
            &serde_json::json!({ "vote": vote, "form_sha256": form_sha256 }),
        )
        .map_err(|e| sql(&p, e))?;
        tx.commit().map_err(|e| sql(&p, e))?;
        Ok(store)
    }

    /// Opens an existing database, checking its schema version; an older database is upgraded
    /// in place (one transaction a step, each logged as a `migrate` event).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| sql(path, source))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.pragmas()?;
        let found = store.schema_version()?;
        if found == 1 {
            store.migrate_1_to_2()?;
        }
        if found == 1 || found == 2 {
            store.migrate_2_to_3()?;
        }
        if (1..=3).contains(&found) {
            store.migrate_3_to_4()?;
        } else if found != SCHEMA_VERSION {
            return Err(StoreError::Schema {
                path: path.to_owned(),
                found,
            });
        }
        Ok(store)
    }

    /// Opens an existing database for reading only. When the folder cannot be written (a copy on
    /// a read-only share, a DVD), the file is opened as immutable: nothing is written, not even
    /// SQLite's shared-memory index.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        match Self::open_reading(path, false) {
            Err(StoreError::Sql { .. }) => Self::open_reading(path, true),
            other => other,
        }
    }

    fn open_reading(path: &Path, immutable: bool) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let wal = path.with_file_name(format!(
            "{}-wal",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        if immutable && std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            return Err(StoreError::UnmergedLog {
                path: path.to_owned(),
                wal,
            });
        }
        let conn = if immutable {
            let uri = format!("file:{}?immutable=1", uri_path(path));
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
        } else {
            Connection::open_with_flags(path, flags)
        }
        .map_err(|source| sql(path, source))?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))
            .map_err(|source| sql(path, source))?;
        let store = Store {
            conn,
            path: path.to_owned(),
        };
        let found = store.schema_version()?;
        if found == 1 {
            return Err(StoreError::ReadOnlyOld {
                path: path.to_owned(),
                found,
            });
        }
        // Schemas 2 and 3 lack only the members and the proposals, which reading commands do
        // not need.
        if !(2..=SCHEMA_VERSION).contains(&found) {
            return Err(StoreError::Schema {
                path: path.to_owned(),
                found,
            });
        }
        Ok(store)
    }

    /// A write transaction that takes the write lock at once (`BEGIN IMMEDIATE`), so that two
    /// writers queue instead of failing half-way; after the busy timeout, [`StoreError::Busy`].
    fn write(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        let p = self.path.clone();
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql(&p, e))
    }

    fn pragmas(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(&format!(
                "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
            ))
            .map_err(|e| sql(&self.path, e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number that changes whenever another connection (this process's or another's) commits
    /// a change to the database (SQLite's `PRAGMA data_version`): a cheap way for a long-lived
    /// reader to know that what it computed from the record is out of date.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| sql(&self.path, e))
    }

    /// Starts a read transaction that lasts as long as this connection: every later read sees
    /// the database as it is now (SQLite's WAL snapshot), whatever other commands commit. For
    /// reading commands only; a write on this connection afterwards would fail.
    pub fn hold_snapshot(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .and_then(|()| {
                self.conn
                    .query_row("SELECT COUNT(*) FROM meta", [], |r| r.get::<_, i64>(0))
            })
            .map(|_| ())
            .map_err(|e| sql(&self.path, e))
    }

    /// A read transaction that lasts as long as the value, so that a long reading (the audit)
    /// sees one state of the database; none is begun when the store already holds one
    /// ([`Store::hold_snapshot`]).
    pub fn read_snapshot(&self) -> Result<ReadSnapshot<'_>, StoreError> {
        if !self.conn.is_autocommit() {
            return Ok(ReadSnapshot(None));
        }
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(|source| StoreError::Sql {
                path: self.path.clone(),
                source,
            })?;
        Ok(ReadSnapshot(Some(&self.conn)))
    }
}

fn sql(path: &Path, source: rusqlite::Error) -> StoreError {
    let busy = matches!(
        &source,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        return StoreError::Busy {
            path: path.to_owned(),
        };
    }
    StoreError::Sql {
        path: path.to_owned(),
        source,
    }
}

/// A constraint refusing the change, told apart from other failures: the caller's checks were
/// right when made, and another command changed the record meanwhile.
fn conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Sql {
            path,
            source: source @ rusqlite::Error::SqliteFailure(f, _),
        } if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Conflict { path, source }
        }
        e => e,
    }
}

/// A path as the path part of an SQLite `file:` URI.
fn uri_path(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut out = String::new();
    for b in abs.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_waits_its_turn_or_says_the_vote_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vote.db");
        let mut first = Store::create(&path, "v", "").unwrap();
        let mut second = Store::open(&path).unwrap();
        let body = serde_json::json!({});
        // The first writer holds the lock for a while, then commits: the second waits its turn.
        std::thread::scope(|s| {
            let (locked, wait) = std::sync::mpsc::channel();
            let first = &mut first;
            s.spawn(move || {
                let tx = first.write().unwrap();
                locked.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300));
                tx.commit().unwrap();
            });
            wait.recv().unwrap();
            second.with_event("meeting", &body, |_| Ok(())).unwrap();
        });
        // Held past the second's patience: a clear message, never a constraint failure.
        second
            .conn
            .busy_timeout(std::time::Duration::from_millis(50))
            .unwrap();
        let tx = first.write().unwrap();
        let err = second.with_event("meeting", &body, |_| Ok(())).unwrap_err();
        assert!(matches!(err, StoreError::Busy { .. }), "{err:?}");
        assert!(err.to_string().contains("is busy"), "{err}");
        assert!(!err.to_string().contains("hint"), "{err}");
        assert!(err.hint().unwrap().starts_with("wait until it ends"));
        drop(tx);
        second.with_event("meeting", &body, |_| Ok(())).unwrap();
        assert_eq!(second.events().unwrap().len(), 3);
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-1000, 0, 19_000, 19_523, 20_000, 60_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2023, 7, 10), 19_548);
    }
}
