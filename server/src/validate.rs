//! Input validation shared by REST and WebSocket handlers. Each function returns the cleaned
//! value or a `VALIDATION_FAILED` error that says what is wrong.

use crate::error::AppError;

/// A username: 3–32 of `a-z 0-9 _ - .`, lowercased.
pub fn username(raw: &str) -> Result<String, AppError> {
    let name = raw.trim().to_lowercase();
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !(3..=32).contains(&name.chars().count()) || !ok_chars {
        return Err(AppError::validation(
            "username must be 3-32 characters: letters, digits, '_', '-' or '.'",
        ));
    }
    Ok(name)
}

/// A password: 8–128 characters.
pub fn password(raw: &str) -> Result<(), AppError> {
    if !(8..=128).contains(&raw.chars().count()) {
        return Err(AppError::validation("password must be 8-128 characters"));
    }
    Ok(())
}

/// A single-line label (display name, group title): trimmed, 1–`max` characters, no control
/// characters.
pub fn label(what: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(AppError::validation(format!(
            "{what} must be 1-{max} characters on one line"
        )));
    }
    Ok(text.to_owned())
}

/// An email address: trimmed and lowercased, at most 254 characters, one `@` with something
/// on each side and a dot in the domain, no spaces or control characters.
pub fn email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    let well_formed = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if !well_formed {
        return Err(AppError::validation(
            "email must look like name@example.com (at most 254 characters)",
        ));
    }
    Ok(email)
}

/// A platform label (`whatsapp`, `telegram`…): 1–32 of `a-z 0-9 _ -`, lowercased.
pub fn platform(raw: &str) -> Result<String, AppError> {
    let name = raw.trim().to_lowercase();
    let ok = (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if !ok {
        return Err(AppError::validation(
            "platform must be 1-32 characters: letters, digits, '_' or '-'",
        ));
    }
    Ok(name)
}

/// Optional free text (a description): trimmed, at most `max` characters; blank is none.
pub fn optional_text(
    what: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, AppError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(AppError::validation(format!(
            "{what} must be at most {max} characters"
        )));
    }
    Ok(Some(text.to_owned()))
}

/// A message body: not blank, at most `max` characters.
pub fn body(raw: &str, max: usize) -> Result<(), AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::validation("message body is empty"));
    }
    let len = raw.chars().count();
    if len > max {
        return Err(AppError::validation(format!(
            "message body has {len} characters; the limit is {max}"
        )));
    }
    Ok(())
}

/// A client temp id: 1–64 bytes.
pub fn temp_id(raw: &str) -> Result<(), AppError> {
    if raw.is_empty() || raw.len() > protocol::MAX_TEMP_ID_LEN {
        return Err(AppError::validation(format!(
            "temp_id must be 1-{} bytes",
            protocol::MAX_TEMP_ID_LEN
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_platforms_are_normalised_and_checked() {
        assert_eq!(email(" Ann@Example.COM ").unwrap(), "ann@example.com");
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "a b@x.io",
            "a@b@c.io",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        assert_eq!(platform("WhatsApp").unwrap(), "whatsapp");
        assert!(platform("").is_err());
        assert!(platform("what's app").is_err());
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(username("  Alice_1 ").unwrap(), "alice_1");
        assert!(username("ab").is_err());
        assert!(username("has space").is_err());
        assert!(username(&"x".repeat(33)).is_err());
    }

    #[test]
    fn bodies_must_have_content_within_the_limit() {
        assert!(body("hi", 10).is_ok());
        assert!(body("   ", 10).is_err());
        assert!(body(&"é".repeat(11), 10).is_err());
        assert!(body(&"é".repeat(10), 10).is_ok());
    }

    #[test]
    fn labels_are_single_line() {
        assert_eq!(label("title", " Team ", 64).unwrap(), "Team");
        assert!(label("title", "a\nb", 64).is_err());
        assert!(label("title", "", 64).is_err());
    }
}
