//! The committee members who may sign in to `kiemphieu serve`: added with a passphrase, which is
//! kept only as an Argon2id hash in the vote's database.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use unicode_normalization::UnicodeNormalization;

use super::{ApiError, Vote};

/// The shortest passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
const MAX_NAME_CHARS: usize = 80;

/// A member's name as stored and compared: NFC (a name typed with composed or decomposed
/// accents is the same name), outer spaces trimmed; refused when empty, too long or holding
/// control characters.
pub fn member_name(text: &str) -> Result<String, ApiError> {
    let name: String = text.trim().nfc().collect();
    if name.is_empty() {
        return Err(ApiError::refused(
            "a member needs a name",
            "give it with --name \"Họ và tên\"",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::Refused {
            message: format!("the name is longer than {MAX_NAME_CHARS} characters"),
            hint: None,
        });
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::Refused {
            message: "the name holds a control character (a tab, a line break)".into(),
            hint: None,
        });
    }
    Ok(name)
}

/// Adds a committee member with their passphrase (hashed with Argon2id, a fresh salt); the
/// change is logged as a `committee` event. Returns the name as stored.
pub fn add_member(vote: &mut Vote, name: &str, passphrase: &str) -> Result<String, ApiError> {
    let name = member_name(name)?;
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(ApiError::refused(
            format!("the passphrase is shorter than {MIN_PASSPHRASE_CHARS} characters"),
            "choose a longer one: a few words are easier to type than symbols",
        ));
    }
    let salt = fresh_salt()?;
    let phc = Argon2::default()
        .hash_password(passphrase.as_bytes(), &salt)
        .map_err(|e| ApiError::Refused {
            message: format!("cannot hash the passphrase: {e}"),
            hint: None,
        })?
        .to_string();
    if !vote.store.add_member(&name, &phc)? {
        return Err(ApiError::refused(
            format!("{name} is already a member of this vote's committee"),
            "sign in with that name, or add the member under another name",
        ));
    }
    Ok(name)
}

/// Whether `passphrase` is that member's; `Some(name as stored)` when it is. An unknown name
/// takes as long as a wrong passphrase, so that timing does not tell who is a member.
pub fn check_member(vote: &Vote, name: &str, passphrase: &str) -> Result<Option<String>, ApiError> {
    let Ok(name) = member_name(name) else {
        return Ok(None);
    };
    let stored = vote.store.member_hash(&name)?;
    let phc = stored.as_deref().unwrap_or_else(|| decoy_hash());
    let ok = PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(passphrase.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    Ok((ok && stored.is_some()).then_some(name))
}

/// Every member's name, in the order they were added.
pub fn members(vote: &Vote) -> Result<Vec<String>, ApiError> {
    Ok(vote.store.members()?.into_iter().map(|m| m.name).collect())
}

/// A hash of a passphrase nobody has (made once, with the same parameters as a member's), checked
/// for unknown names.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let Ok(salt) = fresh_salt() else {
            return String::new();
        };
        Argon2::default()
            .hash_password(salt.as_str().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// A random salt from the operating system.
fn fresh_salt() -> Result<SaltString, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Refused {
        message: format!("no randomness from the operating system: {e}"),
        hint: None,
    })?;
    SaltString::encode_b64(&bytes).map_err(|e| ApiError::Refused {
        message: format!("cannot make a salt: {e}"),
        hint: None,
    })
}
