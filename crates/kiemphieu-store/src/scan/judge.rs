//! Judging a page: its reading and the registry of serials in, the sheet's outcome out.

use super::*;

/// What judging a sheet asks of the registry: the store during a scan, a replay during an audit.
pub trait Registry {
    fn serial_status(&self, serial: &str) -> Result<SerialStatus, StoreError>;
    /// The file and page of a sheet already holding this serial (counted or in review).
    fn sheet_claiming_serial(&self, serial: &str) -> Result<Option<Holder>, StoreError>;
}

impl Registry for crate::store::Store {
    fn serial_status(&self, serial: &str) -> Result<SerialStatus, StoreError> {
        crate::store::Store::serial_status(self, serial)
    }
    fn sheet_claiming_serial(&self, serial: &str) -> Result<Option<Holder>, StoreError> {
        crate::store::Store::sheet_claiming_serial(self, serial)
    }
}

/// Decides a page's outcome from its reading and the registry. The order of the checks is the
/// order of the questions a committee asks: is it our sheet, was it issued, was it counted
/// already, is it stamped, can every row be read without doubt.
pub fn judge(
    registry: &dyn Registry,
    vote_id: &str,
    file: &str,
    page: u32,
    sha256: &str,
    reading: &PageReading,
) -> Result<SheetRecord, StoreError> {
    let mut rec = SheetRecord {
        file: file.to_string(),
        page,
        sha256: sha256.to_string(),
        outcome: Outcome::Review,
        reason: None,
        serial: None,
        orientation: reading.registration.as_ref().ok().map(|r| r.orientation),
        rows: reading.rows.clone(),
        detail: None,
    };
    let set = |rec: &mut SheetRecord, o: Outcome, r: Reason, d: String| {
        rec.outcome = o;
        rec.reason = Some(r);
        rec.detail = Some(d);
    };
    // The serial is worth recording even from a sheet that cannot be registered.
    let parsed = reading
        .qr
        .as_ref()
        .map(|text| (text, parse_qr_payload(text)));
    if let Ok((_, Ok((_, serial)))) = &parsed {
        rec.serial = Some(serial.to_string());
    }
    if let Err(e) = &reading.registration {
        if reading.blank {
            // A back side or an empty sheet: nothing to count, nothing for a person to read.
            rec.outcome = Outcome::Blank;
            rec.detail = Some("no ballot is printed on this page".into());
            return Ok(rec);
        }
        set(
            &mut rec,
            Outcome::Review,
            Reason::RegistrationFailed,
            e.clone(),
        );
        return Ok(rec);
    }
    let (sheet_vote, serial) = match parsed {
        Err(e) => {
            set(&mut rec, Outcome::Review, Reason::QrUnreadable, e.clone());
            return Ok(rec);
        }
        Ok((text, Err(e))) => {
            set(
                &mut rec,
                Outcome::Rejected,
                Reason::NotIssued,
                format!("QR code {text:?}: {e}"),
            );
            return Ok(rec);
        }
        Ok((_, Ok(v))) => v,
    };
    if sheet_vote != vote_id {
        set(
            &mut rec,
            Outcome::Rejected,
            Reason::WrongVote,
            format!("the sheet belongs to vote {sheet_vote:?}"),
        );
        return Ok(rec);
    }
    match registry.serial_status(serial.as_str())? {
        SerialStatus::Unknown => {
            set(
                &mut rec,
                Outcome::Rejected,
                Reason::NotIssued,
                format!(
                    "serial {} was never printed for this vote",
                    serial.grouped()
                ),
            );
            return Ok(rec);
        }
        SerialStatus::Voided => {
            set(
                &mut rec,
                Outcome::Rejected,
                Reason::Voided,
                format!("serial {} was returned unused and voided", serial.grouped()),
            );
            return Ok(rec);
        }
        SerialStatus::Issued => {}
    }
    if let Some(Holder {
        file: other,
        page: other_page,
    }) = registry.sheet_claiming_serial(serial.as_str())?
    {
        set(
            &mut rec,
            Outcome::Review,
            Reason::DuplicateSerial,
            format!(
                "serial {} was already read from {other} (page {other_page})",
                serial.grouped()
            ),
        );
        return Ok(rec);
    }
    if let Some(cover) = reading.stamp_cover
        && cover < marks::STAMP_MIN_COVER
    {
        set(
            &mut rec,
            Outcome::Review,
            Reason::MissingStamp,
            format!("the stamp zone is {:.1}% inked", cover * 100.0),
        );
        return Ok(rec);
    }
    let unsure: Vec<String> = rec
        .rows
        .iter()
        .filter(|r| r.verdict == RowVerdict::Ambiguous)
        .map(|r| r.subject.to_string())
        .collect();
    if !unsure.is_empty() {
        set(
            &mut rec,
            Outcome::Review,
            Reason::AmbiguousMark,
            format!("row(s) {} too faint to call", unsure.join(", ")),
        );
        return Ok(rec);
    }
    rec.outcome = Outcome::Counted;
    Ok(rec)
}
