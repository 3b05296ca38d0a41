//! Sheet records: one row per scanned page, recorded with its claim and its event.

use super::*;

impl Store {
    /// Whether these bytes (this page of them) were recorded before.
    pub fn has_sheet(&self, sha256: &str, page: u32) -> Result<bool, StoreError> {
        sheet_known(&self.conn, sha256, page).map_err(|e| sql(&self.path, e))
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
        if sheet_known(&tx, &rec.sha256, rec.page).map_err(|e| sql(&p, e))? {
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
        self.sheets_where("1", [])
    }

    /// The recorded sheet with this id, if there is one.
    pub fn sheet(&self, id: i64) -> Result<Option<StoredSheet>, StoreError> {
        Ok(self.sheets_where("id = ?1", [id])?.pop())
    }

    fn sheets_where<P: rusqlite::Params>(
        &self,
        condition: &str,
        params: P,
    ) -> Result<Vec<StoredSheet>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, sha256, page, file, outcome, reason, serial, orientation, rows, detail,
                        archive, scanned_at FROM sheets WHERE {condition} ORDER BY id"
            ))
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map(params, |r| {
                Ok(SheetRow {
                    id: r.get(0)?,
                    sha256: r.get(1)?,
                    page: r.get(2)?,
                    file: r.get(3)?,
                    outcome: r.get(4)?,
                    reason: r.get(5)?,
                    serial: r.get(6)?,
                    orientation: r.get(7)?,
                    rows: r.get(8)?,
                    detail: r.get(9)?,
                    archive: r.get(10)?,
                    scanned_at: r.get(11)?,
                })
            })
            .map_err(|e| sql(&self.path, e))?;
        rows.map(|row| row.map_err(|e| sql(&self.path, e))?.parse(&self.path))
            .collect()
    }
}

/// One row of `sheets` as stored: outcome, reason and rows still text.
struct SheetRow {
    id: i64,
    sha256: String,
    page: u32,
    file: String,
    outcome: String,
    reason: Option<String>,
    serial: Option<String>,
    orientation: Option<u16>,
    rows: String,
    detail: Option<String>,
    archive: Option<String>,
    scanned_at: String,
}

impl SheetRow {
    /// The record, its texts parsed; one that does not parse was edited behind the program's back.
    fn parse(self, path: &Path) -> Result<StoredSheet, StoreError> {
        let id = self.id;
        let corrupt = |what: String| StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("sheet {id}: {what}"),
        };
        let outcome = Outcome::parse(&self.outcome)
            .ok_or_else(|| corrupt(format!("unknown outcome {:?}", self.outcome)))?;
        let reason = match self.reason {
            None => None,
            Some(r) => {
                Some(Reason::parse(&r).ok_or_else(|| corrupt(format!("unknown reason {r:?}")))?)
            }
        };
        let rows: Vec<RowReading> =
            serde_json::from_str(&self.rows).map_err(|e| corrupt(format!("rows: {e}")))?;
        Ok(StoredSheet {
            id,
            record: SheetRecord {
                file: self.file,
                page: self.page,
                sha256: self.sha256,
                outcome,
                reason,
                serial: self.serial,
                orientation: self.orientation,
                rows,
                detail: self.detail,
            },
            archive: self.archive,
            scanned_at: self.scanned_at,
        })
    }
}

/// Whether these bytes (this page of them) are recorded.
fn sheet_known(conn: &Connection, sha256: &str, page: u32) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sheets WHERE sha256 = ?1 AND page = ?2",
        params![sha256, page],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
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
        (Some(false), Some(Holder { file, page })) => {
            set(
                Outcome::Review,
                Reason::DuplicateSerial,
                format!("serial {grouped} was already read from {file} (page {page})"),
            );
            Ok(None)
        }
    }
}
