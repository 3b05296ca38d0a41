//! What people decide: a reviewer's decisions on sheets, and the meeting's facts.

use super::*;
use crate::decision::Decision;

impl Store {
    /// Records a reviewer's decision on a sheet with its event, moving the sheet's claim as the
    /// decision says: `released` is given back, `claim` taken unless the sheet holds it already.
    /// A serial claimed or voided meanwhile by another command is [`StoreError::Conflict`], and
    /// nothing is recorded. An open proposal on the sheet (`serve --two-person`) is replaced by
    /// the decision.
    pub fn record_decision(
        &mut self,
        sheet: i64,
        d: &Decision,
        reviewer: &str,
    ) -> Result<(), StoreError> {
        let event = serde_json::json!({ "sheet": sheet, "decision": d, "reviewer": reviewer });
        let at = now_utc();
        self.with_event("review", &event, |tx| {
            super::proposals::replace_open(tx, sheet, reviewer, &at)?;
            insert_decision(tx, sheet, d, reviewer, &at)
        })
        .map_err(conflict)
    }

    /// Records (or corrects: the latest stands, every version is in the event log) the meeting
    /// facts and the committee.
    pub fn record_meeting(&mut self, m: &Meeting) -> Result<(), StoreError> {
        let committee = serde_json::to_string(&m.committee).expect("serializes");
        let event = serde_json::to_value(m).expect("serializes");
        self.with_event("meeting", &event, |tx| {
            tx.execute(
                "INSERT INTO meeting (id, convened, present, committee, recorded_at) VALUES (1, ?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET convened = ?1, present = ?2, committee = ?3, recorded_at = ?4",
                params![m.convened as i64, m.present as i64, committee, now_utc()],
            )
        })?;
        Ok(())
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
}

/// A decision's row and the claim it moves (`released` given back, `claim` taken unless the
/// sheet holds it already), inside the caller's transaction.
pub(super) fn insert_decision(
    tx: &rusqlite::Transaction,
    sheet: i64,
    d: &Decision,
    reviewer: &str,
    at: &str,
) -> rusqlite::Result<()> {
    let body = serde_json::to_string(d).expect("decision serializes");
    if let Some(old) = &d.released {
        tx.execute(
            "DELETE FROM claims WHERE serial = ?1 AND sheet_id = ?2",
            params![old, sheet],
        )?;
    }
    if let Some(new) = &d.claim {
        let held = tx
            .query_row(
                "SELECT 1 FROM claims WHERE serial = ?1 AND sheet_id = ?2",
                params![new, sheet],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !held {
            tx.execute(
                "INSERT INTO claims (serial, sheet_id, claimed_at) VALUES (?1, ?2, ?3)",
                params![new, sheet, at],
            )?;
        }
    }
    tx.execute(
        "INSERT INTO decisions (sheet_id, body, reviewer, decided_at) VALUES (?1, ?2, ?3, ?4)",
        params![sheet, body, reviewer, at],
    )?;
    Ok(())
}
