//! One Socket.IO socket as a Confab session: one task that authenticates it (unless the
//! handshake did), then runs its events through the native handlers in order, renders what
//! its outbox receives in the socket's vocabulary, and stops typing on time.
//!
//! The socket's event handlers only queue (name, argument, acknowledgement) into a bounded
//! channel, synchronously and in arrival order; everything else happens in this task. Fan-out
//! reaches a gateway session like a native one, as shared frames in its bounded [`Outbox`]; the
//! task parses each frame once to render it (native clients take the bytes as they are: they
//! are the fast path). Socket.IO's own per-socket buffer is bounded too: a full one closes the
//! session as a slow consumer.

use super::events::{Emit, Inbound};
use super::memory::Memory;
use super::shared::{SharedEmit, SharedRenders};
use super::vocabulary::Vocabulary;
use super::{hub, messenger};
use crate::auth::{self, Signed};
use crate::domain::{posts, presence, sessions};
use crate::error::AppError;
use crate::hub::{CloseReason, Outbox, OutboxReceiver, Received};
use crate::metrics::{Limit, Metrics, OpenConnection};
use crate::session::rate::{EventRate, Rate};
use crate::session::sequence::{self, Arrival, Sequences};
use crate::session::{handlers, lifecycle, Context};
use crate::state::AppState;
use crate::store::{PostSource, Store};
use crate::topic::Topic;
use axum::extract::ws::Utf8Bytes;
use protocol::{
    close, ClientEvent, ClientFrame, ConversationId, ConversationKind, ErrorCode, PostId,
    ServerEvent, ServerFrame, UserId,
};
use serde_json::{json, Value};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};
use socketioxide::handler::FromMessageParts;
use socketioxide::socket::Socket;
use socketioxide::{SendError, SocketError};
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::future::poll_fn;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit};
use tokio::time::{sleep_until, Instant};

/// Conversations of at most this many members have their members' presence watched and sent
/// when a Socket.IO client joins them (one `user_status` / `presence` event each); bigger ones
/// answer `get_online_users` / `get-online-users` instead, so that a join costs the same
/// whatever the group's size.
pub const PRESENCE_ON_JOIN: usize = 50;

/// A messenger session is handed the presence of at most this many direct contacts (those of
/// its most active direct conversations) when it starts: one bounded read whatever the
/// user's number of conversations.
pub const CONTACTS_ON_CONNECT: usize = 200;

/// A snake_case session watches the newest posts of its user's feed (theirs and the people
/// they follow), at most this many, from the start: their `like_update` and `comment_update`
/// come without a `subscribe_posts`, as a page showing the feed expects.
pub const FEED_ON_CONNECT: usize = 50;

/// How long a server-side disconnect is retried while the socket's buffer is full.
const DISCONNECT_RETRY: Duration = Duration::from_secs(60);

/// What the connect middleware admitted.
#[derive(Clone)]
pub struct Admission {
    /// The connection's place under the server's connection limit.
    pub permit: Arc<OwnedSemaphorePermit>,
    /// The socket's vocabulary.
    pub vocabulary: Vocabulary,
    /// Whether the handshake named it (else a socket that authenticates after connecting
    /// speaks the vocabulary of its authentication event).
    pub named: bool,
    /// The user and their token's expiry, when the handshake carried a valid token.
    pub user: Option<Signed>,
}

/// A client event as the socket's handler queued it.
struct Request {
    event: String,
    arg: Value,
    ack: AckSender,
}

/// The size of an event as received (its JSON text), to refuse an oversized one with
/// `PAYLOAD_TOO_LARGE` and keep the connection, as `/ws` does.
struct Size(usize);

impl<A: Adapter> FromMessageParts<A> for Size {
    type Error = Infallible;

    fn from_message_parts(
        _: &Arc<Socket<A>>,
        value: &mut socketioxide_core::Value,
        _: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(Self(value.len()))
    }
}

