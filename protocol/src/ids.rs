//! Typed identifiers. All are UUIDs, generated as version 7 (time-ordered) by the server, and
//! serialized as their hyphenated string form.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema, ts_rs::TS, utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered (UUID v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a user account.
    UserId
);
impl UserId {
    /// The sender of messages a product posts as the system (the server API's messages with no
    /// sender): the nil UUID, `00000000-0000-0000-0000-000000000000`. No one signs in as it and
    /// it is nobody's member; clients show its messages as announcements.
    pub const SYSTEM: UserId = UserId(Uuid::nil());
}

id_type!(
    /// Identifies a conversation (a direct 1:1 conversation or a group).
    ConversationId
);
id_type!(
    /// Identifies a message.
    MessageId
);
id_type!(
    /// Identifies one authenticated WebSocket session (one device or tab).
    SessionId
);
id_type!(
    /// Identifies a notification. Time-ordered: a later notification has a greater id.
    NotificationId
);
id_type!(
    /// Identifies a post. Time-ordered: feeds page by it.
    PostId
);
id_type!(
    /// Identifies a comment on a post. Time-ordered.
    CommentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = UserId::new();
        assert_eq!(id.to_string().parse::<UserId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = MessageId::new();
        let b = MessageId::new();
        assert_eq!(a.0.get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn garbage_is_rejected() {
        assert!("not-a-uuid".parse::<ConversationId>().is_err());
        assert!(serde_json::from_str::<ConversationId>("42").is_err());
    }
}
id_type!(
    /// Identifies an uploaded file (a picture or any other file attached to a message).
    FileId
);
