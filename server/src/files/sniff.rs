//! What a file is, read from its first bytes (never from its name), and whether the
//! configuration allows it.

/// The type of `bytes`: what their signature says; `text/plain` for valid UTF-8 text without
/// control characters; else `application/octet-stream`.
pub fn content_type(bytes: &[u8]) -> String {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type().to_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            "text/plain".to_owned()
        }
        _ => "application/octet-stream".to_owned(),
    }
}

/// Whether `content_type` is in `allowed` (each an exact type, or `image/*`: the picture types
/// the server can make thumbnails of).
pub fn allowed(content_type: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|a| {
        let a = a.trim();
        a == content_type || (a == "image/*" && super::thumbnail::is_picture(content_type))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    const ELF: &[u8] = &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";

    #[test]
    fn the_bytes_decide_not_the_name() {
        assert_eq!(content_type(PNG), "image/png");
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(content_type("hello, wörld\n".as_bytes()), "text/plain");
        assert_eq!(
            content_type(&[0, 1, 2, 3, 0xff]),
            "application/octet-stream"
        );
        assert_ne!(content_type(ELF), "image/png");
        assert_ne!(content_type(EXE), "image/png");
    }

    #[test]
    fn only_listed_types_are_allowed() {
        let list: Vec<String> = vec!["image/*".into(), "application/pdf".into()];
        assert!(allowed("image/png", &list));
        assert!(allowed("image/jpeg", &list));
        assert!(allowed("application/pdf", &list));
        assert!(!allowed("text/plain", &list));
        assert!(!allowed(&content_type(ELF), &list));
        assert!(!allowed(&content_type(EXE), &list));
        assert!(
            !allowed("image/svg+xml", &list),
            "no script-bearing pictures"
        );
    }
}
