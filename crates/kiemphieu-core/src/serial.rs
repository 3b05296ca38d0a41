//! Ballot serials and the QR payload that carries them.
//!
//! A serial is 14 symbols drawn uniformly from the operating system's CSPRNG (31^14 ≈ 2^69) plus a
//! check symbol, in an alphabet with no 0/O, 1/I/L: a person can read it off the sheet and type it.
//! It proves that the committee printed the sheet; it is never recorded against a person.

use std::fmt;

/// Symbols people do not confuse: digits 2–9 and capitals without I, L, O.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const RANDOM_SYMBOLS: usize = 14;
/// Version tag at the start of every QR payload.
pub const PAYLOAD_TAG: &str = "KP1";

/// A ballot serial: 15 symbols of [`ALPHABET`], the last a check symbol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("a serial has 15 symbols, found {0}")]
    Length(usize),
    #[error("{0:?} is not a serial symbol (the alphabet has no 0, 1, I, L, O)")]
    Symbol(char),
    #[error("the check symbol does not match: a symbol was mistyped")]
    Check,
    #[error("the QR payload is not a kiemphieu ballot: {0}")]
    Payload(String),
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

fn index_of(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|&a| a == c)
}

/// Weighted check over the symbols' indices, mod 31 (prime): catches any one wrong symbol and any
/// swap of two neighbours.
fn check_symbol(body: &[u8]) -> u8 {
    let sum: usize = body
        .iter()
        .enumerate()
        .map(|(i, &c)| (i + 1) * index_of(c).expect("alphabet symbol"))
        .sum();
    ALPHABET[sum % 31]
}

impl Serial {
    /// Draws a new serial from the OS CSPRNG (rejection sampling keeps every symbol uniform).
    pub fn random() -> Result<Serial, SerialError> {
        let mut body = Vec::with_capacity(RANDOM_SYMBOLS);
        let mut buf = [0u8; 32];
        while body.len() < RANDOM_SYMBOLS {
            getrandom::fill(&mut buf).map_err(|e| SerialError::Random(e.to_string()))?;
            for &b in &buf {
                // 248 = 8 × 31: bytes from 248 up would favour the first symbols.
                if b < 248 && body.len() < RANDOM_SYMBOLS {
                    body.push(ALPHABET[(b % 31) as usize]);
                }
            }
        }
        let check = check_symbol(&body);
        body.push(check);
        Ok(Serial(String::from_utf8(body).expect("ascii")))
    }

    /// Parses a serial as printed or typed: case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> Result<Serial, SerialError> {
        let mut symbols = Vec::new();
        for c in text.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let u = c.to_ascii_uppercase();
            if !u.is_ascii() || index_of(u as u8).is_none() {
                return Err(SerialError::Symbol(c));
            }
            symbols.push(u as u8);
        }
        if symbols.len() != RANDOM_SYMBOLS + 1 {
            return Err(SerialError::Length(symbols.len()));
        }
        if check_symbol(&symbols[..RANDOM_SYMBOLS]) != symbols[RANDOM_SYMBOLS] {
            return Err(SerialError::Check);
        }
        Ok(Serial(String::from_utf8(symbols).expect("ascii")))
    }

    /// The 15 symbols without grouping, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As printed on the sheet: three groups of five, `ABCDE-FGHJK-MNPQR`.
    pub fn grouped(&self) -> String {
        format!("{}-{}-{}", &self.0[0..5], &self.0[5..10], &self.0[10..15])
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text in a ballot's QR code: `KP1:<VOTE-ID>:<SERIAL>`, upper case so the QR code can use its
/// compact alphanumeric mode (vote ids are lower case, so upper-casing loses nothing).
pub fn qr_payload(vote: &str, serial: &Serial) -> String {
    format!(
        "{PAYLOAD_TAG}:{}:{}",
        vote.to_ascii_uppercase(),
        serial.as_str()
    )
}

/// Reads a QR payload strictly: `(vote id in lower case, serial)`.
pub fn parse_qr_payload(text: &str) -> Result<(String, Serial), SerialError> {
    let mut parts = text.split(':');
    let (tag, vote, serial) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(t), Some(v), Some(s), None) => (t, v, s),
        _ => {
            return Err(SerialError::Payload(format!(
                "expected 3 fields in {text:?}"
            )));
        }
    };
    if tag != PAYLOAD_TAG {
        return Err(SerialError::Payload(format!("unknown version tag {tag:?}")));
    }
    let vote_ok = !vote.is_empty()
        && vote
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if !vote_ok {
        return Err(SerialError::Payload(format!("bad vote id {vote:?}")));
    }
    if serial.len() != RANDOM_SYMBOLS + 1 {
        return Err(SerialError::Payload(format!("bad serial {serial:?}")));
    }
    let serial = Serial::parse(serial)?;
    Ok((vote.to_ascii_lowercase(), serial))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn serials_are_unique_and_well_formed_over_100k_draws() {
        let mut seen = HashSet::new();
        let mut counts = [0usize; 31];
        for _ in 0..100_000 {
            let s = Serial::random().unwrap();
            assert_eq!(s.as_str().len(), 15);
            assert!(s.as_str().bytes().all(|b| ALPHABET.contains(&b)));
            assert_eq!(Serial::parse(&s.grouped()).unwrap(), s);
            for b in s.as_str()[..14].bytes() {
                counts[index_of(b).unwrap()] += 1;
            }
            assert!(seen.insert(s), "a serial repeated");
        }
        // 1.4 M symbols, 45,161 expected per symbol; a biased draw would be far off.
        let expected = 100_000.0 * 14.0 / 31.0;
        for (i, &c) in counts.iter().enumerate() {
            let dev = (c as f64 - expected).abs() / expected;
            assert!(dev < 0.03, "symbol {} drawn {c} times", ALPHABET[i] as char);
        }
    }

    #[test]
    fn confusable_symbols_are_refused() {
        for bad in ['0', 'O', '1', 'I', 'L'] {
            assert!(!ALPHABET.contains(&(bad as u8)));
            let text = format!("{bad}BCDE-FGHJK-MNPQR");
            assert_eq!(Serial::parse(&text), Err(SerialError::Symbol(bad)));
        }
    }

    #[test]
    fn check_symbol_catches_one_typo_and_a_swap() {
        let s = Serial::random().unwrap();
        let text = s.as_str().as_bytes().to_vec();
        for i in 0..14 {
            let mut typo = text.clone();
            typo[i] = if typo[i] == b'X' { b'Y' } else { b'X' };
            assert!(Serial::parse(std::str::from_utf8(&typo).unwrap()).is_err());
            if text[i] != text[i + 1] {
                let mut swap = text.clone();
                swap.swap(i, i + 1);
                assert!(Serial::parse(std::str::from_utf8(&swap).unwrap()).is_err());
            }
        }
        assert_eq!(Serial::parse(&s.grouped().to_lowercase()).unwrap(), s);
    }

    #[test]
    fn payload_round_trips_and_is_strict() {
        let s = Serial::random().unwrap();
        let p = qr_payload("tin-nhiem-2023", &s);
        assert_eq!(
            parse_qr_payload(&p).unwrap(),
            ("tin-nhiem-2023".to_string(), s.clone())
        );
        assert!(parse_qr_payload(&format!("KP2:X:{s}")).is_err());
        assert!(parse_qr_payload(&format!("KP1:X:{s}:extra")).is_err());
        assert!(parse_qr_payload("https://example.com").is_err());
        assert!(parse_qr_payload(&format!("KP1:x y:{s}")).is_err());
    }
}
