//! Schema 3: the committee members who may sign in to `kiemphieu serve`, each with an Argon2id
//! hash of their passphrase (the PHC string; hashing is the caller's, the store only keeps it).
//! Adding a member is a change like any other: one transaction with a `committee` event, which
//! `audit` replays against the table.

use super::*;

pub(super) const MEMBERS_SCHEMA: &str = "
CREATE TABLE members (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    added_at TEXT NOT NULL
);
";

/// A member as listed: the name and when the member was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub added_at: String,
}

impl Store {
    /// Adds a member with the PHC string of their passphrase's hash, logged as a `committee`
    /// event with the name and the SHA-256 of the PHC string (the hash itself stays out of the
    /// log; its digest lets `audit` see a hash changed in the table). `Ok(false)`: the name is
    /// taken, nothing changed.
    pub fn add_member(&mut self, name: &str, phc: &str) -> Result<bool, StoreError> {
        let p = self.path.clone();
        let tx = self.write()?;
        let taken = tx
            .query_row("SELECT 1 FROM members WHERE name = ?1", [name], |_| Ok(()))
            .optional()
            .map_err(|e| sql(&p, e))?
            .is_some();
        if taken {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO members (name, hash, added_at) VALUES (?1, ?2, ?3)",
            params![name, phc, now_utc()],
        )
        .map_err(|e| sql(&p, e))?;
        append_event(
            &tx,
            "committee",
            &serde_json::json!({ "action": "add", "name": name, "hash_sha256": sha256_hex(phc.as_bytes()) }),
        )
        .map_err(|e| sql(&p, e))?;
        tx.commit().map_err(|e| sql(&p, e))?;
        Ok(true)
    }

    /// The stored passphrase hash of a member, if there is such a member. A database still at
    /// schema 2 (read-only) has no members.
    pub fn member_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        if self.schema_version()? < 3 {
            return Ok(None);
        }
        self.conn
            .query_row("SELECT hash FROM members WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(&self.path, e))
    }

    /// Every member, in the order they were added.
    pub fn members(&self) -> Result<Vec<Member>, StoreError> {
        if self.schema_version()? < 3 {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT name, added_at FROM members ORDER BY rowid")
            .map_err(|e| sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Member {
                    name: r.get(0)?,
                    added_at: r.get(1)?,
                })
            })
            .map_err(|e| sql(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| sql(&self.path, e))
    }
}
