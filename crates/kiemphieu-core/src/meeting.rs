//! The `meeting` command's rules: what a re-run changes and what it keeps.
//!
//! The meeting facts (how many were convened, how many came) and the counting committee are
//! recorded by the store (`review::record_meeting`). [`amend`] merges what one run of `meeting`
//! gives into what is recorded, so that correcting the head count does not erase the committee.

use serde::{Deserialize, Serialize};

/// The role of the committee's head, as the minutes print it.
pub const CHAIR: &str = "Trưởng ban";
/// The role of every other committee member.
pub const MEMBER: &str = "Thành viên";
/// No meeting convenes more people than this; a larger figure is a typing error (and would not
/// survive the database's signed 64-bit integers).
pub const MAX_PEOPLE: u64 = 1_000_000;

/// The meeting's facts and the counting committee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub convened: u64,
    pub present: u64,
    /// (name, role), e.g. ("Nguyễn Văn X", "Trưởng ban").
    pub committee: Vec<(String, String)>,
}

impl Meeting {
    /// The quorum rule: at least two thirds of those convened are present.
    pub fn quorum_met(&self) -> bool {
        quorum_met(self.convened, self.present)
    }
}

/// The quorum rule, the one place it is written: at least two thirds of those convened are
/// present. In u128, so that no figure a u64 holds can overflow it.
pub fn quorum_met(convened: u64, present: u64) -> bool {
    present as u128 * 3 >= convened as u128 * 2
}

/// What one run of `meeting` gives; `None` or empty keeps what is recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingChange {
    pub convened: Option<u64>,
    pub present: Option<u64>,
    pub chair: Option<String>,
    /// Replaces every member when not empty.
    pub members: Vec<String>,
}

/// The meeting as it stands after `change`. Refuses empty names, figures out of range and a
/// first meeting without its figures.
pub fn amend(recorded: Option<&Meeting>, change: &MeetingChange) -> Result<Meeting, String> {
    let convened = change
        .convened
        .or(recorded.map(|m| m.convened))
        .ok_or("the meeting is not recorded yet: give --convened and --present")?;
    let present = change
        .present
        .or(recorded.map(|m| m.present))
        .ok_or("the meeting is not recorded yet: give --convened and --present")?;
    for (what, n) in [("--convened", convened), ("--present", present)] {
        if n > MAX_PEOPLE {
            return Err(format!(
                "{what} {n} is more people than any meeting holds (at most {MAX_PEOPLE})"
            ));
        }
    }
    let name = |opt: &str, text: &str| -> Result<String, String> {
        let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() {
            Err(format!("{opt} needs a name (found {text:?})"))
        } else if let Some(c) = t.chars().find(|c| c.is_control()) {
            Err(format!(
                "{opt} {text:?} has the control character U+{:04X}",
                c as u32
            ))
        } else {
            Ok(t)
        }
    };
    let old = recorded.map(|m| m.committee.as_slice()).unwrap_or(&[]);
    let chair = match &change.chair {
        Some(c) => Some(name("--chair", c)?),
        None => old
            .iter()
            .find(|(_, role)| role == CHAIR)
            .map(|(n, _)| n.clone()),
    };
    let members: Vec<String> = if change.members.is_empty() {
        old.iter()
            .filter(|(_, role)| role != CHAIR)
            .map(|(n, _)| n.clone())
            .collect()
    } else {
        change
            .members
            .iter()
            .map(|m| name("--member", m))
            .collect::<Result<_, _>>()?
    };
    let mut committee: Vec<(String, String)> =
        chair.into_iter().map(|c| (c, CHAIR.to_string())).collect();
    committee.extend(members.into_iter().map(|m| (m, MEMBER.to_string())));
    Ok(Meeting {
        convened,
        present,
        committee,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded() -> Meeting {
        Meeting {
            convened: 35,
            present: 31,
            committee: vec![
                ("Phạm Văn X".into(), CHAIR.into()),
                ("Đỗ Thị Y".into(), MEMBER.into()),
            ],
        }
    }

    #[test]
    fn rerunning_meeting_without_chair_keeps_the_committee() {
        let change = MeetingChange {
            present: Some(32),
            ..Default::default()
        };
        let m = amend(Some(&recorded()), &change).unwrap();
        assert_eq!(m.present, 32);
        assert_eq!(m.convened, 35);
        assert_eq!(m.committee, recorded().committee);
    }

    #[test]
    fn a_new_chair_keeps_the_members() {
        let change = MeetingChange {
            chair: Some("  Lê  Văn Z ".into()),
            ..Default::default()
        };
        let m = amend(Some(&recorded()), &change).unwrap();
        assert_eq!(
            m.committee,
            vec![
                ("Lê Văn Z".to_string(), CHAIR.to_string()),
                ("Đỗ Thị Y".to_string(), MEMBER.to_string())
            ]
        );
    }

    #[test]
    fn an_empty_chair_is_refused() {
        for chair in ["", "   "] {
            let change = MeetingChange {
                chair: Some(chair.into()),
                ..Default::default()
            };
            let err = amend(Some(&recorded()), &change).unwrap_err();
            assert!(err.contains("--chair needs a name"), "{err}");
        }
        let change = MeetingChange {
            members: vec!["Đỗ Thị Y".into(), "".into()],
            ..Default::default()
        };
        assert!(amend(Some(&recorded()), &change).is_err());
    }

    #[test]
    fn a_first_meeting_needs_its_figures() {
        let change = MeetingChange {
            chair: Some("Phạm Văn X".into()),
            ..Default::default()
        };
        let err = amend(None, &change).unwrap_err();
        assert!(err.contains("--convened"), "{err}");
    }

    #[test]
    fn convened_u64_max_is_refused() {
        let change = MeetingChange {
            convened: Some(u64::MAX),
            present: Some(1),
            ..Default::default()
        };
        let err = amend(None, &change).unwrap_err();
        assert!(err.contains("18446744073709551615"), "{err}");
    }
}
