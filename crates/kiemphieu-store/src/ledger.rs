//! The record against its log. Every change to the vote is one transaction that writes the tables
//! and appends a hash-chained event saying what it wrote. The chain shows whether the log was
//! edited; this replays the log and shows whether the *tables* were: a sheet's outcome, rows or
//! serial, a reviewer's decision, a proposal of two-person review, a voided serial, the meeting
//! facts, the printed serials, the committee members who may sign in.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::difference::{Difference, DifferenceKind};
use crate::store::{Event, StoreError, serials_digest, sha256_hex};
use crate::vote::Vote;

/// The differences between the tables and what the log says was written to them.
pub fn check(vote: &Vote) -> Result<Vec<Difference>, StoreError> {
    Ok(check_anchored(vote)?.0)
}

/// The differences between the record and its log, with notes on what could not be checked:
/// the tables against the events, the frozen form file against the hash in the `init` event,
/// every printed batch's serial list against the hash in its `print` event, and each committee
/// member's passphrase hash against the digest in its `committee` event. A vote folder made
/// before these hashes were logged has none to check against: a note says so.
pub fn check_anchored(vote: &Vote) -> Result<(Vec<Difference>, Vec<String>), StoreError> {
    let mut diffs = check_tables(vote)?;
    let mut notes = Vec::new();
    let events = vote.store.events()?;
    let parse = |body: &str| serde_json::from_str::<Value>(body).unwrap_or(Value::Null);
    let anchor = |what: DifferenceKind, logged: String, now: String| Difference {
        sheet: None,
        file: None,
        page: None,
        row: None,
        what,
        recorded: format!("log: {logged}"),
        now,
        scores: None,
    };

    // The form file, as frozen at init.
    let init = events
        .iter()
        .find(|e| e.kind == "init")
        .map(|e| parse(&e.body));
    let form_path = Vote::form_path(&vote.dir);
    match init.as_ref().and_then(|b| b["form_sha256"].as_str()) {
        None => notes.push(
            "this vote was created before form.json was anchored in the log: its edits cannot be seen".into(),
        ),
        Some(logged) => {
            let now = match std::fs::read(&form_path) {
                Ok(bytes) => sha256_hex(&bytes),
                Err(e) => format!("unreadable ({e})"),
            };
            if now != logged {
                diffs.push(anchor(
                    DifferenceKind::FormEdited,
                    format!("form.json sha256 {logged}"),
                    format!("{} sha256 {now}", form_path.display()),
                ));
            }
        }
    }

    // Each batch's serial list, as printed.
    let serials = vote.store.serials()?;
    let mut unanchored = 0;
    for Event { kind, body, .. } in &events {
        if kind != "print" {
            continue;
        }
        let b = parse(body);
        let (Some(batch), Some(logged)) = (b["batch"].as_i64(), b["serials_sha256"].as_str())
        else {
            unanchored += 1;
            continue;
        };
        let now = serials_digest(
            serials
                .iter()
                .filter(|r| r.batch == batch)
                .map(|r| r.serial.as_str()),
        );
        if now != logged {
            diffs.push(anchor(
                DifferenceKind::SerialsEdited,
                format!("batch {batch} serial list sha256 {logged}"),
                format!("table: batch {batch} serial list sha256 {now}"),
            ));
        }
    }
    if unanchored > 0 {
        notes.push(format!(
            "{unanchored} print batch(es) were recorded before serial lists were anchored in the log: only their counts are checked"
        ));
    }
    // Committee members added before their passphrase hashes were anchored in the log.
    let unanchored = events
        .iter()
        .filter(|e| e.kind == "committee")
        .map(|e| parse(&e.body))
        .filter(|b| b["action"] == "add" && b["hash_sha256"].is_null())
        .count();
    if unanchored > 0 {
        notes.push(format!(
            "{unanchored} committee member(s) were added before passphrase hashes were anchored in the log: only their names are checked"
        ));
    }
    Ok((diffs, notes))
}

