//! The registry of printed serials: print batches, voiding, and which sheet holds (claims) each
//! serial.

use super::*;

/// One printed serial: its batch, its page in the batch's PDF, and whether it was voided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSerial {
    pub serial: Serial,
    pub batch: i64,
    pub page: i64,
    pub voided: bool,
}

/// One print batch as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: i64,
    pub created_at: String,
    pub count: i64,
    /// The batch's PDF, relative to the vote folder.
    pub pdf: String,
}

/// The sheet holding a serial: its file and page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub file: String,
    pub page: u32,
}

impl Store {
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

    /// All registered serials in print order.
    pub fn serials(&self) -> Result<Vec<RegisteredSerial>, StoreError> {
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
            let (s, batch, page, voided) = row.map_err(|e| sql(&self.path, e))?;
            out.push(RegisteredSerial {
                serial: self.parse_serial(&s)?,
                batch,
                page,
                voided,
            });
        }
        Ok(out)
    }

    /// A serial as stored, checked: one that does not parse was edited behind the program's back.
    fn parse_serial(&self, s: &str) -> Result<Serial, StoreError> {
        Serial::parse(s).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            reason: format!("serial {s:?}: {e}"),
        })
    }

    /// Every print batch, in the order printed.
    pub fn batches(&self) -> Result<Vec<Batch>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, created_at, count, pdf FROM batches ORDER BY id")
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Batch {
                    id: r.get(0)?,
                    created_at: r.get(1)?,
                    count: r.get(2)?,
                    pdf: r.get(3)?,
                })
            })
            .map_err(|e| sql(&self.path, e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| sql(&self.path, e))
    }

    /// Voids these serials in one transaction with its event. The database refuses to void a
    /// claimed serial ([`StoreError::Conflict`]) even if a scan claimed it since the caller
    /// looked; then nothing is voided.
    pub fn void_serials(&mut self, serials: &[Serial]) -> Result<(), StoreError> {
        let list: Vec<String> = serials.iter().map(|s| s.to_string()).collect();
        let event = serde_json::json!({ "serials": list });
        let at = now_utc();
        self.with_event("void", &event, |tx| {
            for s in &list {
                tx.execute(
                    "UPDATE serials SET voided_at = ?1 WHERE serial = ?2",
                    params![at, s],
                )?;
            }
            Ok(())
        })
        .map_err(conflict)
    }

    /// Voids every serial printed and neither voided nor claimed, in one transaction: the list
    /// is taken under the write lock, so a sheet scanned meanwhile keeps its serial. Returns the
    /// serials voided, in print order.
    pub fn void_all_unused(&mut self) -> Result<Vec<Serial>, StoreError> {
        let at = now_utc();
        let voided: Vec<String> = self
            .with_event_from("void", |tx| {
                let list: Vec<String> = {
                    let mut stmt = tx.prepare(
                        "SELECT serial FROM serials WHERE voided_at IS NULL
                         AND serial NOT IN (SELECT serial FROM claims) ORDER BY batch_id, page",
                    )?;
                    stmt.query_map([], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()?
                };
                for s in &list {
                    tx.execute(
                        "UPDATE serials SET voided_at = ?1 WHERE serial = ?2",
                        params![at, s],
                    )?;
                }
                let body = serde_json::json!({ "serials": list, "all_unused": true });
                Ok((list, body))
            })
            .map_err(conflict)?;
        voided.iter().map(|s| self.parse_serial(s)).collect()
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

    /// The sheet holding this serial (counted, ruled invalid or awaiting review), if any.
    pub fn sheet_claiming_serial(&self, serial: &str) -> Result<Option<Holder>, StoreError> {
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
}

/// The file and page of the sheet holding `serial`, if any.
pub(super) fn claimant(conn: &Connection, serial: &str) -> rusqlite::Result<Option<Holder>> {
    conn.query_row(
        "SELECT s.file, s.page FROM claims c JOIN sheets s ON s.id = c.sheet_id WHERE c.serial = ?1",
        [serial],
        |r| {
            Ok(Holder {
                file: r.get(0)?,
                page: r.get(1)?,
            })
        },
    )
    .optional()
}
