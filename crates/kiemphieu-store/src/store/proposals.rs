//! Schema 4: decisions proposed by one committee member that take effect only when a second,
//! different member confirms them (`kiemphieu serve --two-person`). A proposal is a row of
//! `proposals`; proposing, discarding and confirming are each one transaction with a `proposal`
//! event, and a confirmation records the decision itself (its `review` event, its claim) in the
//! same transaction. The database refuses a member confirming their own proposal, and a second
//! open proposal on one sheet, whatever the code around it does.

use super::*;
use crate::decision::Decision;

pub(super) const PROPOSALS_SCHEMA: &str = "
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    sheet_id INTEGER NOT NULL REFERENCES sheets(id),
    body TEXT NOT NULL,
    proposer TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open'
        CHECK (state IN ('open', 'confirmed', 'discarded', 'replaced')),
    closed_by TEXT,
    closed_at TEXT,
    CHECK ((state = 'open') = (closed_by IS NULL)),
    CHECK (state != 'confirmed' OR closed_by != proposer)
);
CREATE UNIQUE INDEX proposals_one_open_a_sheet ON proposals(sheet_id) WHERE state = 'open';
";

/// What became of a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalState {
    /// Waiting for a second member.
    Open,
    /// Confirmed by a second member: the decision is recorded.
    Confirmed,
    /// Withdrawn by its proposer or turned down by another member.
    Discarded,
    /// Another proposal, or a decision taken otherwise (`review decide`), took its place.
    Replaced,
}

impl ProposalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalState::Open => "open",
            ProposalState::Confirmed => "confirmed",
            ProposalState::Discarded => "discarded",
            ProposalState::Replaced => "replaced",
        }
    }

    pub fn parse(s: &str) -> Option<ProposalState> {
        [
            ProposalState::Open,
            ProposalState::Confirmed,
            ProposalState::Discarded,
            ProposalState::Replaced,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// One row of the `proposals` table. `body` is the decision proposed, JSON as in `decisions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRow {
    pub id: i64,
    pub sheet: i64,
    pub body: String,
    pub proposer: String,
    pub proposed_at: String,
    pub state: ProposalState,
    /// Who confirmed, discarded or replaced it (none while open).
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
}

/// What confirming a proposal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The decision is recorded.
    Recorded,
    /// The proposal was no longer open (confirmed, discarded or replaced meanwhile): nothing
    /// was recorded.
    NotOpen,
}

impl Store {
    /// Records `proposer`'s proposed decision on a sheet with its `proposal` event; an open
    /// proposal on the same sheet is replaced by it (in the same transaction). Returns the new
    /// proposal's id.
    pub fn propose(&mut self, sheet: i64, d: &Decision, proposer: &str) -> Result<i64, StoreError> {
        let body = serde_json::to_string(d).expect("decision serializes");
        let at = now_utc();
        self.with_event_from("proposal", |tx| {
            let replaces = open_on(tx, sheet)?;
            if let Some(old) = replaces {
                close(tx, old, ProposalState::Replaced, proposer, &at)?;
            }
            tx.execute(
                "INSERT INTO proposals (sheet_id, body, proposer, proposed_at) VALUES (?1, ?2, ?3, ?4)",
                params![sheet, body, proposer, at],
            )?;
            let id = tx.last_insert_rowid();
            let event = serde_json::json!({
                "action": "propose", "proposal": id, "sheet": sheet, "decision": d,
                "by": proposer, "replaces": replaces,
            });
            Ok((id, event))
        })
    }

    /// Discards an open proposal (its proposer withdrawing it, or another member turning it
    /// down), with its `proposal` event. `Ok(false)`: it was not open, nothing changed.
    pub fn discard_proposal(&mut self, id: i64, by: &str) -> Result<bool, StoreError> {
        let p = self.path.clone();
        let tx = self.write()?;
        let sheet: Option<i64> = tx
            .query_row(
                "SELECT sheet_id FROM proposals WHERE id = ?1 AND state = 'open'",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql(&p, e))?;
        let Some(sheet) = sheet else {
            return Ok(false);
        };
        close(&tx, id, ProposalState::Discarded, by, &now_utc()).map_err(|e| sql(&p, e))?;
        let event = serde_json::json!({
            "action": "discard", "proposal": id, "sheet": sheet, "by": by,
        });
        append_event(&tx, "proposal", &event).map_err(|e| sql(&p, e))?;
        tx.commit().map_err(|e| sql(&p, e))?;
        Ok(true)
    }

