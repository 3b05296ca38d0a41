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

pub const SCHEMA_VERSION: i64 = 3;

/// How long a writer waits for another writer (a second `scan`, a `watch`) before it says the vote
/// is busy.
const BUSY_TIMEOUT_MS: u32 = 30_000;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    count INTEGER NOT NULL,
    pdf TEXT NOT NULL
);
CREATE TABLE serials (
    serial TEXT PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    page INTEGER NOT NULL,
    voided_at TEXT
);
CREATE TABLE sheets (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    page INTEGER NOT NULL,
    file TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    serial TEXT,
    orientation INTEGER,
    rows TEXT NOT NULL,
    detail TEXT,
    archive TEXT,
    scanned_at TEXT NOT NULL,
    UNIQUE (sha256, page)
);
CREATE INDEX sheets_by_serial ON sheets(serial);
CREATE TABLE meeting (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    convened INTEGER NOT NULL,
    present INTEGER NOT NULL,
    committee TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    sheet_id INTEGER NOT NULL REFERENCES sheets(id),
    body TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
";

/// Schema 2: who holds each serial. A serial is claimed by at most one sheet (counted, ruled
/// invalid, or waiting for a person), whether its QR code was scanned or a person typed it; the
/// primary key makes a second claim impossible, whatever the code around it does. A void serial
/// cannot be claimed, and a claimed serial cannot be voided.
const CLAIMS_SCHEMA: &str = "
CREATE TABLE claims (
    serial TEXT NOT NULL PRIMARY KEY REFERENCES serials(serial),
    sheet_id INTEGER NOT NULL UNIQUE REFERENCES sheets(id) ON DELETE CASCADE,
    claimed_at TEXT NOT NULL
);
CREATE TRIGGER claims_refuse_void_serial BEFORE INSERT ON claims
WHEN (SELECT voided_at FROM serials WHERE serial = NEW.serial) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a void serial cannot be claimed'); END;
CREATE TRIGGER serials_refuse_voiding_claimed BEFORE UPDATE OF voided_at ON serials
WHEN NEW.voided_at IS NOT NULL AND EXISTS (SELECT 1 FROM claims WHERE serial = NEW.serial)
BEGIN SELECT RAISE(ABORT, 'a claimed serial cannot be voided'); END;
";

/// Schema 1 → 2: the claims a schema-1 record implies, oldest sheet first (what `scan` then
/// treated as "already read"), less the sheets a person set aside, plus the serials typed in
/// review that no sheet holds.
const MIGRATE_1_TO_2: &str = "
INSERT OR IGNORE INTO claims (serial, sheet_id, claimed_at)
SELECT s.serial, s.id, s.scanned_at FROM sheets s JOIN serials r ON r.serial = s.serial
WHERE s.outcome IN ('counted', 'review') AND r.voided_at IS NULL
  AND (s.reason IS NULL OR s.reason != 'duplicate_serial')
ORDER BY s.id;
DELETE FROM claims WHERE sheet_id IN (
    SELECT d.sheet_id FROM decisions d
    WHERE d.id = (SELECT MAX(id) FROM decisions WHERE sheet_id = d.sheet_id)
      AND json_extract(d.body, '$.sheet') = 'ignore');
INSERT OR IGNORE INTO claims (serial, sheet_id, claimed_at)
SELECT json_extract(d.body, '$.serial'), d.sheet_id, d.decided_at FROM decisions d
JOIN serials r ON r.serial = json_extract(d.body, '$.serial')
WHERE d.id = (SELECT MAX(id) FROM decisions WHERE sheet_id = d.sheet_id)
  AND r.voided_at IS NULL
  AND json_extract(d.body, '$.serial_check') IS NULL
  AND coalesce(json_extract(d.body, '$.sheet'), '') NOT IN ('ignore', 'invalid')
ORDER BY d.id;
";

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
    #[error("database {path}: a stored record cannot be read: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "database {path} is busy: another kiemphieu command is writing to this vote\nhint: wait until it ends (a scan or watch of the same vote), then run this again"
    )]
    Busy { path: PathBuf },
    #[error(
        "database {path} has schema version {found} and cannot be upgraded in a read-only folder\nhint: run any kiemphieu command on the vote once where the folder can be written"
    )]
    ReadOnlyOld { path: PathBuf, found: i64 },
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

mod events;
mod members;

