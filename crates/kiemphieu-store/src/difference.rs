//! One way the record disagrees with itself: what `audit` reports, whether found by re-reading
//! the images ([`crate::audit`]) or by replaying the event log against the tables
//! ([`crate::ledger`]). Its own module so that neither of the two imports the other.

use serde::Serialize;

/// What differs. Serialized as the snake_case name auditors' scripts match on (`"what"` in
/// `audit --json`); the names never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    // A sheet re-read from its image.
    Outcome,
    Reason,
    Serial,
    Orientation,
    Verdict,
    Choice,
    Rows,
    // The archive, the chain, the figures.
    ImageMissing,
    ImageAltered,
    ExtraImage,
    EventChain,
    ChainHead,
    Tally,
    // The tables against the event log.
    RecordEdited,
    RecordDeleted,
    DecisionEdited,
    VoidEdited,
    SerialsEdited,
    MeetingEdited,
    FormEdited,
    ProposalEdited,
    MemberEdited,
}

impl DifferenceKind {
    /// The name, as serialized.
    pub fn as_str(self) -> &'static str {
        use DifferenceKind::*;
        match self {
            Outcome => "outcome",
            Reason => "reason",
            Serial => "serial",
            Orientation => "orientation",
            Verdict => "verdict",
            Choice => "choice",
            Rows => "rows",
            ImageMissing => "image_missing",
            ImageAltered => "image_altered",
            ExtraImage => "extra_image",
            EventChain => "event_chain",
            ChainHead => "chain_head",
            Tally => "tally",
            RecordEdited => "record_edited",
            RecordDeleted => "record_deleted",
            DecisionEdited => "decision_edited",
            VoidEdited => "void_edited",
            SerialsEdited => "serials_edited",
            MeetingEdited => "meeting_edited",
            FormEdited => "form_edited",
            ProposalEdited => "proposal_edited",
            MemberEdited => "member_edited",
        }
    }
}

impl std::fmt::Display for DifferenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One way the record and the re-reading (or the log) disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The sheet's id in the record (None for differences not tied to one sheet).
    pub sheet: Option<i64>,
    pub file: Option<String>,
    pub page: Option<u32>,
    /// Subject number, for a row difference.
    pub row: Option<usize>,
    pub what: DifferenceKind,
    pub recorded: String,
    pub now: String,
    /// The scores behind the re-reading of a row, when a row differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<[f64; 3]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_their_names() {
        for k in [
            DifferenceKind::ImageMissing,
            DifferenceKind::ChainHead,
            DifferenceKind::SerialsEdited,
            DifferenceKind::Rows,
        ] {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.as_str().into())
            );
        }
    }
}
