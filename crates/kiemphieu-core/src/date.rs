//! Dates and times, by hand (no time zone database: a vote's zone is a fixed offset), in one
//! place: the store's UTC timestamps, the form's dates and clock times, the minutes' local time
//! and the plan's calendar arithmetic.

/// Seconds since 1970-01-01T00:00:00Z.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A moment as the store writes it: `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn utc_text(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn now_utc() -> String {
    utc_text(unix_now())
}

/// A store timestamp (`YYYY-MM-DDTHH:MM:SSZ`, seconds optional) as minutes since the epoch.
pub fn parse_utc_minutes(utc: &str) -> Option<i64> {
    let b = utc.as_bytes();
    if b.len() < 17 || b[4] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let (y, mo, d) = parse_date(utc.get(0..10)?)?;
    let minute = parse_clock(utc.get(11..16)?)? as i64;
    Some(days_from_civil(y as i64, mo, d) * 1440 + minute)
}

/// Minutes since the epoch, shifted by `offset_minutes`, as the minutes print a time:
/// `"10/07/2023 18:42 (UTC+07:00)"`.
pub fn local_text(utc_minutes: i64, offset_minutes: i32) -> String {
    let total = utc_minutes + offset_minutes as i64;
    let (days, m) = (total.div_euclid(1440), total.rem_euclid(1440));
    let (y, mo, d) = civil_from_days(days);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{d:02}/{mo:02}/{y} {:02}:{:02} (UTC{sign}{:02}:{:02})",
        m / 60,
        m % 60,
        off / 60,
        off % 60
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A civil date to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `HH:MM` as minutes after midnight.
pub fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `+07:00`, `-03:30`, `+00:00` as minutes east of UTC.
pub fn parse_utc_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let minutes = parse_clock(rest)? as i32;
    (minutes <= 14 * 60).then_some(sign * minutes)
}

/// Parses `YYYY-MM-DD` into its parts, checking the day exists.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i32 = s[0..4].parse().ok()?;
    let m: u32 = s[5..7].parse().ok()?;
    let d: u32 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_text_round_trips_through_minutes() {
        let secs = 1_688_989_320; // 2023-07-10T11:42:00Z
        assert_eq!(utc_text(secs), "2023-07-10T11:42:00Z");
        let m = parse_utc_minutes(&utc_text(secs)).unwrap();
        assert_eq!(m * 60, secs);
        assert_eq!(local_text(m, 7 * 60), "10/07/2023 18:42 (UTC+07:00)");
        assert_eq!(local_text(m, -(12 * 60)), "09/07/2023 23:42 (UTC-12:00)");
        assert_eq!(parse_utc_minutes("not a time"), None);
    }

    #[test]
    fn civil_days_invert() {
        for z in [-800_000, -1, 0, 1, 19_000, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
    }
}
