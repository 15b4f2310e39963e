//! Frames rendered once per vocabulary and shared by every gateway socket that gets them.
//!
//! Fan-out hands every session of a topic the same reference-counted frame bytes. Native
//! sessions write them as they are; a gateway session must render them into its vocabulary.
//! For the frames whose rendering is the same for every recipient (`message_new`, the bulk of
//! the traffic, and, where the vocabulary names nothing per session, receipts and typing) the
//! first gateway session to get a frame renders it and leaves the result here, keyed by the
//! frame's address, with its JSON already serialized: the others take it, so an event to N
//! gateway sockets costs one parse and one rendering per vocabulary instead of N, and each socket
//! only copies the bytes into its own packet. The entry holds the frame, so its address cannot
//! be reused by another frame while the entry lives; the cache keeps the latest [`CAPACITY`].

use super::memory::Memory;
use super::vocabulary::Vocabulary;
use axum::extract::ws::Utf8Bytes;
use protocol::{ServerEvent, ServerFrame};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Frames whose renderings are kept.
const CAPACITY: usize = 256;

/// How the broadcast frames whose rendering is shared begin (a reply carries an `id` first,
/// and is rendered by its own session), and the vocabularies that render them alike for every
/// session: kebab-case receipts name a message each session looked up itself, and snake_case's
/// end of typing names the typist from the session's memory.
const SHAREABLE: [(&str, bool, bool); 4] = [
    (r#"{"type":"message_new","#, true, true),
    (r#"{"type":"receipt","#, false, true),
    (r#"{"type":"typing_started","#, true, true),
    (r#"{"type":"typing_stopped","#, true, false),
];

/// How a product's own event begins: every vocabulary renders it the same for every session
/// (its name, its data).
const CUSTOM: &str = r#"{"type":"custom_event","#;

/// Whether `vocabulary` renders a frame beginning like `text` the same for every session.
fn shareable(text: &str, vocabulary: Vocabulary) -> bool {
    text.starts_with(CUSTOM)
        || SHAREABLE.iter().any(|(prefix, kebab, snake)| {
            text.starts_with(prefix)
                && match vocabulary {
                    Vocabulary::Kebab => *kebab,
                    // Both Flask-SocketIO vocabularies' renderings depend on the same memory (the
                    // messenger's on none).
                    Vocabulary::Snake | Vocabulary::Flask => *snake,
                    Vocabulary::Messenger => true,
                    // A hub session counts each message into its own unread totals.
                    Vocabulary::Hub => false,
                }
        })
}

/// One Socket.IO event, its arguments serialized.
#[derive(Debug)]
pub struct SharedEmit {
    /// The event name.
    pub event: Cow<'static, str>,
    /// Its arguments, as JSON text.
    pub args: Vec<Box<RawValue>>,
}

/// A frame as a vocabulary renders it, with its event (for what each session remembers of it).
#[derive(Debug)]
pub struct Rendered {
    /// The event.
    pub event: ServerEvent,
    /// The events to send.
    pub emits: Vec<SharedEmit>,
}

impl Rendered {
    /// What a session remembers of the event: a message's id by position (kebab-case receipts
    /// name it), a typist's name (snake_case's end of typing names them).
    pub fn remember(&self, memory: &mut Memory) {
        match &self.event {
            ServerEvent::MessageNew { message } => memory.message(message),
            ServerEvent::TypingStarted {
                user_id,
                display_name,
                ..
            } => memory.name(*user_id, display_name),
            _ => {}
        }
    }
}

type Key = (usize, usize, Vocabulary);

/// The shared renderings (one per server, used by every gateway session).
#[derive(Debug, Default)]
pub struct SharedRenders {
    inner: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    entries: HashMap<Key, (Utf8Bytes, Arc<Rendered>)>,
    order: VecDeque<Key>,
}

impl SharedRenders {
    /// The rendering of a shareable frame in `vocabulary`, made now if no session made it
    /// yet; `None` for any other frame (rendered by each session).
    pub fn get(&self, frame: &Utf8Bytes, vocabulary: Vocabulary) -> Option<Arc<Rendered>> {
        let text = frame.as_str();
        if !shareable(text, vocabulary) {
            return None;
        }
        let key = (text.as_ptr() as usize, text.len(), vocabulary);
        if let Some((_, rendered)) = self.lock().entries.get(&key) {
            return Some(rendered.clone());
        }
        // Rendered outside the lock; two sessions racing on one frame both render it once.
        let rendered = Arc::new(render(text, vocabulary)?);
        let mut cache = self.lock();
        if cache.order.len() >= CAPACITY {
            if let Some(old) = cache.order.pop_front() {
                cache.entries.remove(&old);
            }
        }
        if cache
            .entries
            .insert(key, (frame.clone(), rendered.clone()))
            .is_none()
        {
            cache.order.push_back(key);
        }
        Some(rendered)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // Never held across an await: map operations only.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn render(text: &str, vocabulary: Vocabulary) -> Option<Rendered> {
    let frame: ServerFrame = serde_json::from_str(text).ok()?;
    if frame.id.is_some() {
        return None;
    }
    // These renderings need nothing a session remembers: a scratch memory will do.
    let emits = vocabulary.render(&frame.event, &mut Memory::default());
    let emits = emits
        .into_iter()
        .map(|emit| {
            let args = emit
                .args
                .iter()
                .map(|arg| serde_json::value::to_raw_value(arg).ok())
                .collect::<Option<Vec<_>>>()?;
            Some(SharedEmit {
                event: emit.event,
                args,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Rendered {
        event: frame.event,
        emits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_event;
    use protocol::{ConversationId, Message, MessageId, UserId};

    fn message_new() -> Utf8Bytes {
        encode_event(ServerEvent::MessageNew {
            message: Message {
                id: MessageId::new(),
                conversation_id: ConversationId::new(),
                seq: 3,
                sender_id: UserId::new(),
                body: "hi".into(),
                created_at: 0,
                edited_at: None,
                deleted: false,
                reply_to: None,
                mentions: Vec::new(),
                reactions: Vec::new(),
                my_reactions: Vec::new(),
                reactions_version: 0,
                deleted_by: None,
                attachments: Vec::new(),
            },
        })
    }

    #[test]
    fn a_frame_is_rendered_once_per_vocabulary_and_as_each_session_would() {
        let shared = SharedRenders::default();
        let frame = message_new();
        let first = shared.get(&frame, Vocabulary::Snake).unwrap();
        let again = shared.get(&frame.clone(), Vocabulary::Snake).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second session reuses it");
        let kebab = shared.get(&frame, Vocabulary::Kebab).unwrap();
        assert!(!Arc::ptr_eq(&first, &kebab));
        // The same as the session's own rendering.
        let parsed: ServerFrame = serde_json::from_str(frame.as_str()).unwrap();
        let own = Vocabulary::Snake.render(&parsed.event, &mut Memory::default());
        assert_eq!(first.emits[0].event, own[0].event);
        let shared_arg: serde_json::Value =
            serde_json::from_str(first.emits[0].args[0].get()).unwrap();
        assert_eq!(shared_arg, own[0].args[0]);
    }

    #[test]
    fn frames_rendered_from_a_sessions_memory_are_left_to_each_session() {
        let shared = SharedRenders::default();
        let (conversation_id, user_id) = (ConversationId::new(), UserId::new());
        // snake_case names the typist who stopped from what the session remembers…
        let stopped = encode_event(ServerEvent::TypingStopped {
            conversation_id,
            user_id,
        });
        assert!(shared.get(&stopped, Vocabulary::Snake).is_none());
        assert!(shared.get(&stopped, Vocabulary::Kebab).is_some());
        // …and kebab-case receipts name the message the session saw there.
        let receipt = encode_event(ServerEvent::Receipt {
            conversation_id,
            user_id,
            kind: protocol::ReceiptKind::Seen,
            up_to_seq: 3,
        });
        assert!(shared.get(&receipt, Vocabulary::Kebab).is_none());
        assert!(shared.get(&receipt, Vocabulary::Snake).is_some());
        let presence = encode_event(ServerEvent::PresenceChanged { users: Vec::new() });
        assert!(shared.get(&presence, Vocabulary::Snake).is_none());
        // A session remembers the typist's name from a shared start.
        let started = encode_event(ServerEvent::TypingStarted {
            conversation_id,
            user_id,
            display_name: "Bob".into(),
        });
        let mut memory = Memory::default();
        shared
            .get(&started, Vocabulary::Snake)
            .unwrap()
            .remember(&mut memory);
        assert_eq!(memory.name_of(user_id), Some("Bob"));
    }

    #[test]
    fn the_cache_is_bounded() {
        let shared = SharedRenders::default();
        let frames: Vec<_> = (0..CAPACITY + 10).map(|_| message_new()).collect();
        for f in &frames {
            shared.get(f, Vocabulary::Kebab).unwrap();
        }
        assert_eq!(shared.lock().entries.len(), CAPACITY);
        assert_eq!(shared.lock().order.len(), CAPACITY);
    }
}