pub use crate::record::StoredSheet;
use events::append_event;
pub use events::{hex, serials_digest, sha256_hex};
pub use members::Member;

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
            return Err(StoreError::Corrupt {
                path: path.to_owned(),
                reason: format!(
                    "{} holds changes not yet merged into the database, and the folder cannot be written: read-only they would be missed\nhint: copy the vote folder where it can be written and run the command there",
                    wal.display()
                ),
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
        // Schema 2 lacks only the members, which reading commands do not need.
        if found != SCHEMA_VERSION && found != 2 {
            return Err(StoreError::Schema {
                path: path.to_owned(),
                found,
            });
        }
        Ok(store)
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .map_err(|e| sql(&self.path, e))?
            .parse()
            .unwrap_or(-1))
    }

    fn migrate_1_to_2(&mut self) -> Result<(), StoreError> {
        let p = self.path.clone();
        let tx = self.write()?;
        // Another process may have upgraded it while this one waited for the lock.
        let found: String = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| sql(&p, e))?;
        if found == "1" {
            tx.execute_batch(CLAIMS_SCHEMA).map_err(|e| sql(&p, e))?;
            tx.execute_batch(MIGRATE_1_TO_2).map_err(|e| sql(&p, e))?;
            tx.execute(
                "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
                [],
            )
            .map_err(|e| sql(&p, e))?;
            append_event(&tx, "migrate", &serde_json::json!({ "from": 1, "to": 2 }))
                .map_err(|e| sql(&p, e))?;
        }
        tx.commit().map_err(|e| sql(&p, e))
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

    /// Registers a print batch and its serials in one transaction. The batch number is taken in
    /// the transaction and handed to `place`, which puts the batch's PDF in place (named after
    /// it) and returns its path relative to the vote folder; if `place` fails nothing is
    /// registered. Two `generate`s at once therefore never share a number or a PDF. Returns the
    /// batch number.
    pub fn register_batch<E: From<StoreError>>(
        &mut self,
        serials: &[Serial],
        place: impl FnOnce(i64) -> Result<String, E>,
    ) -> Result<i64, E> {
        let p = self.path.clone();
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO batches (created_at, count, pdf) VALUES (?1, ?2, '')",
            params![now_utc(), serials.len() as i64],
        )
        .map_err(|e| sql(&p, e))?;
        let batch = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare("INSERT INTO serials (serial, batch_id, page) VALUES (?1, ?2, ?3)")
                .map_err(|e| sql(&p, e))?;
            for (i, s) in serials.iter().enumerate() {
                insert
                    .execute(params![s.as_str(), batch, i as i64 + 1])
                    .map_err(|e| match e {
                        rusqlite::Error::SqliteFailure(f, _)
                            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                        {
                            StoreError::SerialTaken {
                                path: p.clone(),
                                serial: s.to_string(),
                            }
                        }
                        e => sql(&p, e),
                    })?;
            }
        }
        let pdf = place(batch)?;
        tx.execute(
            "UPDATE batches SET pdf = ?1 WHERE id = ?2",
            params![pdf, batch],
        )
        .map_err(|e| sql(&p, e))?;
        let body = serde_json::json!({
            "batch": batch, "count": serials.len(), "pdf": pdf,
            "serials_sha256": serials_digest(serials.iter().map(|s| s.as_str())),
        });
        append_event(&tx, "print", &body).map_err(|e| sql(&p, e))?;
        tx.commit().map_err(|e| sql(&p, e))?;
        Ok(batch)
    }

    /// Serials printed so far, and how many of them are voided.
    pub fn printed_and_voided(&self) -> Result<(u64, u64), StoreError> {
        self.conn
            .query_row("SELECT COUNT(*), COUNT(voided_at) FROM serials", [], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })
            .map_err(|e| sql(&self.path, e))
    }

    /// All registered serials in print order, with their batch and page.
    pub fn serials(&self) -> Result<Vec<(Serial, i64, i64, bool)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT serial, batch_id, page, voided_at IS NOT NULL FROM serials ORDER BY batch_id, page")
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(|e| sql(&self.path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (s, b, p, v) = row.map_err(|e| sql(&self.path, e))?;
            let serial = Serial::parse(&s).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("serial {s:?}: {e}"),
            })?;
            out.push((serial, b, p, v));
        }
        Ok(out)
    }

    pub fn serial_status(&self, serial: &str) -> Result<SerialStatus, StoreError> {
        let voided: Option<bool> = self
            .conn
            .query_row(
                "SELECT voided_at IS NOT NULL FROM serials WHERE serial = ?1",
                [serial],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql(&self.path, e))?;
        Ok(match voided {
            None => SerialStatus::Unknown,
            Some(false) => SerialStatus::Issued,
            Some(true) => SerialStatus::Voided,
        })
    }

    /// Whether these bytes (this page of them) were recorded before.
    pub fn has_sheet(&self, sha256: &str, page: u32) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM sheets WHERE sha256 = ?1 AND page = ?2",
                params![sha256, page],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| sql(&self.path, e))
    }

    /// The sheet holding this serial (counted, ruled invalid or awaiting review), if any.
    pub fn sheet_claiming_serial(&self, serial: &str) -> Result<Option<(String, u32)>, StoreError> {
        claimant(&self.conn, serial).map_err(|e| sql(&self.path, e))
    }

    /// Every claim: serial → the id of the sheet holding it.
    pub fn claims(&self) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT serial, sheet_id FROM claims")
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| sql(&self.path, e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| sql(&self.path, e))
    }

    /// Records one sheet atomically, with its event and, for a sheet that holds its serial, the
    /// claim on it. The registry is asked again under the write lock, so that what another
    /// command recorded meanwhile counts: the same bytes → [`Recorded::Already`]; the serial
    /// claimed meanwhile → `review`/`duplicate_serial`; voided meanwhile → `rejected`/`voided`.
    pub fn insert_sheet(
        &mut self,
        rec: &SheetRecord,
        archive: Option<&str>,
    ) -> Result<Recorded, StoreError> {
        let p = self.path.clone();
        let tx = self.write()?;
        let known: bool = tx
            .query_row(
                "SELECT 1 FROM sheets WHERE sha256 = ?1 AND page = ?2",
                params![rec.sha256, rec.page],
                |_| Ok(()),
            )
            .optional()
            .map_err(|e| sql(&p, e))?
            .is_some();
        if known {
            return Ok(Recorded::Already);
        }
        let mut rec = rec.clone();
        let claim = settle_claim(&tx, &mut rec).map_err(|e| sql(&p, e))?;
        let rows = serde_json::to_string(&rec.rows).expect("rows serialize");
        tx.execute(
            "INSERT INTO sheets (sha256, page, file, outcome, reason, serial, orientation, rows,
                                 detail, archive, scanned_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                rec.sha256,
                rec.page,
                rec.file,
                rec.outcome.as_str(),
                rec.reason.map(Reason::as_str),
                rec.serial,
                rec.orientation,
                rows,
                rec.detail,
                archive,
                now_utc(),
            ],
        )
        .map_err(|e| sql(&p, e))?;
        let id = tx.last_insert_rowid();
        if let Some(serial) = &claim {
            tx.execute(
                "INSERT INTO claims (serial, sheet_id, claimed_at) VALUES (?1, ?2, ?3)",
                params![serial, id, now_utc()],
            )
            .map_err(|e| sql(&p, e))?;
        }
        let body = serde_json::json!({
            "sheet": id, "sha256": rec.sha256, "page": rec.page, "outcome": rec.outcome,
            "reason": rec.reason, "serial": rec.serial, "rows": rec.rows,
        });
        append_event(&tx, "scan", &body).map_err(|e| sql(&p, e))?;
        tx.commit().map_err(|e| sql(&p, e))?;
        Ok(Recorded::New(id, rec))
    }

    /// Every recorded sheet in the order it was recorded.
    pub fn sheets(&self) -> Result<Vec<StoredSheet>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, sha256, page, file, outcome, reason, serial, orientation, rows, detail,
                        archive, scanned_at FROM sheets ORDER BY id",
            )
            .map_err(|e| sql(&self.path, e))?;
        let raw = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<u16>>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, String>(11)?,
                ))
            })
            .map_err(|e| sql(&self.path, e))?;
        let mut out = Vec::new();
        for row in raw {
            let (
                id,
                sha256,
                page,
                file,
                outcome,
                reason,
                serial,
                orientation,
                rows,
                detail,
                archive,
                at,
            ) = row.map_err(|e| sql(&self.path, e))?;
            let corrupt = |what: String| StoreError::Corrupt {
                path: self.path.clone(),
                reason: what,
            };
            let outcome = Outcome::parse(&outcome)
                .ok_or_else(|| corrupt(format!("sheet {id}: unknown outcome {outcome:?}")))?;
            let reason = match reason {
                None => None,
                Some(r) => Some(
                    Reason::parse(&r)
                        .ok_or_else(|| corrupt(format!("sheet {id}: unknown reason {r:?}")))?,
                ),
            };
            let rows: Vec<RowReading> = serde_json::from_str(&rows)
                .map_err(|e| corrupt(format!("sheet {id}: rows: {e}")))?;
            out.push(StoredSheet {
                id,
                record: SheetRecord {
                    file,
                    page,
                    sha256,
                    outcome,
                    reason,
                    serial,
                    orientation,
                    rows,
                    detail,
                },
                archive,
                scanned_at: at,
            });
        }
        Ok(out)
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

    /// Every recorded decision in the order it was made.
    pub fn decision_rows(&self) -> Result<Vec<DecisionRow>, StoreError> {
        let sql = |source| StoreError::Sql {
            path: self.path.clone(),
            source,
        };
        let mut stmt = self
            .conn
            .prepare("SELECT sheet_id, body, reviewer, decided_at FROM decisions ORDER BY id")
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DecisionRow {
                    sheet: r.get(0)?,
                    body: r.get(1)?,
                    reviewer: r.get(2)?,
                    decided_at: r.get(3)?,
                })
            })
            .map_err(sql)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql)
    }

    /// The meeting facts and committee, when recorded.
    pub fn meeting(&self) -> Result<Option<Meeting>, StoreError> {
        let row: Option<(i64, i64, String)> = self
            .conn
            .query_row(
                "SELECT convened, present, committee FROM meeting WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|source| StoreError::Sql {
                path: self.path.clone(),
                source,
            })?;
        row.map(|(c, p, committee)| {
            let committee = serde_json::from_str(&committee).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("meeting committee: {e}"),
            })?;
            Ok(Meeting {
                convened: c as u64,
                present: p as u64,
                committee,
            })
        })
        .transpose()
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

    pub fn connection(&self) -> &Connection {
        &self.conn
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

/// The file and page of the sheet holding `serial`, if any.
pub(crate) fn claimant(conn: &Connection, serial: &str) -> rusqlite::Result<Option<(String, u32)>> {
    conn.query_row(
        "SELECT s.file, s.page FROM claims c JOIN sheets s ON s.id = c.sheet_id WHERE c.serial = ?1",
        [serial],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// Whether a sheet of this outcome and reason holds the serial it carries: counted, or waiting
/// for a person for a reason other than the serial being another sheet's.
pub fn holds_serial(rec: &SheetRecord) -> bool {
    rec.serial.is_some()
        && matches!(rec.outcome, Outcome::Counted | Outcome::Review)
        && rec.reason != Some(Reason::DuplicateSerial)
}

/// Under the write lock: the serial `rec` may claim, after turning `rec` into what the registry
/// says now if another command changed the serial since `rec` was judged.
fn settle_claim(
    tx: &rusqlite::Transaction,
    rec: &mut SheetRecord,
) -> rusqlite::Result<Option<String>> {
    if !holds_serial(rec) {
        return Ok(None);
    }
    let serial = rec.serial.clone().unwrap_or_default();
    let grouped = Serial::parse(&serial)
        .map(|s| s.grouped())
        .unwrap_or_else(|_| serial.clone());
    // A sheet that could not be registered was never checked against the registry: it holds
    // its serial only if the serial is free, and otherwise stays what it is.
    let checked = !matches!(
        rec.reason,
        Some(Reason::RegistrationFailed) | Some(Reason::QrUnreadable)
    );
    let voided: Option<bool> = tx
        .query_row(
            "SELECT voided_at IS NOT NULL FROM serials WHERE serial = ?1",
            [&serial],
            |r| r.get(0),
        )
        .optional()?;
    let claimed = claimant(tx, &serial)?;
    let mut set = |o: Outcome, r: Reason, d: String| {
        rec.outcome = o;
        rec.reason = Some(r);
        rec.detail = Some(d);
    };
    match (voided, claimed) {
        (Some(false), None) => Ok(Some(serial)),
        _ if !checked => Ok(None),
        (None, _) => {
            set(
                Outcome::Rejected,
                Reason::NotIssued,
                format!("serial {grouped} was never printed for this vote"),
            );
            Ok(None)
        }
        (Some(true), _) => {
            set(
                Outcome::Rejected,
                Reason::Voided,
                format!("serial {grouped} was returned unused and voided"),
            );
            Ok(None)
        }
        (Some(false), Some((other, other_page))) => {
            set(
                Outcome::Review,
                Reason::DuplicateSerial,
                format!("serial {grouped} was already read from {other} (page {other_page})"),
            );
            Ok(None)
        }
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
            .connection()
            .busy_timeout(std::time::Duration::from_millis(50))
            .unwrap();
        let tx = first.write().unwrap();
        let err = second.with_event("meeting", &body, |_| Ok(())).unwrap_err();
        assert!(matches!(err, StoreError::Busy { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("is busy") && text.contains("\nhint: "),
            "{text}"
        );
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
