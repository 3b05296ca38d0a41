//! Letters that print alike: the look-alike Cyrillic and Greek letters, right-to-left text, and
//! how a text prints for comparing two of them.

use super::*;

/// How a text prints, for comparing two texts: NFC, spaces collapsed, look-alike letters as
/// their Latin twin, lower case.
pub fn skeleton(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(|w| w.nfc().collect()).collect();
    words
        .join(" ")
        .chars()
        .map(|c| latin_twin(c).unwrap_or(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The Latin letter a Cyrillic or Greek letter is drawn like, if it is drawn like one.
pub(super) fn latin_twin(c: char) -> Option<char> {
    const PAIRS: &[(char, char)] = &[
        // Cyrillic.
        ('А', 'A'),
        ('В', 'B'),
        ('Е', 'E'),
        ('К', 'K'),
        ('М', 'M'),
        ('Н', 'H'),
        ('О', 'O'),
        ('Р', 'P'),
        ('С', 'C'),
        ('Т', 'T'),
        ('Х', 'X'),
        ('У', 'Y'),
        ('І', 'I'),
        ('Ј', 'J'),
        ('Ѕ', 'S'),
        ('а', 'a'),
        ('е', 'e'),
        ('о', 'o'),
        ('р', 'p'),
        ('с', 'c'),
        ('у', 'y'),
        ('х', 'x'),
        ('і', 'i'),
        ('ј', 'j'),
        ('ѕ', 's'),
        ('һ', 'h'),
        ('ԁ', 'd'),
        ('ԛ', 'q'),
        ('ԝ', 'w'),
        // Greek.
        ('Α', 'A'),
        ('Β', 'B'),
        ('Ε', 'E'),
        ('Ζ', 'Z'),
        ('Η', 'H'),
        ('Ι', 'I'),
        ('Κ', 'K'),
        ('Μ', 'M'),
        ('Ν', 'N'),
        ('Ο', 'O'),
        ('Ρ', 'P'),
        ('Τ', 'T'),
        ('Υ', 'Y'),
        ('Χ', 'X'),
        ('ο', 'o'),
        ('ν', 'v'),
        ('ι', 'i'),
        ('κ', 'k'),
        ('ρ', 'p'),
        ('υ', 'u'),
    ];
    PAIRS.iter().find(|(from, _)| *from == c).map(|&(_, to)| to)
}

/// A letter of the Latin script (Vietnamese letters included).
pub(super) fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (c.is_alphabetic() && matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF))
}

/// A Cyrillic or Greek letter that a reader would take for a Latin one.
pub(super) fn is_lookalike(c: char) -> bool {
    latin_twin(c).is_some()
}

/// A character of a right-to-left script, or a control that turns text right to left.
pub(super) fn is_right_to_left(c: char) -> bool {
    use unicode_bidi::BidiClass::{AL, R, RLE, RLI, RLO};
    matches!(unicode_bidi::bidi_class(c), R | AL | RLE | RLO | RLI) || c == '\u{200F}'
}
