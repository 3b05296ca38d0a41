//! The hash-chained event log: every change appends an event whose hash covers the one before,
//! so that `audit` finds the first broken link; the chain head is what the minutes print.

use super::*;

/// One event of the log, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    /// `init`, `print`, `scan`, `review`, `void`, `meeting`, `migrate`, `committee` or
    /// `proposal`.
    pub kind: String,
    /// The event's body, JSON text.
    pub body: String,
}

/// What checking the event chain found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every link holds; this many events.
    Holds { events: usize },
    /// This event (its id) does not match its hash or its predecessor's: the record was edited
    /// outside kiemphieu from there on.
    BrokenAt { event: i64 },
}

/// The head of the event chain: the last event's hash (hex) and how many events there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub hash: String,
    pub events: usize,
}

impl Store {
    /// Every event in order.
    pub fn events(&self) -> Result<Vec<Event>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, kind, body FROM events ORDER BY id")
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Event {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    body: r.get(2)?,
                })
            })
            .map_err(|e| sql(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sql(&self.path, e))
    }

    /// Checks the event chain, naming the first link that does not hold.
    pub fn verify_events(&self) -> Result<ChainCheck, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, at, kind, body, prev, hash FROM events ORDER BY id")
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| sql(&self.path, e))?;
        let mut prev = GENESIS.to_string();
        let mut n = 0;
        for row in rows {
            let (id, at, kind, body, p, hash) = row.map_err(|e| sql(&self.path, e))?;
            if p != prev || event_hash(&prev, &at, &kind, &body) != hash {
                return Ok(ChainCheck::BrokenAt { event: id });
            }
            prev = hash;
            n += 1;
        }
        Ok(ChainCheck::Holds { events: n })
    }

    /// Runs `f` inside one write transaction that also appends an event.
    pub(super) fn with_event<T>(
        &mut self,
        kind: &str,
        body: &serde_json::Value,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.with_event_from(kind, |tx| Ok((f(tx)?, body.clone())))
    }

    /// Runs `f` inside one write transaction; `f` also says what the appended event's body is
    /// (for a change whose extent is known only under the lock, such as voiding every unused
    /// serial).
    pub(super) fn with_event_from<T>(
        &mut self,
        kind: &str,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<(T, serde_json::Value)>,
    ) -> Result<T, StoreError> {
        let p = self.path.clone();
        let tx = self.write()?;
        let (out, body) = f(&tx).map_err(|e| sql(&p, e))?;
        append_event(&tx, kind, &body).map_err(|e| sql(&p, e))?;
        tx.commit().map_err(|e| sql(&p, e))?;
        Ok(out)
    }

    /// The head of the event chain: the hash of the last event (hex) and the number of events.
    /// Printed in the minutes and in `tally --json` (`chain_head`); `audit --expect` checks that
    /// the chain still passes through it.
    pub fn chain_head(&self) -> Result<ChainHead, StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT hash FROM events ORDER BY id DESC LIMIT 1), COUNT(*) FROM events",
                [],
                |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?)),
            )
            .map(|(h, n)| ChainHead {
                hash: h.unwrap_or_else(|| GENESIS.to_string()),
                events: n as usize,
            })
            .map_err(|e| sql(&self.path, e))
    }

    /// The position (from 1) of the first event whose hash begins with `prefix` (lower-case
    /// hex), if any.
    pub fn event_with_hash_prefix(&self, prefix: &str) -> Result<Option<usize>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT hash FROM events ORDER BY id")
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| sql(&self.path, e))?;
        for (i, h) in rows.enumerate() {
            let h = h.map_err(|e| sql(&self.path, e))?;
            if h.starts_with(prefix) {
                return Ok(Some(i + 1));
            }
        }
        Ok(None)
    }
}

/// The SHA-256 of a batch's serial list, in print order, one serial and a line feed each: what
/// the `print` event anchors, so that an edited serial row shows in `audit`.
pub fn serials_digest<'a>(serials: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for s in serials {
        h.update(s.as_bytes());
        h.update(b"\n");
    }
    hex(&h.finalize())
}

pub(super) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(super) fn event_hash(prev: &str, at: &str, kind: &str, body: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, kind, body] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex(&h.finalize())
}

pub(super) fn append_event(
    tx: &rusqlite::Transaction,
    kind: &str,
    body: &serde_json::Value,
) -> rusqlite::Result<()> {
    let prev: String = tx
        .query_row(
            "SELECT hash FROM events ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = now_utc();
    let body = body.to_string();
    let hash = event_hash(&prev, &at, kind, &body);
    tx.execute(
        "INSERT INTO events (at, kind, body, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![at, kind, body, prev, hash],
    )?;
    Ok(())
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of bytes, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