/// Registers the socket's handlers and starts its task.
pub fn start(
    socket: SocketRef,
    state: AppState,
    admission: Admission,
    renders: Arc<SharedRenders>,
) {
    let capacity = usize::try_from(state.config.event_burst)
        .unwrap_or(64)
        .clamp(8, 1024);
    let (requests, inbound) = mpsc::channel::<Request>(capacity);
    let gone = Arc::new(Notify::new());
    let max_bytes = state.config.max_frame_bytes;
    let metrics = state.hub.metrics().clone();
    // The session settles the vocabulary at authentication; refusals here speak it too.
    let spoken = Arc::new(Mutex::new(admission.vocabulary));
    let said = spoken.clone();
    socket.on_fallback(
        move |socket: SocketRef,
              Size(size): Size,
              Event(event): Event,
              TryData(arg): TryData<Value>,
              ack: AckSender| {
            // Queued here, synchronously, so that events keep their order.
            let refused = if size > max_bytes {
                let error = AppError::PayloadTooLarge(format!(
                    "an event may be at most {max_bytes} bytes; this one is {size}"
                ));
                Some((error, ack, event))
            } else {
                let arg = arg.unwrap_or(Value::Null);
                match requests.try_send(Request { event, arg, ack }) {
                    Ok(()) => None,
                    Err(mpsc::error::TrySendError::Full(request)) => {
                        metrics.rate_limited(Limit::Events);
                        Some((AppError::RateLimited, request.ack, request.event))
                    }
                    // The session is over.
                    Err(mpsc::error::TrySendError::Closed(_)) => None,
                }
            };
            let refusal = refused.map(|(error, ack, event)| {
                let vocabulary = *said.lock().unwrap_or_else(|p| p.into_inner());
                (vocabulary.failure(&event, &error), ack)
            });
            async move {
                if let Some((emit, ack)) = refusal {
                    let error = emit.args.first().cloned().unwrap_or_default();
                    let _ = ack.send(&json!({ "ok": false, "error": error }));
                    let _ = socket.emit(&emit.event, &error);
                }
            }
        },
    );
    let signal = gone.clone();
    socket.on_disconnect(move |_: socketioxide::socket::DisconnectReason| {
        signal.notify_one();
        async {}
    });
    tokio::spawn(run(
        socket, state, admission, inbound, gone, renders, spoken,
    ));
}

async fn run(
    socket: SocketRef,
    state: AppState,
    admission: Admission,
    mut inbound: mpsc::Receiver<Request>,
    gone: Arc<Notify>,
    renders: Arc<SharedRenders>,
    spoken: Arc<Mutex<Vocabulary>>,
) {
    let _permit = admission.permit;
    let metrics = state.hub.metrics().clone();
    let open = OpenConnection::new(&metrics);
    let mut link = Link::new(
        socket,
        admission.vocabulary,
        &state,
        metrics.clone(),
        renders,
    );
    // A handshake token settles the vocabulary, except which of the two Flask-SocketIO ones
    // it is: the socket's first event only one of them has tells.
    link.settled =
        admission.named || (admission.user.is_some() && admission.vocabulary != Vocabulary::Flask);
    link.spoken = spoken;
    let user = match admission.user {
        Some(user) => Ok(user),
        // Boxed, like every phase that awaits the database: an idle session's task is then
        // the size of its idle loop, not of its largest handler (as on `/ws`).
        None => Box::pin(link.authenticate(&state, &mut inbound, &gone)).await,
    };
    let code = match user {
        Ok(user) => {
            metrics.sessions_authenticated.increment(1);
            serve(&mut link, state, user, &mut inbound, &gone).await
        }
        Err(code) => code,
    };
    if code == Some(close::SLOW_CONSUMER) {
        metrics.slow_consumers.increment(1);
    }
    metrics.connection_closed(code);
    drop(open);
    if code.is_some() {
        disconnect(&link.socket, &gone).await;
    }
}

