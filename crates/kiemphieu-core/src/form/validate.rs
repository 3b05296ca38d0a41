//! Checking a form completely before a vote is made from it: every field named in its error.

use super::letters::{is_latin_letter, is_lookalike, is_right_to_left};
use super::*;

impl Form {
    /// Checks everything that `serde` cannot: empty text, duplicates, what the font cannot draw,
    /// what does not fit on the page.
    pub fn validate(&self, path: &Path) -> Result<(), FormError> {
        let bad = |field: &str, problem: String| FormError::Field {
            path: path.to_owned(),
            field: field.to_owned(),
            problem,
        };
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 40
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !self.id.starts_with('-');
        if !id_ok {
            return Err(bad(
                "id",
                format!(
                    "must be 1 to 40 lowercase letters, digits or '-' (found {:?})",
                    self.id
                ),
            ));
        }
        if !valid_date(&self.date) {
            return Err(bad(
                "date",
                format!("must be a date YYYY-MM-DD (found {:?})", self.date),
            ));
        }
        if self.organization.is_empty() {
            return Err(bad(
                "organization",
                "is empty: give at least one line".into(),
            ));
        }
        if self.levels.len() != 3 {
            return Err(bad(
                "levels",
                format!("must have exactly 3 levels (found {})", self.levels.len()),
            ));
        }
        if self.subjects.is_empty() {
            return Err(bad(
                "subjects",
                "is empty: a vote needs at least one subject".into(),
            ));
        }
        let capacity = grid::max_subjects();
        if self.subjects.len() > capacity {
            return Err(bad(
                "subjects",
                format!(
                    "has {} subjects but one page holds at most {capacity}",
                    self.subjects.len()
                ),
            ));
        }
        for (i, a) in self.subjects.iter().enumerate() {
            for (j, b) in self.subjects.iter().enumerate().skip(i + 1) {
                // Texts that print alike are the same subject: NFC and NFD, runs of spaces,
                // Cyrillic or Greek letters that look Latin.
                if skeleton(&a.name) == skeleton(&b.name)
                    && skeleton(&a.position) == skeleton(&b.position)
                {
                    return Err(bad(
                        &format!("subjects[{j}]"),
                        format!("repeats subjects[{i}] ({} — {})", a.name, a.position),
                    ));
                }
            }
        }
        let m = self.marks;
        if let Some(n) = m.profile
            && ReadingProfile::from_number(n).is_none()
        {
            return Err(bad(
                "marks.profile",
                format!(
                    "names reading profile {n}, which this program does not have (it reads 1 to {})",
                    ReadingProfile::CURRENT.number()
                ),
            ));
        }
        if !(0.0 < m.marginal && m.marginal < m.definite && m.definite < 1.0) {
            return Err(bad(
                "marks",
                format!(
                    "needs 0 < marginal < definite < 1 (found marginal {}, definite {})",
                    m.marginal, m.definite
                ),
            ));
        }
        let t = self.thresholds;
        // In u128: a u64 numerator times a u64 denominator cannot overflow it.
        if t.consider_relief_above.num as u128 * t.relieve_at_least.den as u128
            > t.relieve_at_least.num as u128 * t.consider_relief_above.den as u128
        {
            return Err(bad(
                "thresholds",
                "consider_relief_above must not exceed relieve_at_least".into(),
            ));
        }
        let font = BallotFont::regular();
        for (field, text) in self.texts() {
            if text.trim().is_empty() {
                return Err(bad(&field, "is empty".into()));
            }
            if let Some(c) = text.chars().find(|c| c.is_control()) {
                // A tab or a line break has no glyph: the ballot would show a name that is not
                // the one in the tally.
                return Err(bad(
                    &field,
                    format!(
                        "has the control character U+{:04X}; write each text on one line",
                        c as u32
                    ),
                ));
            }
            if let Some(c) = text.chars().find(|&c| is_right_to_left(c)) {
                // Printed left to right, a right-to-left text would read reversed.
                return Err(bad(
                    &field,
                    format!(
                        "has the right-to-left character {c:?} (U+{:04X}); a ballot prints left to right",
                        c as u32
                    ),
                ));
            }
            if let Some(c) = text.chars().find(|&c| is_lookalike(c))
                && text.chars().any(is_latin_letter)
            {
                return Err(bad(
                    &field,
                    format!(
                        "has {c:?} (U+{:04X}), a Cyrillic or Greek letter that looks like a Latin one; type it with a Vietnamese keyboard",
                        c as u32
                    ),
                ));
            }
            if let Some(c) = font.first_missing_char(&text) {
                return Err(bad(
                    &field,
                    format!(
                        "has {c:?} (U+{:04X}), which the ballot font cannot draw",
                        c as u32
                    ),
                ));
            }
        }
        for (field, value) in [("start", &self.start), ("end", &self.end)] {
            if let Some(v) = value
                && parse_clock(v).is_none()
            {
                return Err(bad(field, format!("must be a time HH:MM (found {v:?})")));
            }
        }
        if let (Some(a), Some(b)) = (&self.start, &self.end)
            && parse_clock(a) > parse_clock(b)
        {
            return Err(bad("end", format!("({b}) is before start ({a})")));
        }
        if let Some(o) = &self.utc_offset
            && parse_utc_offset(o).is_none()
        {
            return Err(bad(
                "utc_offset",
                format!("must be a fixed offset like \"+07:00\" (found {o:?})"),
            ));
        }
        self.check_fits()
            .map_err(|(field, problem)| bad(&field, problem))
    }