/// The tables against the events that wrote them.
fn check_tables(vote: &Vote) -> Result<Vec<Difference>, StoreError> {
    let events = vote.store.events()?;
    let mut diffs = Vec::new();
    let diff =
        |sheet: Option<i64>, what: DifferenceKind, logged: String, table: String| Difference {
            sheet,
            file: None,
            page: None,
            row: None,
            what,
            recorded: format!("log: {logged}"),
            now: format!("table: {table}"),
            scores: None,
        };
    let parse = |body: &str| serde_json::from_str::<Value>(body).unwrap_or(Value::Null);

    // Sheets: each row of `sheets` against its `scan` event.
    let mut scanned: BTreeMap<i64, Value> = BTreeMap::new();
    let mut reviews: Vec<Value> = Vec::new();
    let mut voided: BTreeSet<String> = BTreeSet::new();
    let mut printed: u64 = 0;
    let mut meeting: Option<Value> = None;
    let mut proposals = ProposalReplay::default();
    let mut members: BTreeMap<String, Value> = BTreeMap::new();
    for Event { kind, body, .. } in &events {
        let b = parse(body);
        match kind.as_str() {
            "scan" => {
                if let Some(id) = b["sheet"].as_i64() {
                    scanned.insert(id, with_current_rows(b));
                }
            }
            "review" => {
                proposals.decided(&b);
                reviews.push(b);
            }
            "proposal" => proposals.event(&b),
            "committee" if b["action"] == "add" => {
                let name = b["name"].as_str().unwrap_or_default().to_string();
                members.insert(name, b["hash_sha256"].clone());
            }
            "void" => {
                for s in b["serials"].as_array().into_iter().flatten() {
                    voided.insert(s.as_str().unwrap_or_default().to_string());
                }
            }
            "print" => printed += b["count"].as_u64().unwrap_or(0),
            "meeting" => meeting = Some(b),
            _ => {}
        }
    }
    for s in vote.store.sheets()? {
        let r = &s.record;
        let table = serde_json::json!({
            "sheet": s.id, "sha256": r.sha256, "page": r.page, "outcome": r.outcome,
            "reason": r.reason, "serial": r.serial, "rows": r.rows,
        });
        match scanned.remove(&s.id) {
            None => diffs.push(diff(
                Some(s.id),
                DifferenceKind::RecordEdited,
                "no scan event for this sheet".into(),
                "a sheet the program never recorded".into(),
            )),
            Some(logged) if logged != table => {
                for key in ["sha256", "page", "outcome", "reason", "serial", "rows"] {
                    if logged[key] != table[key] {
                        diffs.push(diff(
                            Some(s.id),
                            DifferenceKind::RecordEdited,
                            format!("{key} {}", logged[key]),
                            format!("{key} {}", table[key]),
                        ));
                    }
                }
            }
            Some(_) => {}
        }
    }
    for id in scanned.keys() {
        diffs.push(diff(
            Some(*id),
            DifferenceKind::RecordDeleted,
            "a scan event for this sheet".into(),
            "no such sheet".into(),
        ));
    }

    // Decisions: the table's rows, in order, against the review events.
    let decisions: Vec<Value> = crate::review::decision_rows(vote)?
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "sheet": d.sheet,
                "decision": serde_json::from_str::<Value>(&d.body).unwrap_or(Value::String(d.body)),
                "reviewer": d.reviewer,
            })
        })
        .collect();
    for k in 0..reviews.len().max(decisions.len()) {
        let (logged, table) = (reviews.get(k), decisions.get(k));
        if logged != table {
            let sheet = table.or(logged).and_then(|v| v["sheet"].as_i64());
            let show = |v: Option<&Value>| v.map_or("none".to_string(), Value::to_string);
            diffs.push(diff(
                sheet,
                DifferenceKind::DecisionEdited,
                show(logged),
                show(table),
            ));
        }
    }

    // Serials: how many were printed, which are voided.
    let serials = vote.store.serials()?;
    if serials.len() as u64 != printed {
        diffs.push(diff(
            None,
            DifferenceKind::SerialsEdited,
            format!("{printed} printed"),
            format!("{} serials", serials.len()),
        ));
    }
    let in_table: BTreeSet<String> = serials
        .iter()
        .filter(|r| r.voided)
        .map(|r| r.serial.to_string())
        .collect();
    for s in voided.symmetric_difference(&in_table) {
        diffs.push(diff(
            None,
            DifferenceKind::VoidEdited,
            format!("{s} voided: {}", voided.contains(s)),
            format!("{s} voided: {}", in_table.contains(s)),
        ));
    }

    // Proposals (two-person review): each row against the events that made and closed it.
    let table: BTreeMap<i64, Value> = vote
        .store
        .proposals()?
        .into_iter()
        .map(|p| {
            let row = serde_json::json!({
                "sheet": p.sheet,
                "decision": parse(&p.body),
                "proposer": p.proposer,
                "state": p.state.as_str(),
                "closed_by": p.closed_by,
            });
            (p.id, row)
        })
        .collect();
    let logged = proposals.rows;
    for id in logged.keys().chain(table.keys()).collect::<BTreeSet<_>>() {
        let (l, t) = (logged.get(id), table.get(id));
        if l != t {
            let sheet = t.or(l).and_then(|v| v["sheet"].as_i64());
            let show =
                |v: Option<&Value>| v.map_or("none".to_string(), |v| format!("proposal {id} {v}"));
            diffs.push(diff(
                sheet,
                DifferenceKind::ProposalEdited,
                show(l),
                show(t),
            ));
        }
    }

    // The committee members who may sign in: each against the event that added it (and the
    // passphrase hash's SHA-256 logged there, for members added since it is).
    let mut in_table = BTreeMap::new();
    for m in vote.store.members()? {
        let hash = vote.store.member_hash(&m.name)?.unwrap_or_default();
        in_table.insert(m.name, sha256_hex(hash.as_bytes()));
    }
    for name in members
        .keys()
        .chain(in_table.keys())
        .collect::<BTreeSet<_>>()
    {
        let (logged, now) = (members.get(name), in_table.get(name));
        let shown = match (logged, now) {
            (None, Some(_)) => Some((
                "no committee event adds this member".to_string(),
                format!("member {name:?}, a member the program never added"),
            )),
            (Some(_), None) => Some((
                format!("member {name:?} added"),
                "no such member".to_string(),
            )),
            (Some(Value::String(l)), Some(n)) if l != n => Some((
                format!("member {name:?}, passphrase hash sha256 {l}"),
                format!("member {name:?}, passphrase hash sha256 {n}"),
            )),
            _ => None,
        };
        if let Some((l, t)) = shown {
            diffs.push(diff(None, DifferenceKind::MemberEdited, l, t));
        }
    }

    // The meeting facts.
    let table = crate::review::meeting(vote)?.map(|m| serde_json::to_value(m).unwrap_or_default());
    if table != meeting {
        let show = |v: &Option<Value>| v.as_ref().map_or("none".to_string(), Value::to_string);
        diffs.push(diff(
            None,
            DifferenceKind::MeetingEdited,
            show(&meeting),
            show(&table),
        ));
    }
    Ok(diffs)
}

