//! The registry as it stood when each sheet was recorded, for the audit's re-judging.
//!
//! While a vote is counted the registry changes: scans claim serials, decisions claim typed
//! serials and give serials back (a sheet withdrawn), serials are voided. Re-judging a sheet
//! against today's registry would call a sheet counted before its serial was voided "voided",
//! or a sheet scanned after another was withdrawn a "duplicate". The event log orders every
//! change among the scans; [`RegistryReplay`] applies them in that order, so a faithful record
//! re-judges to exactly itself.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::record::SheetRecord;
use crate::scan::Registry;
use crate::store::{Event, Holder, SerialStatus, StoreError, holds_serial};
use crate::vote::Vote;

/// A change to the registry outside a scan, with the first sheet recorded after it.
#[derive(Debug, Clone, PartialEq)]
struct Change {
    /// The change took effect before this sheet was recorded (`i64::MAX`: after every sheet).
    before_sheet: i64,
    what: What,
}

#[derive(Debug, Clone, PartialEq)]
enum What {
    /// A decision gave a serial back.
    Release(String),
    /// A decision took a serial for the sheet at this file and page.
    Claim(String, String, u32),
    Void(String),
}

/// Replays the registry in record order; see the module's documentation.
pub struct RegistryReplay<'a> {
    vote: &'a Vote,
    changes: std::iter::Peekable<std::vec::IntoIter<Change>>,
    claimed: HashMap<String, Holder>,
    voided: HashSet<String>,
}

impl<'a> RegistryReplay<'a> {
    /// The registry before the first sheet, with every later change read from the event log.
    pub fn new(vote: &'a Vote) -> Result<RegistryReplay<'a>, StoreError> {
        let sheets: BTreeMap<i64, (String, u32)> = vote
            .store
            .sheets()?
            .into_iter()
            .map(|s| (s.id, (s.record.file, s.record.page)))
            .collect();
        let mut changes = Vec::new();
        let mut waiting: Vec<What> = Vec::new();
        for Event { kind, body, .. } in vote.store.events()? {
            let b: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            match kind.as_str() {
                "scan" => {
                    if let Some(id) = b["sheet"].as_i64() {
                        changes.extend(waiting.drain(..).map(|what| Change {
                            before_sheet: id,
                            what,
                        }));
                    }
                }
                "review" => {
                    let d = &b["decision"];
                    if let Some(s) = d["released"].as_str() {
                        waiting.push(What::Release(s.to_string()));
                    }
                    let at = b["sheet"].as_i64().and_then(|id| sheets.get(&id));
                    if let (Some(s), Some((file, page))) = (d["claim"].as_str(), at) {
                        waiting.push(What::Claim(s.to_string(), file.clone(), *page));
                    }
                }
                "void" => {
                    for s in b["serials"].as_array().into_iter().flatten() {
                        waiting.push(What::Void(s.as_str().unwrap_or_default().to_string()));
                    }
                }
                _ => {}
            }
        }
        changes.extend(waiting.into_iter().map(|what| Change {
            before_sheet: i64::MAX,
            what,
        }));
        Ok(RegistryReplay {
            vote,
            changes: changes.into_iter().peekable(),
            claimed: HashMap::new(),
            voided: HashSet::new(),
        })
    }

    /// Brings the registry to where it stood when sheet `sheet_id` was recorded. Sheets are
    /// visited in record order.
    pub fn advance_to(&mut self, sheet_id: i64) {
        while let Some(c) = self.changes.next_if(|c| c.before_sheet <= sheet_id) {
            match c.what {
                What::Release(s) => {
                    self.claimed.remove(&s);
                }
                What::Claim(s, file, page) => {
                    self.claimed.insert(s, Holder { file, page });
                }
                What::Void(s) => {
                    self.voided.insert(s);
                }
            }
        }
    }

    /// Takes the claim a sheet just re-judged takes, as recording it did.
    pub fn judged(&mut self, rec: &SheetRecord) {
        if holds_serial(rec)
            && let Some(serial) = &rec.serial
        {
            self.claimed
                .entry(serial.clone())
                .or_insert_with(|| Holder {
                    file: rec.file.clone(),
                    page: rec.page,
                });
        }
    }
}

impl Registry for RegistryReplay<'_> {
    fn serial_status(&self, serial: &str) -> Result<SerialStatus, StoreError> {
        Ok(match self.vote.store.serial_status(serial)? {
            SerialStatus::Unknown => SerialStatus::Unknown,
            _ if self.voided.contains(serial) => SerialStatus::Voided,
            _ => SerialStatus::Issued,
        })
    }
    fn sheet_claiming_serial(&self, serial: &str) -> Result<Option<Holder>, StoreError> {
        Ok(self.claimed.get(serial).cloned())
    }
}