/// Ends the socket from the server's side. With its buffer full (a slow consumer) the library
/// cannot queue the DISCONNECT packet: retry until it can, the client goes, or the transport's
/// own heartbeat ends it. The session itself is already closed: nothing grows meanwhile.
async fn disconnect(socket: &SocketRef, gone: &Notify) {
    let deadline = Instant::now() + DISCONNECT_RETRY;
    while socket.clone().disconnect().is_err() && Instant::now() < deadline {
        tokio::select! {
            _ = gone.notified() => return,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

/// The session proper; returns the close code when the server ends it.
async fn serve(
    link: &mut Link,
    state: AppState,
    user: Signed,
    inbound: &mut mpsc::Receiver<Request>,
    gone: &Notify,
) -> Option<u16> {
    let metrics = state.hub.metrics().clone();
    let (outbox, mut receiver) = Outbox::with_metrics(state.config.outbound_queue, metrics);
    let mut cx = lifecycle::context(state, user, outbox);
    let id = cx.id;
    link.memory.set_me(cx.user.id);
    let opened = Box::pin(lifecycle::open(&cx)).await;
    let opened = match opened {
        Ok(snapshot) if link.vocabulary == Vocabulary::Hub => {
            Box::pin(link.start_inbox(&cx, snapshot)).await
        }
        other => other.map(|_| None),
    };
    let reason = match opened {
        Ok(email) => {
            let sid = link.socket.id.to_string();
            if let Some(ready) = link.vocabulary.ready(cx.user.id, &sid, email.as_deref()) {
                link.emit(&ready);
            }
            if link.vocabulary == Vocabulary::Hub {
                link.emit(&hub::unread_update(&link.memory));
            }
            if link.vocabulary.announces_contacts() {
                Box::pin(link.announce_contacts(&cx)).await;
            }
            if link.vocabulary.watches_feed() {
                Box::pin(link.watch_feed(&cx)).await;
            }
            tracing::debug!(user = %cx.user.id, session = %id, "Socket.IO session started");
            session_loop(link, &mut cx, &mut receiver, inbound, gone).await
        }
        Err(e) => Some(CloseReason::new(
            close::GOING_AWAY,
            ErrorCode::Unavailable,
            format!(
                "the session could not be set up ({}); reconnect",
                e.public_message()
            ),
        )),
    };
    Box::pin(lifecycle::close(&mut cx)).await;
    let reason = reason?;
    link.emit(&link.vocabulary.error(None, reason.error, &reason.message));
    Some(reason.close_code)
}

async fn session_loop(
    link: &mut Link,
    cx: &mut Context,
    receiver: &mut OutboxReceiver,
    inbound: &mut mpsc::Receiver<Request>,
    gone: &Notify,
) -> Option<CloseReason> {
    let mut pending = VecDeque::new();
    loop {
        let deadline = cx.next_deadline();
        let far = Instant::now() + Duration::from_secs(3600);
        tokio::select! {
            biased;
            _ = gone.notified() => return None,
            received = poll_fn(|c| receiver.poll_recv(c, &mut pending)) => match received {
                Received::Frames => {
                    Box::pin(link.deliver_all(&cx.state.store, &cx.outbox, &mut pending)).await;
                    Box::pin(link.watch_new_contacts(cx)).await;
                }
                Received::Closed(reason) => return Some(reason),
            },
            request = inbound.recv() => {
                let request = request?;
                Box::pin(link.handle(cx, receiver, &mut pending, request)).await;
            }
            _ = sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                Box::pin(lifecycle::on_deadline(cx)).await;
            }
        }
    }
}

/// The socket with what rendering and acknowledging need.
struct Link {
    socket: SocketRef,
    vocabulary: Vocabulary,
    memory: Memory,
    /// Acknowledgements waiting for the reply to the request id they are keyed by.
    acks: HashMap<String, AckSender>,
    /// Acknowledgements whose reply was rendered, to send when their request is done.
    answered: Vec<(AckSender, Value)>,
    next_request: u64,
    /// Whether the vocabulary is settled (named in the handshake, or authenticated).
    settled: bool,
    /// The vocabulary as the socket's event handler reads it for its refusals.
    spoken: Arc<Mutex<Vocabulary>>,
    rate: EventRate,
    metrics: Arc<Metrics>,
    /// Renderings shared with the other gateway sessions.
    renders: Arc<SharedRenders>,
    /// Direct contacts that appeared since the last delivery, to start watching.
    new_contacts: Vec<UserId>,
    /// The last message delivered per conversation (repeats dropped, gaps filled).
    sequences: Sequences,
}

/// Messages missing before a live one: those of `conversation` after `after`, before `before`.
struct Gap {
    conversation: ConversationId,
    after: protocol::Seq,
    before: protocol::Seq,
}

impl Gap {
    /// The gap before `event` (a `message_new`), last delivered `after`.
    fn before(event: &ServerEvent, after: protocol::Seq) -> Option<Gap> {
        match event {
            ServerEvent::MessageNew { message } => Some(Gap {
                conversation: message.conversation_id,
                after,
                before: message.seq,
            }),
            _ => None,
        }
    }
}

impl Link {
    fn new(
        socket: SocketRef,
        vocabulary: Vocabulary,
        state: &AppState,
        metrics: Arc<Metrics>,
        renders: Arc<SharedRenders>,
    ) -> Self {
        Self {
            socket,
            vocabulary,
            memory: Memory::default(),
            acks: HashMap::new(),
            answered: Vec::new(),
            next_request: 0,
            settled: true,
            spoken: Arc::new(Mutex::new(vocabulary)),
            rate: EventRate::new(state.config.events_per_second, state.config.event_burst),
            metrics,
            renders,
            new_contacts: Vec::new(),
            sequences: Sequences::default(),
        }
    }

    /// Waits for `auth` with a valid token, within the authentication deadline. Otherwise the
    /// close code to end the socket with (`None`: the client went away).
    async fn authenticate(
        &mut self,
        state: &AppState,
        inbound: &mut mpsc::Receiver<Request>,
        gone: &Notify,
    ) -> Result<Signed, Option<u16>> {
        let deadline = Instant::now() + state.config.auth_timeout();
        let mut closing = state.hub.closing();
        loop {
            let request = tokio::select! {
                _ = gone.notified() => return Err(None),
                // Not a session yet, so not closed by the hub: the shutdown reaches it here.
                reason = closing.wait_for(Option::is_some) => {
                    let reason = reason
                        .ok()
                        .and_then(|r| (*r).clone())
                        .unwrap_or_else(CloseReason::shutdown);
                    self.emit(&self.vocabulary.error(None, reason.error, &reason.message));
                    return Err(Some(reason.close_code));
                }
                _ = sleep_until(deadline) => {
                    let message = "no authentication within the deadline";
                    self.emit(&self.vocabulary.error(None, ErrorCode::AuthTimeout, message));
                    if !self.settled && self.vocabulary != Vocabulary::Hub {
                        // A silent socket may be either kind of client that authenticates
                        // after connecting: each hears it in its own words.
                        let hub = Vocabulary::Hub.error(None, ErrorCode::AuthTimeout, message);
                        self.emit(&hub);
                    }
                    return Err(Some(close::AUTH_TIMEOUT));
                }
                request = inbound.recv() => request.ok_or(None)?,
            };
            if !self.settled {
                if let Some(vocabulary) = Vocabulary::of_auth_event(&request.event) {
                    self.speak(vocabulary);
                }
            }
            let Some(request) = self.admit(request) else {
                continue;
            };
            let parsed = self.vocabulary.parse(&request.event, request.arg);
            match parsed {
                Ok(Inbound::Auth(token)) => {
                    match auth::check(&state.jwt, &state.store, &token).await {
                        Ok(signed) => {
                            self.settled = true;
                            let _ = request
                                .ack
                                .send(&json!({ "ok": true, "data": { "userId": signed.user.id } }));
                            return Ok(signed);
                        }
                        Err(error) => {
                            self.fail(&request.event, request.ack, &error);
                            return Err(Some(close::AUTH_FAILED));
                        }
                    }
                }
                Ok(_) => self.fail(&request.event, request.ack, &AppError::NotAuthenticated),
                Err(error) => {
                    self.metrics.invalid_event();
                    self.fail(&request.event, request.ack, &error);
                }
            }
        }
    }

    /// Checks the event rate; a refused event is answered `RATE_LIMITED` (its acknowledgement
    /// always, the error event at most once a second).
    fn admit(&mut self, request: Request) -> Option<Request> {
        let Rate::Refused { notice } = self.rate.check(&self.metrics) else {
            return Some(request);
        };
        let error = self
            .vocabulary
            .failure(&request.event, &AppError::RateLimited);
        let _ = request
            .ack
            .send(&json!({ "ok": false, "error": error.args[0] }));
        if notice {
            self.emit(&error);
        }
        None
    }

    /// Handles one request of an authenticated session.
    async fn handle(
        &mut self,
        cx: &mut Context,
        receiver: &mut OutboxReceiver,
        pending: &mut VecDeque<Utf8Bytes>,
        request: Request,
    ) {
        let Some(request) = self.admit(request) else {
            return;
        };
        if !self.settled {
            if let Some(vocabulary) = Vocabulary::settled_by(&request.event, &request.arg) {
                self.settled = true;
                self.speak(vocabulary);
            }
        }
        let event = match self.vocabulary.parse(&request.event, request.arg) {
            Ok(Inbound::Event(event)) => event,
            Ok(Inbound::Signed { sender, event }) => match own(cx, Some(sender)) {
                Ok(()) => event,
                Err(error) => return self.fail(&request.event, request.ack, &error),
            },
            Ok(Inbound::TypingTo {
                sender,
                recipient,
                typing,
            }) => {
                let conversation = match own(cx, sender) {
                    Ok(()) => self.direct_with(cx, recipient).await,
                    Err(error) => Err(error),
                };
                match conversation {
                    Ok(conversation_id) if typing => ClientEvent::TypingStart { conversation_id },
                    Ok(conversation_id) => ClientEvent::TypingStop { conversation_id },
                    Err(error) => return self.fail(&request.event, request.ack, &error),
                }
            }
            // Authenticating again, with a fresh token of the same user, refreshes the session.
            Ok(Inbound::Auth(token)) => ClientEvent::RefreshToken { token },
            Ok(Inbound::OnlineUsers(conversation)) => {
                let online = presence::online_members(&cx.state, cx.actor(), conversation);
                return match online.await {
                    Ok(users) => {
                        let emit = self.vocabulary.online_users(conversation, &users);
                        self.emit(&emit);
                        let data = emit.args.into_iter().next().unwrap_or_default();
                        let _ = request.ack.send(&json!({ "ok": true, "data": data }));
                    }
                    Err(error) => self.fail(&request.event, request.ack, &error),
                };
            }
            Err(error) => {
                self.metrics.invalid_event();
                return self.fail(&request.event, request.ack, &error);
            }
        };
        self.metrics.event(event.name());
        let joined = match &event {
            ClientEvent::JoinConversation { conversation_id } => Some(*conversation_id),
            _ => None,
        };
        let messaged = match &event {
            ClientEvent::SendDirectMessage { recipient_id, .. }
                if self.vocabulary.announces_contacts() =>
            {
                Some(*recipient_id)
            }
            _ => None,
        };
        self.next_request += 1;
        let id = format!("sio-{}", self.next_request);
        self.acks.insert(id.clone(), request.ack);
        let frame = ClientFrame {
            id: Some(id.clone()),
            event,
        };
        let outbox = cx.outbox.clone();
        let store = cx.state.store.clone();
        let result = {
            // Deliveries go on while the handler waits on the database.
            let mut work = pin!(handlers::handle(cx, frame));
            loop {
                tokio::select! {
                    biased;
                    result = &mut work => break result,
                    received = poll_fn(|c| receiver.poll_recv(c, pending)) => match received {
                        Received::Frames => {
                            Box::pin(self.deliver_all(&store, &outbox, pending)).await
                        }
                        // Seen again by the session loop.
                        Received::Closed(_) => {}
                    },
                }
            }
        };
        match result {
            Ok(()) => {
                if let Some(conversation) = joined {
                    self.watch_members(cx, conversation).await;
                }
                if let Some(contact) = messaged {
                    self.watch_contact(cx, contact).await;
                }
            }
            Err(error) => {
                // Answered here, in the vocabulary's words for what failed.
                if let Some(ack) = self.acks.remove(&id) {
                    self.fail(&request.event, ack, &error);
                }
            }
        }
        // The reply (or error) is queued by now: render it, so its acknowledgement goes with it.
        let drained = poll_fn(|c| Poll::Ready(receiver.poll_recv(c, pending))).await;
        if let Poll::Ready(Received::Frames) = drained {
            Box::pin(self.deliver_all(&store, &outbox, pending)).await;
        }
        // Acknowledged last, so that a client that waits for it finds everything the request
        // did in place (after a join: the members' names and presence).
        for (ack, data) in self.answered.drain(..) {
            let _ = ack.send(&data);
        }
        if let Some(ack) = self.acks.remove(&id) {
            let _ = ack.send(&json!({ "ok": true }));
        }
    }

    /// After joining a conversation of at most [`PRESENCE_ON_JOIN`] members: watch their
    /// presence and send where they are now (one bounded read; within the connection's presence
    /// allowance, past which presence is left as it was). A bigger conversation's presence is
    /// not pushed member by member: `get_online_users` / `get-online-users` asks for it.
    async fn watch_members(&mut self, cx: &Context, conversation: ConversationId) {
        let members = cx
            .state
            .store
            .members_upto(conversation, PRESENCE_ON_JOIN)
            .await;
        let ids: Vec<_> = match members {
            Ok(Some(members)) => members.into_iter().filter(|m| *m != cx.user.id).collect(),
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(error = %e, "presence of the members not watched");
                return;
            }
        };
        match presence::subscribe(&cx.state, cx.user.id, cx.id, &ids).await {
            Ok(users) if !users.is_empty() => {
                let event = ServerEvent::PresenceChanged { users };
                for emit in self.vocabulary.render(&event, &mut self.memory) {
                    self.emit(&emit);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "presence of the members not watched"),
        }
    }

    /// The direct conversation with `other` (remembered once looked up); `NOT_FOUND` when the
    /// two have none yet (a first message creates it).
    async fn direct_with(
        &mut self,
        cx: &Context,
        other: UserId,
    ) -> Result<ConversationId, AppError> {
        if let Some(conversation) = self.memory.direct_with(other) {
            return Ok(conversation);
        }
        let found = cx.state.store.find_direct(cx.user.id, other).await?;
        let conversation = found.ok_or(AppError::NotFound("conversation with this user"))?;
        self.memory.remember_direct(other, conversation);
        Ok(conversation)
    }

    /// A messenger session starts with `online_users {users}`: who of the user's direct
    /// contacts is online, whose changes it then gets as `user_online` / `user_offline`
    /// (at most [`CONTACTS_ON_CONNECT`] contacts, within the connection's presence allowance).
    async fn announce_contacts(&mut self, cx: &Context) {
        let limit = CONTACTS_ON_CONNECT.min(cx.state.config.max_presence_subscriptions);
        let contacts = match cx.state.store.direct_partners(cx.user.id, limit).await {
            Ok(contacts) => contacts,
            Err(e) => {
                tracing::debug!(error = %e, "the contacts' presence not watched");
                Vec::new()
            }
        };
        let users = match presence::subscribe(&cx.state, cx.user.id, cx.id, &contacts).await {
            Ok(users) => users,
            Err(e) => {
                tracing::debug!(error = %e, "the contacts' presence not watched");
                Vec::new()
            }
        };
        self.emit(&messenger::online_users(&users));
    }

    /// Notes the other member of a direct conversation that just appeared (someone wrote to the
    /// user first): a messenger session watches them from then on.
    fn note_new_contact(&mut self, event: &ServerEvent) {
        let ServerEvent::ConversationUpdated { conversation } = event else {
            return;
        };
        if !self.vocabulary.announces_contacts() || conversation.kind != ConversationKind::Direct {
            return;
        }
        let me = self.memory.me();
        let other = conversation.members.iter().find(|m| Some(m.id) != me);
        if let Some(other) = other {
            self.new_contacts.push(other.id);
        }
    }

    /// Watches the contacts [`Link::note_new_contact`] noted.
    async fn watch_new_contacts(&mut self, cx: &Context) {
        for contact in std::mem::take(&mut self.new_contacts) {
            self.watch_contact(cx, contact).await;
        }
    }

    /// After a messenger's private message: the recipient is a contact now, whose presence the
    /// session watches from then on (nothing to do when it already does).
    async fn watch_contact(&mut self, cx: &Context, contact: UserId) {
        if cx.state.hub.is_subscribed(cx.id, Topic::Presence(contact)) {
            return;
        }
        match presence::subscribe(&cx.state, cx.user.id, cx.id, &[contact]).await {
            Ok(users) if !users.is_empty() => {
                let event = ServerEvent::PresenceChanged { users };
                for emit in self.vocabulary.render(&event, &mut self.memory) {
                    self.emit(&emit);
                }
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "the contact's presence not watched"),
        }
    }

    /// A snake_case session starts watching the newest posts of the user's feed (at most
    /// [`FEED_ON_CONNECT`], within the connection's post allowance), remembering their counts
    /// so that only changes are announced.
    async fn watch_feed(&mut self, cx: &Context) {
        let limit = FEED_ON_CONNECT.min(cx.state.config.max_post_subscriptions);
        let limit = i64::try_from(limit).unwrap_or(0);
        let feed = cx
            .state
            .store
            .posts(cx.user.id, PostSource::Feed, None, limit);
        let ids: Vec<PostId> = match feed.await {
            Ok((page, _)) => page.into_iter().map(|p| p.id).collect(),
            Err(e) => {
                tracing::debug!(error = %e, "the feed's posts not watched");
                return;
            }
        };
        if ids.is_empty() {
            return;
        }
        match posts::subscribe(&cx.state, cx.id, &ids).await {
            Ok(counts) => {
                for counts in &counts {
                    self.memory.counts(counts);
                }
            }
            Err(e) => tracing::debug!(error = %e, "the feed's posts not watched"),
        }
    }

    /// Renders queued frames, filling any gap in a conversation's messages first (see
    /// [`sequence`]).
    async fn deliver_all(
        &mut self,
        store: &Store,
        outbox: &Outbox,
        pending: &mut VecDeque<Utf8Bytes>,
    ) {
        while let Some(gap) = self.deliver(outbox, pending) {
            self.fill_gap(store, gap).await;
        }
    }

    /// Renders queued frames in order; a socket whose own buffer is full is closed as a slow
    /// consumer. A message this socket already has is dropped; one that reveals a gap stops the
    /// delivery (it is left first in `pending`) and is returned, to be filled first.
    fn deliver(&mut self, outbox: &Outbox, pending: &mut VecDeque<Utf8Bytes>) -> Option<Gap> {
        while let Some(bytes) = pending.pop_front() {
            if let Some(shared) = self.renders.get(&bytes, self.vocabulary) {
                match self.in_sequence(&shared.event) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(gap) => {
                        pending.push_front(bytes);
                        return gap;
                    }
                }
                shared.remember(&mut self.memory);
                for emit in &shared.emits {
                    if let Err(SendError::Socket(SocketError::InternalChannelFull)) =
                        self.send_shared(emit)
                    {
                        slow_consumer(outbox);
                        return None;
                    }
                }
                continue;
            }
            let frame = match serde_json::from_str::<ServerFrame>(bytes.as_str()) {
                Ok(frame) => frame,
                Err(e) => {
                    tracing::warn!(error = %e, "a frame the gateway cannot read");
                    continue;
                }
            };
            match self.in_sequence(&frame.event) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(gap) => {
                    pending.push_front(bytes);
                    return gap;
                }
            }
            self.note_new_contact(&frame.event);
            let emits = self.vocabulary.render(&frame.event, &mut self.memory);
            for emit in &emits {
                if let Err(SendError::Socket(SocketError::InternalChannelFull)) = self.send(emit) {
                    slow_consumer(outbox);
                    return None;
                }
            }
            if let Some(ack) = frame.id.and_then(|id| self.acks.remove(&id)) {
                // Sent once the request is wholly handled (see `handle`).
                let data = self.vocabulary.ack_data(&frame.event, &emits);
                self.answered.push((ack, data));
            }
        }
        None
    }

    /// Whether to deliver `event` now (`false`: a message this socket has already), or the gap
    /// a live message reveals, to fill before it. The session's own sends, acknowledged, count
    /// as delivered; any other event is delivered.
    fn in_sequence(&mut self, event: &ServerEvent) -> Result<bool, Option<Gap>> {
        match event {
            ServerEvent::MessageNew { message } => match self.sequences.arrive(message) {
                Arrival::Next => Ok(true),
                Arrival::Repeat => Ok(false),
                Arrival::Gap { after } => Err(Gap::before(event, after)),
            },
            ServerEvent::MessageAck { message, .. } => {
                self.sequences
                    .delivered(message.conversation_id, message.seq);
                Ok(true)
            }
            _ => Ok(true),
        }
    }

    /// Sends the messages of a gap (fetched from history) as if they had arrived live.
    async fn fill_gap(&mut self, store: &Store, gap: Gap) {
        match sequence::fill(store, gap.conversation, gap.after, gap.before).await {
            Ok(messages) => {
                self.metrics.gap_filled(messages.len());
                for message in messages {
                    let event = ServerEvent::MessageNew { message };
                    for emit in self.vocabulary.render(&event, &mut self.memory) {
                        self.emit(&emit);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "a gap in a conversation could not be filled"),
        }
        self.sequences.delivered(gap.conversation, gap.before - 1);
    }

    /// Answers a failed request (`event`) with an error event and its acknowledgement, both
    /// in the vocabulary's words for the failure.
    fn fail(&mut self, event: &str, ack: AckSender, error: &AppError) {
        let emit = self.vocabulary.failure(event, error);
        let _ = ack.send(&json!({ "ok": false, "error": emit.args[0] }));
        self.emit(&emit);
    }

    /// Switches to the vocabulary the socket turned out to speak.
    fn speak(&mut self, vocabulary: Vocabulary) {
        self.vocabulary = vocabulary;
        *self.spoken.lock().unwrap_or_else(|p| p.into_inner()) = vocabulary;
    }

    /// Loads a hub session's inbox: the unread counts just counted for the session, the
    /// platforms of the user's conversations, and the email `authenticated` names.
    async fn start_inbox(
        &mut self,
        cx: &Context,
        snapshot: sessions::Snapshot,
    ) -> Result<Option<String>, AppError> {
        let store = &cx.state.store;
        let platforms = store.conversation_platforms(cx.user.id).await?;
        let counts = snapshot
            .unread
            .conversations
            .iter()
            .map(|c| (c.conversation_id, c.unread, c.last_seq));
        self.memory.start_inbox(cx.user.id, counts, platforms);
        let email = store.email_of(cx.user.id).await?;
        self.memory.set_email(email.clone());
        Ok(email)
    }

    /// Emits an event, ignoring failures (the session loop notices a closed socket).
    fn emit(&self, emit: &Emit) {
        let _ = self.send(emit);
    }

    /// Sends a shared rendering (its arguments are copied as they are).
    fn send_shared(&self, emit: &SharedEmit) -> Result<(), SendError> {
        self.emit_args(&emit.event, &emit.args)
    }

    fn send(&self, emit: &Emit) -> Result<(), SendError> {
        self.emit_args(&emit.event, &emit.args)
    }

    /// Emits an event with its arguments (Socket.IO spreads them over the listener's
    /// parameters; at most four).
    fn emit_args<T: serde::Serialize>(&self, event: &str, args: &[T]) -> Result<(), SendError> {
        self.metrics.frames_out.increment(1);
        let s = &self.socket;
        match args {
            [] => s.emit(event, &[(); 0]),
            [a] => s.emit(event, &(a,)),
            [a, b] => s.emit(event, &(a, b)),
            [a, b, c] => s.emit(event, &(a, b, c)),
            [a, b, c, d, ..] => s.emit(event, &(a, b, c, d)),
        }
    }
}

/// Refuses an event whose payload names another user as its sender or typist.
fn own(cx: &Context, sender: Option<UserId>) -> Result<(), AppError> {
    match sender {
        Some(sender) if sender != cx.user.id => Err(AppError::Forbidden(
            "sender_id / user_id must be your own user id (the token's)".into(),
        )),
        _ => Ok(()),
    }
}

/// Closes a session whose Socket.IO buffer is full.
fn slow_consumer(outbox: &Outbox) {
    outbox.close(CloseReason::slow_consumer());
}