/// A logged sheet with its rows read back through today's row type, so that a field added since
/// it was logged (it reads as its default, as the table's copy does) is not taken for an edit.
/// Rows that do not parse are left as logged, and then differ.
fn with_current_rows(mut logged: Value) -> Value {
    let parsed =
        serde_json::from_value::<Vec<crate::record::RowReading>>(logged["rows"].clone()).ok();
    if let Some(rows) = parsed.and_then(|r| serde_json::to_value(r).ok()) {
        logged["rows"] = rows;
    }
    logged
}

/// The proposals table as the log says it should be: every `proposal` event replayed in order,
/// with the decisions that replaced an open proposal (a `review` event not confirming one).
#[derive(Default)]
struct ProposalReplay {
    /// Proposal id → {sheet, decision, proposer, state, closed_by}, as the table shows a row.
    rows: BTreeMap<i64, Value>,
    /// The open proposal of each sheet that has one.
    open: BTreeMap<i64, i64>,
}

impl ProposalReplay {
    fn close(&mut self, id: i64, state: &str, by: &Value) {
        if let Some(row) = self.rows.get_mut(&id) {
            if let Some(sheet) = row["sheet"].as_i64() {
                self.open.remove(&sheet);
            }
            row["state"] = state.into();
            row["closed_by"] = by.clone();
        }
    }

    fn event(&mut self, b: &Value) {
        let (Some(id), Some(sheet)) = (b["proposal"].as_i64(), b["sheet"].as_i64()) else {
            return;
        };
        match b["action"].as_str() {
            Some("propose") => {
                if let Some(&old) = self.open.get(&sheet) {
                    self.close(old, "replaced", &b["by"]);
                }
                self.rows.insert(
                    id,
                    serde_json::json!({
                        "sheet": sheet, "decision": b["decision"], "proposer": b["by"],
                        "state": "open", "closed_by": null,
                    }),
                );
                self.open.insert(sheet, id);
            }
            Some("discard") => self.close(id, "discarded", &b["by"]),
            Some("confirm") => self.close(id, "confirmed", &b["by"]),
            _ => {}
        }
    }

    /// A decision recorded otherwise than by confirming a proposal replaces the sheet's open one.
    fn decided(&mut self, review: &Value) {
        if !review["decision"]["confirmed_by"].is_null() {
            return;
        }
        if let Some(&id) = review["sheet"].as_i64().and_then(|s| self.open.get(&s)) {
            self.close(id, "replaced", &review["reviewer"]);
        }
    }
}