    /// Checks that every text fits where the layout puts it, by the grid's sizes;
    /// `Err((field, problem))`.
    fn check_fits(&self) -> Result<(), (String, String)> {
        use grid::*;
        let regular = BallotFont::regular();
        let bold = BallotFont::bold();
        let too_wide = |field: String, w: f64, max: f64, pt: f64| {
            Err((
                field,
                format!("is too long: {w:.1} mm wide at {pt} pt, at most {max:.1} mm fits"),
            ))
        };
        let name_max = COLS_MM[1] - 2.0 * CELL_PAD_MM;
        let pos_max = COLS_MM[2] - 2.0 * CELL_PAD_MM;
        let pos_lines_max = position_max_lines(row_height(self.subjects.len()));
        for (i, s) in self.subjects.iter().enumerate() {
            let w = regular.width_mm(&s.name, NAME_PT);
            if w > name_max {
                return too_wide(format!("subjects[{i}].name"), w, name_max, NAME_PT);
            }
            match regular.wrap(&s.position, POSITION_PT, pos_max) {
                Some(lines) if lines.len() <= pos_lines_max => {}
                _ => {
                    return Err((
                        format!("subjects[{i}].position"),
                        format!(
                            "is too long: it must fit in {pos_lines_max} line(s) of {pos_max:.1} mm at {POSITION_PT} pt"
                        ),
                    ));
                }
            }
        }
        for (i, l) in self.levels.iter().enumerate() {
            match bold.wrap(l, HEADER_PT, COLS_MM[3 + i] - CELL_PAD_MM) {
                Some(lines) if lines.len() <= LEVEL_MAX_LINES => {}
                _ => {
                    return Err((
                        format!("levels[{i}]"),
                        format!(
                            "is too long for its column ({} mm, two lines)",
                            COLS_MM[3 + i]
                        ),
                    ));
                }
            }
        }
        for (i, l) in self.organization.iter().enumerate() {
            let w = bold.width_mm(l, ORGANIZATION_PT);
            if w > ORGANIZATION_MAX_MM {
                return too_wide(
                    format!("organization[{i}]"),
                    w,
                    ORGANIZATION_MAX_MM,
                    ORGANIZATION_PT,
                );
            }
        }
        if self.organization.len() > ORGANIZATION_MAX_LINES {
            return Err(("organization".into(), "has more than 4 lines".into()));
        }
        if self.subtitle.len() > SUBTITLE_MAX_LINES {
            return Err(("subtitle".into(), "has more than 2 lines".into()));
        }
        for (i, l) in self.subtitle.iter().enumerate() {
            let w = regular.width_mm(l, SUBTITLE_PT);
            if w > TITLE_MAX_MM {
                return too_wide(format!("subtitle[{i}]"), w, TITLE_MAX_MM, SUBTITLE_PT);
            }
        }
        let w = bold.width_mm(&self.title, TITLE_PT);
        if w > TITLE_MAX_MM {
            return too_wide("title".into(), w, TITLE_MAX_MM, TITLE_PT);
        }
        Ok(())
    }

    /// Every printed text with the name of its field.
    fn texts(&self) -> Vec<(String, String)> {
        let mut out = vec![("title".to_string(), self.title.clone())];
        out.push(("place".into(), self.place.clone()));
        for (i, l) in self.organization.iter().enumerate() {
            out.push((format!("organization[{i}]"), l.clone()));
        }
        for (i, l) in self.subtitle.iter().enumerate() {
            out.push((format!("subtitle[{i}]"), l.clone()));
        }
        for (i, l) in self.levels.iter().enumerate() {
            out.push((format!("levels[{i}]"), l.clone()));
        }
        for (i, s) in self.subjects.iter().enumerate() {
            out.push((format!("subjects[{i}].name"), s.name.clone()));
            out.push((format!("subjects[{i}].position"), s.position.clone()));
        }
        if let Some(t) = &self.stamp.text {
            out.push(("stamp.text".into(), t.clone()));
        }
        if let Some(t) = &self.document_number {
            out.push(("document_number".into(), t.clone()));
        }
        if let Some(t) = &self.room {
            out.push(("room".into(), t.clone()));
        }
        out
    }
}

fn valid_date(s: &str) -> bool {
    parse_date(s).is_some()
}
