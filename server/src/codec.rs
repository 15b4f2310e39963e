//! The wire codec: encoding server frames (once per fan-out; the bytes are shared by every
//! recipient) and decoding client frames with precise errors. Owned by no transport: the domain
//! layer encodes, the WebSocket session decodes.

use crate::error::AppError;
use axum::extract::ws::Utf8Bytes;
use protocol::{ClientFrame, Presence, ServerEvent, ServerFrame, MAX_REQUEST_ID_LEN};

/// Serializes a frame. The result is shared by every recipient.
pub fn encode(frame: &ServerFrame) -> Utf8Bytes {
    match serde_json::to_string(frame) {
        Ok(text) => text.into(),
        // Serializing plain data structs cannot fail; stay total anyway.
        Err(e) => {
            tracing::error!(error = %e, "failed to serialize a server frame");
            r#"{"type":"error","code":"INTERNAL","message":"internal server error"}"#.into()
        }
    }
}

/// Serializes an event that answers no request.
pub fn encode_event(event: ServerEvent) -> Utf8Bytes {
    encode(&ServerFrame::new(event))
}

/// One presence entry serialized on its own, to be spliced into several batches.
pub fn encode_presence(presence: &Presence) -> Utf8Bytes {
    match serde_json::to_string(presence) {
        Ok(text) => text.into(),
        Err(e) => {
            tracing::error!(error = %e, "failed to serialize a presence entry");
            "null".into()
        }
    }
}

/// A `presence_changed` frame built from entries made by [`encode_presence`]: the same bytes
/// `encode` would produce for the same list, without serializing the entries again.
pub fn presence_batch<'a>(entries: impl IntoIterator<Item = &'a Utf8Bytes>) -> Utf8Bytes {
    let mut text = String::with_capacity(64);
    text.push_str(r#"{"type":"presence_changed","users":["#);
    for (i, entry) in entries.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(entry.as_str());
    }
    text.push_str("]}");
    text.into()
}

/// A frame that could not be decoded, with the request id when one could be recovered.
#[derive(Debug)]
pub struct DecodeError {
    /// The `id` of the request, if the frame was a JSON object with a string id.
    pub id: Option<String>,
    /// What was wrong.
    pub error: AppError,
}

/// Decodes a client frame.
pub fn decode(text: &str) -> Result<ClientFrame, DecodeError> {
    match serde_json::from_str::<ClientFrame>(text) {
        Ok(frame) => match &frame.id {
            Some(id) if id.len() > MAX_REQUEST_ID_LEN => Err(DecodeError {
                id: None,
                error: AppError::validation(format!(
                    "request id is longer than {MAX_REQUEST_ID_LEN} bytes"
                )),
            }),
            _ => Ok(frame),
        },
        Err(e) => {
            let id = request_id(text);
            let message = if e.is_syntax() || e.is_eof() {
                "malformed JSON".to_owned()
            } else {
                format!("invalid event: {e}")
            };
            Err(DecodeError {
                id,
                error: AppError::InvalidPayload(message),
            })
        }
    }
}

/// The `id` of a frame that will not be decoded (refused, or invalid), so that the client can
/// match the error to its request: a string of at most [`MAX_REQUEST_ID_LEN`] bytes, if any.
pub fn request_id(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_str::<IdOnly>(text)
        .ok()?
        .id
        .filter(|id| id.len() <= MAX_REQUEST_ID_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ClientEvent;

    #[test]
    fn decodes_known_events() {
        let frame = decode(r#"{"type":"ping","id":"7"}"#).unwrap();
        assert_eq!(frame, ClientFrame::with_id("7", ClientEvent::Ping));
    }

    #[test]
    fn unknown_events_keep_their_id() {
        let err = decode(r#"{"type":"warp","id":"q1"}"#).unwrap_err();
        assert_eq!(err.id.as_deref(), Some("q1"));
        assert!(
            matches!(err.error, AppError::InvalidPayload(ref m) if m.contains("unknown variant"))
        );
    }

    #[test]
    fn request_ids_are_recovered_from_any_object() {
        assert_eq!(
            request_id(r#"{"type":"x","id":"r9","more":[1,2]}"#).as_deref(),
            Some("r9")
        );
        assert_eq!(request_id(r#"{"type":"ping"}"#), None);
        assert_eq!(request_id("not json"), None);
        assert_eq!(
            request_id(&format!(r#"{{"id":"{}"}}"#, "x".repeat(65))),
            None
        );
    }

    #[test]
    fn garbage_is_malformed_json() {
        let err = decode("{nope").unwrap_err();
        assert!(err.id.is_none());
        assert!(matches!(err.error, AppError::InvalidPayload(ref m) if m == "malformed JSON"));
    }

    #[test]
    fn spliced_presence_batches_match_serde() {
        use protocol::{PresenceStatus, UserId};
        let users = vec![
            Presence {
                user_id: UserId::new(),
                status: PresenceStatus::Online,
                last_seen_at: None,
            },
            Presence {
                user_id: UserId::new(),
                status: PresenceStatus::Offline,
                last_seen_at: Some(1_700_000_000_000),
            },
        ];
        let entries: Vec<Utf8Bytes> = users.iter().map(encode_presence).collect();
        let spliced: ServerFrame = serde_json::from_str(presence_batch(&entries).as_str()).unwrap();
        assert_eq!(
            spliced,
            ServerFrame::new(ServerEvent::PresenceChanged { users })
        );
    }

    #[test]
    fn long_request_ids_are_refused() {
        let long = "x".repeat(MAX_REQUEST_ID_LEN + 1);
        let err = decode(&format!(r#"{{"type":"ping","id":"{long}"}}"#)).unwrap_err();
        assert!(matches!(err.error, AppError::Validation(_)));
    }
}