    /// Confirms an open proposal: in one transaction the proposal is closed as confirmed by
    /// `confirmer` and `d` (the proposed decision as checked now, naming both members) is
    /// recorded as [`Store::record_decision`] records one, in the proposer's name; its `review`
    /// event and then the `proposal` event are appended. A confirmer who is the proposer is
    /// refused by the database ([`StoreError::Conflict`]), as is a claim taken meanwhile.
    pub fn confirm_proposal(
        &mut self,
        id: i64,
        sheet: i64,
        d: &Decision,
        confirmer: &str,
    ) -> Result<Confirmed, StoreError> {
        let p = self.path.clone();
        let at = now_utc();
        let tx = self.write()?;
        let proposer: Option<String> = tx
            .query_row(
                "SELECT proposer FROM proposals WHERE id = ?1 AND sheet_id = ?2 AND state = 'open'",
                params![id, sheet],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql(&p, e))?;
        let Some(proposer) = proposer else {
            return Ok(Confirmed::NotOpen);
        };
        close(&tx, id, ProposalState::Confirmed, confirmer, &at)
            .map_err(|e| conflict(sql(&p, e)))?;
        super::decisions::insert_decision(&tx, sheet, d, &proposer, &at)
            .map_err(|e| conflict(sql(&p, e)))?;
        let review = serde_json::json!({ "sheet": sheet, "decision": d, "reviewer": proposer });
        append_event(&tx, "review", &review).map_err(|e| sql(&p, e))?;
        let event = serde_json::json!({
            "action": "confirm", "proposal": id, "sheet": sheet, "by": confirmer,
        });
        append_event(&tx, "proposal", &event).map_err(|e| sql(&p, e))?;
        tx.commit().map_err(|e| sql(&p, e))?;
        Ok(Confirmed::Recorded)
    }

    /// Every proposal, oldest first. A database before schema 4 (read-only) has none.
    pub fn proposals(&self) -> Result<Vec<ProposalRow>, StoreError> {
        if self.schema_version()? < 4 {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, sheet_id, body, proposer, proposed_at, state, closed_by, closed_at
                 FROM proposals ORDER BY id",
            )
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    ProposalRow {
                        id: r.get(0)?,
                        sheet: r.get(1)?,
                        body: r.get(2)?,
                        proposer: r.get(3)?,
                        proposed_at: r.get(4)?,
                        state: ProposalState::Open,
                        closed_by: r.get(6)?,
                        closed_at: r.get(7)?,
                    },
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| sql(&self.path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (mut row, state) = row.map_err(|e| sql(&self.path, e))?;
            row.state = ProposalState::parse(&state).ok_or_else(|| StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("proposal {}: unknown state {state:?}", row.id),
            })?;
            out.push(row);
        }
        Ok(out)
    }
}

/// The open proposal on a sheet, if any.
fn open_on(tx: &rusqlite::Transaction, sheet: i64) -> rusqlite::Result<Option<i64>> {
    tx.query_row(
        "SELECT id FROM proposals WHERE sheet_id = ?1 AND state = 'open'",
        [sheet],
        |r| r.get(0),
    )
    .optional()
}

fn close(
    tx: &rusqlite::Transaction,
    id: i64,
    state: ProposalState,
    by: &str,
    at: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE proposals SET state = ?2, closed_by = ?3, closed_at = ?4 WHERE id = ?1 AND state = 'open'",
        params![id, state.as_str(), by, at],
    )?;
    Ok(())
}

/// A decision recorded on a sheet otherwise than by confirming its proposal (`review decide`, a
/// one-person server) replaces the sheet's open proposal, if any: it no longer stands to be
/// confirmed. Called inside the decision's transaction; the `review` event says it all (the
/// audit replays it so).
pub(super) fn replace_open(
    tx: &rusqlite::Transaction,
    sheet: i64,
    by: &str,
    at: &str,
) -> rusqlite::Result<()> {
    if let Some(id) = open_on(tx, sheet)? {
        close(tx, id, ProposalState::Replaced, by, at)?;
    }
    Ok(())
}
