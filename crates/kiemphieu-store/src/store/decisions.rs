//! What people decide: a reviewer's decisions on sheets, and the meeting's facts.

use super::*;

impl Store {
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
