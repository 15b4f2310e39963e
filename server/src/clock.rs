//! Wall-clock times in the shapes other systems' clients expect.

use protocol::model::Millis;

/// RFC 3339 (`2024-01-01T00:00:00Z`) for milliseconds since the Unix epoch: the timestamps
/// of the Socket.IO vocabularies and of `/health`.
pub fn iso(at: Millis) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::iso;

    #[test]
    fn iso_is_rfc3339_in_utc() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_704_067_200_123), "2024-01-01T00:00:00.123Z");
    }
}
