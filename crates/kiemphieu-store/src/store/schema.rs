//! The database's tables, and the upgrade of an older schema in place.

use super::*;

pub const SCHEMA_VERSION: i64 = 4;

pub(super) const SCHEMA: &str = "
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
pub(super) const CLAIMS_SCHEMA: &str = "
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

impl Store {
    pub(super) fn schema_version(&self) -> Result<i64, StoreError> {
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

    /// Schema 1 → 2: the claims table and its triggers.
    pub(super) fn migrate_1_to_2(&mut self) -> Result<(), StoreError> {
        self.migrate_step(1, &[CLAIMS_SCHEMA, MIGRATE_1_TO_2])
    }

    /// Schema 2 → 3: the committee members table, empty (nobody may sign in until one is added).
    pub(super) fn migrate_2_to_3(&mut self) -> Result<(), StoreError> {
        self.migrate_step(2, &[super::members::MEMBERS_SCHEMA])
    }

    /// Schema 3 → 4: the proposals table of two-person review, empty.
    pub(super) fn migrate_3_to_4(&mut self) -> Result<(), StoreError> {
        self.migrate_step(3, &[super::proposals::PROPOSALS_SCHEMA])
    }

    /// One upgrade step from schema `from` to the next: its statements, the new version and a
    /// `migrate` event, in one transaction. Another process may have made the step while this
    /// one waited for the write lock; then nothing is done.
    fn migrate_step(&mut self, from: i64, statements: &[&str]) -> Result<(), StoreError> {
        let p = self.path.clone();
        let tx = self.write()?;
        let found: String = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| sql(&p, e))?;
        if found == from.to_string() {
            for batch in statements {
                tx.execute_batch(batch).map_err(|e| sql(&p, e))?;
            }
            tx.execute(
                "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
                [(from + 1).to_string()],
            )
            .map_err(|e| sql(&p, e))?;
            append_event(
                &tx,
                "migrate",
                &serde_json::json!({ "from": from, "to": from + 1 }),
            )
            .map_err(|e| sql(&p, e))?;
        }
        tx.commit().map_err(|e| sql(&p, e))
    }
}
