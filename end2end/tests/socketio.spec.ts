// The Socket.IO gateway, driven by the official `socket.io-client` package: both vocabularies
// event by event, the refusals, and a Socket.IO client talking with a person in the web app.
import { test, expect } from '@playwright/test';
import { io, Socket } from 'socket.io-client';
import * as api from './rest';
import { serverForFile, shot, TestServer } from './server';
import { signUp, openDirect, send, message } from './people';
import type { AuthResponse } from '../../protocol/bindings/ts/AuthResponse';
import type { Conversation } from '../../protocol/bindings/ts/Conversation';
import type { ErrorCode } from '../../protocol/bindings/ts/ErrorCode';
import type { Post } from '../../protocol/bindings/ts/Post';

// Short deadlines so that the timeouts can be watched happen.
const server = serverForFile(['--auth-timeout-ms', '1500', '--typing-timeout-ms', '1500']);

type Ack = { ok: true; data?: any } | { ok: false; error: { code: ErrorCode; message: string } };

// The REST helpers, bound to this file's server.
const rest = <T>(method: string, path: string, token?: string, body?: unknown) => api.rest<T>(server(), method, path, token, body);
const register = (prefix: string) => api.register(server(), prefix);

async function group(owner: AuthResponse, members: AuthResponse[]): Promise<Conversation> {
  return rest<Conversation>('POST', '/api/conversations', owner.token, {
    kind: 'group',
    title: 'gateway',
    member_ids: members.map((m) => m.user.id),
  });
}

/** A Socket.IO client that records every event it receives, so none is missed by a late wait. */
class Client {
  readonly socket: Socket;
  readonly seen: { event: string; args: any[] }[] = [];
  /** Settles when the server (or the client) ends the connection. */
  readonly gone: Promise<void>;

  constructor(s: TestServer, options: Parameters<typeof io>[1] = {}) {
    this.socket = io(s.url, { transports: ['websocket'], reconnection: false, ...options });
    this.socket.onAny((event, ...args) => this.seen.push({ event, args }));
    this.gone = new Promise((resolve) => this.socket.once('disconnect', () => resolve()));
  }

  /** The arguments of the first `event` (after `from`) for which `match` holds. */
  async next(event: string, match: (...args: any[]) => boolean = () => true, from = 0): Promise<any[]> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const hit = this.seen.slice(from).find((e) => e.event === event && match(...e.args));
      if (hit) return hit.args;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${event} within 10 s; seen: ${JSON.stringify(this.seen.map((e) => e.event))}`);
  }

  count(event: string): number {
    return this.seen.filter((e) => e.event === event).length;
  }

  ack(event: string, ...args: any[]): Promise<Ack> {
    return this.socket.timeout(10_000).emitWithAck(event, ...args);
  }

  close() {
    this.socket.close();
  }
}

/** A kebab-case client, authenticated with the `auth` event. */
async function kebab(who: AuthResponse): Promise<Client> {
  const client = new Client(server());
  await new Promise<void>((resolve) => client.socket.once('connect', () => resolve()));
  client.socket.emit('auth', who.token);
  const [ready] = await client.next('auth-success');
  expect(ready).toEqual({ userId: who.user.id });
  return client;
}

/** A snake_case client, authenticated in the handshake. */
async function snake(who: AuthResponse): Promise<Client> {
  const client = new Client(server(), { auth: { token: who.token } });
  const [connected] = await client.next('connected');
  expect(connected.user_id).toBe(who.user.id);
  expect(connected.sid).toBe(client.socket.id);
  expect(Date.parse(connected.timestamp)).not.toBeNaN();
  return client;
}

test('kebab-case vocabulary: auth, rooms, messages, acks, receipts, typing, presence, heartbeat', async () => {
  const alice = await register('alice');
  const bob = await register('bob');
  const carol = await register('carol');
  const room = await group(alice, [bob]);
  const elsewhere = await group(carol, []);

  // Before `auth`, nothing is served.
  const early = new Client(server());
  await new Promise<void>((resolve) => early.socket.once('connect', () => resolve()));
  const refused = await early.ack('join-room', room.id);
  expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_AUTHENTICATED' } });
  early.close();

  const a = await kebab(alice);
  const b = await kebab(bob);

  // Membership is checked like everywhere else; a refused join is the reference's
  // `JOIN_ROOM_FAILED`, whatever the reason.
  const notMine = await a.ack('join-room', elsewhere.id);
  expect(notMine).toMatchObject({ ok: false, error: { code: 'JOIN_ROOM_FAILED' } });
  const [error] = await a.next('error', (e) => e.code === 'JOIN_ROOM_FAILED');
  expect(error.message).toContain('member');
  const garbage = await a.ack('join-room', 42);
  expect(garbage).toMatchObject({ ok: false, error: { code: 'JOIN_ROOM_FAILED' } });
  // Other failures keep Confab's codes.
  const notMineToo = await a.ack('typing-start', elsewhere.id);
  expect(notMineToo).toMatchObject({ ok: false, error: { code: 'NOT_A_MEMBER' } });
  const unknown = await a.ack('shout', 'hello');
  expect(unknown).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });

  const joined = await a.ack('join-room', room.id);
  expect(joined).toMatchObject({ ok: true, data: { conversationId: room.id } });
  expect(await a.next('room-joined')).toEqual([{ conversationId: room.id, viewers: [alice.user.id], viewerCount: 1 }]);
  await b.ack('join-room', room.id);
  // Joining watches the members' presence: each learns the other is online.
  await a.next('presence', (user, status) => user === bob.user.id && status === 'online');
  await b.next('presence', (user, status) => user === alice.user.id && status === 'online');

  // typing-start → typing(userId, conversationId); typing-stop → typing-stop(...).
  a.socket.emit('typing-start', room.id);
  expect(await b.next('typing')).toEqual([alice.user.id, room.id]);
  a.socket.emit('typing-stop', room.id);
  expect(await b.next('typing-stop')).toEqual([alice.user.id, room.id]);
  // Without a stop, typing ends by itself (1.5 s here, 5 s by default).
  const mark = b.seen.length;
  a.socket.emit('typing-start', room.id);
  await b.next('typing', () => true, mark);
  const started = Date.now();
  await b.next('typing-stop', () => true, mark);
  expect(Date.now() - started).toBeGreaterThan(1000);

  // send-message → message-ack(tempId, messageId) to the sender, message-new to the others.
  const sent = await a.ack('send-message', { conversationId: room.id, tempId: 'k-1', content: 'hello, kebab' });
  expect(sent.ok).toBe(true);
  const ackData = (sent as { data: any }).data;
  expect(ackData).toMatchObject({ tempId: 'k-1', message: { content: 'hello, kebab', seq: 1 } });
  expect(await a.next('message-ack')).toEqual(['k-1', ackData.messageId]);
  const [incoming] = await b.next('message-new');
  expect(incoming).toMatchObject({
    id: ackData.messageId,
    conversationId: room.id,
    senderId: alice.user.id,
    content: 'hello, kebab',
    seq: 1,
    deleted: false,
  });
  expect(Date.parse(incoming.createdAt)).not.toBeNaN();
  expect(a.count('message-new')).toBe(0);

  // The same temp id again is the same message, acknowledged again, not sent twice.
  const again = await a.ack('send-message', { conversationId: room.id, tempId: 'k-1', content: 'hello, kebab' });
  expect((again as { data: any }).data.messageId).toBe(ackData.messageId);

  // Receipts: receipt(messageId, userId, 'delivered' | 'seen', {conversationId, upToSeq}).
  b.socket.emit('mark-delivered', { conversationId: room.id, upToSeq: 1 });
  const delivered = await a.next('receipt', (_m, _u, kind) => kind === 'delivered');
  expect(delivered).toEqual([ackData.messageId, bob.user.id, 'delivered', { conversationId: room.id, upToSeq: 1 }]);
  b.socket.emit('mark-read', { conversationId: room.id, upToSeq: 1 });
  const receipt = await a.next('receipt', (_m, _u, kind) => kind === 'seen');
  expect(receipt).toEqual([ackData.messageId, bob.user.id, 'seen', { conversationId: room.id, upToSeq: 1 }]);

  // Edits and deletes.
  await a.ack('edit-message', { messageId: ackData.messageId, content: 'hello again' });
  const [edited] = await b.next('message-edited');
  expect(edited).toMatchObject({ id: ackData.messageId, content: 'hello again' });
  expect(edited.editedAt).not.toBeNull();
  const forbidden = await b.ack('delete-message', { messageId: ackData.messageId });
  expect(forbidden).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  await a.ack('delete-message', { messageId: ackData.messageId });
  expect(await b.next('message-deleted')).toEqual([ackData.messageId, room.id]);

  // Presence and the online list.
  const online = await a.ack('get-online-users', room.id);
  expect((online as { data: any }).data.users.sort()).toEqual([alice.user.id, bob.user.id].sort());
  b.socket.emit('presence-update', 'away');
  await a.next('presence', (user, status) => user === bob.user.id && status === 'away');
  const onlineNow = await a.ack('get-online-users', room.id);
  expect((onlineNow as { data: any }).data.users).toEqual([alice.user.id]);

  // heartbeat → heartbeat-ack, with no arguments.
  a.socket.emit('heartbeat');
  expect(await a.next('heartbeat-ack')).toEqual([]);

  // `auth` again refreshes the session with a token of the same user (another user's is
  // refused); leaving a room is answered.
  const refreshed = await a.ack('auth', alice.token);
  expect(refreshed).toMatchObject({ ok: true });
  expect(typeof (refreshed as { data: any }).data.expiresAt).toBe('string');
  expect(await a.ack('auth', bob.token)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  await a.ack('leave-room', room.id);
  expect(await a.next('room-left')).toEqual([{ conversationId: room.id }]);

  // Going away is presence too: offline, with last seen.
  b.close();
  const [, status, lastSeen] = await a.next('presence', (user, s) => user === bob.user.id && s === 'offline');
  expect(status).toBe('offline');
  expect(Date.parse(lastSeen)).not.toBeNaN();
  a.close();
});

test('kebab-case vocabulary: a bad token and a silent client are disconnected with an error', async () => {
  const bad = new Client(server());
  await new Promise<void>((resolve) => bad.socket.once('connect', () => resolve()));
  const answer = await bad.ack('auth', 'not-a-token');
  expect(answer).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
  await bad.next('error', (e) => e.code === 'AUTH_FAILED');
  await bad.gone;

  const silent = new Client(server());
  const [timeout] = await silent.next('error');
  expect(timeout.code).toBe('AUTH_TIMEOUT');
  await silent.gone;
});

test('snake_case vocabulary: handshake auth, ping, typing, new_message, notification, like_update, comment_update, user_status', async () => {
  const alice = await register('alice');
  const bob = await register('bob');
  const room = await group(alice, [bob]);
  const a = await snake(alice);
  const b = await snake(bob);

  a.socket.emit('ping');
  const [pong] = await a.next('pong');
  expect(Date.parse(pong.timestamp)).not.toBeNaN();

  const joined = await a.ack('join_conversation', { conversation_id: room.id });
  expect(joined).toMatchObject({ ok: true, data: { conversation_id: room.id } });
  await b.ack('join_conversation', { conversation_id: room.id });

  // typing carries the typer's name (learnt when joining) and a flag.
  a.socket.emit('typing', { conversation_id: room.id, is_typing: true });
  const [typing] = await b.next('typing', (t) => t.is_typing);
  expect(typing).toEqual({
    conversation_id: room.id,
    user_id: alice.user.id,
    user_name: alice.user.display_name,
    is_typing: true,
  });
  a.socket.emit('typing', { conversation_id: room.id, is_typing: false });
  await b.next('typing', (t) => !t.is_typing);

  // send_message (acknowledged with the stored message) → new_message to the others.
  const sent = await a.ack('send_message', { conversation_id: room.id, content: 'hello, snake' });
  expect(sent).toMatchObject({ ok: true, data: { message: { content: 'hello, snake', seq: 1 } } });
  const [incoming] = await b.next('new_message');
  expect(incoming).toMatchObject({
    conversation_id: room.id,
    sender_id: alice.user.id,
    content: 'hello, snake',
    seq: 1,
  });
  expect(incoming.message_id).toBe((sent as { data: any }).data.message.message_id);
  expect(Date.parse(incoming.timestamp)).not.toBeNaN();

  // Posts: like and comment counters for watched posts, and the author's notifications.
  const post = await rest<Post>('POST', '/api/posts', alice.token, { body: 'a post to like' });
  const watching = await b.ack('subscribe_posts', { post_ids: [post.id] });
  expect(watching).toMatchObject({ ok: true, data: { posts: [{ post_id: post.id, like_count: 0 }] } });
  await rest('PUT', `/api/posts/${post.id}/like`, bob.token);
  const [like] = await b.next('like_update', (u) => u.post_id === post.id && u.like_count === 1);
  expect(Date.parse(like.timestamp)).not.toBeNaN();
  // Notification types in this vocabulary's words: like, comment, follow, message.
  const [liked] = await a.next('notification', (n) => n.type === 'like');
  expect(liked).toMatchObject({ user_id: bob.user.id, post_id: post.id, unread_count: 1 });
  await rest('POST', `/api/posts/${post.id}/comments`, alice.token, { body: 'first!' });
  const [comment] = await b.next('comment_update', (u) => u.comment !== undefined);
  expect(comment).toMatchObject({ post_id: post.id, comment_count: 1, comment: { content: 'first!', user_id: alice.user.id } });
  // One comment is one comment_update, with its final count (the coalesced counts that follow
  // change nothing and say nothing).
  await new Promise((r) => setTimeout(r, 300));
  expect(b.count('comment_update')).toBe(1);

  // Errors have the same codes as everywhere.
  const stranger = await register('stranger');
  const theirs = await group(stranger, []);
  expect(await a.ack('join_conversation', { conversation_id: theirs.id })).toMatchObject({
    ok: false,
    error: { code: 'NOT_A_MEMBER' },
  });
  expect(await a.ack('join_conversation', {})).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });

  // Signing out closes the user's sockets, Socket.IO ones too: error KICKED, then disconnect.
  await rest('POST', '/api/auth/logout', bob.token);
  expect(await b.next('error')).toEqual([{ code: 'KICKED', message: 'signed out' }]);
  await b.gone;
  // user_status: bob is gone → offline for alice, with last seen.
  const [status] = await a.next('user_status', (s) => s.user_id === bob.user.id && s.status === 'offline');
  expect(Date.parse(status.timestamp)).not.toBeNaN();
  expect(Date.parse(status.last_seen_at)).not.toBeNaN();
  a.close();
});

test('connecting is refused with a code: a bad handshake token, a foreign Origin, an unknown vocabulary', async () => {
  const refusal = async (options: Parameters<typeof io>[1]) => {
    const client = new Client(server(), options);
    const error = await new Promise<Error>((resolve) => client.socket.once('connect_error', resolve));
    client.close();
    return error.message;
  };
  const alice = await register('alice');
  expect(await refusal({ auth: { token: 'garbage' } })).toMatch(/^AUTH_FAILED: /);
  expect(
    await refusal({ auth: { token: alice.token }, extraHeaders: { Origin: 'https://evil.example' } }),
  ).toMatch(/^ORIGIN_NOT_ALLOWED: /);
  expect(await refusal({ auth: { token: alice.token, vocabulary: 'klingon' } })).toMatch(/^VALIDATION_FAILED: /);
  // The same token with the kebab vocabulary named explicitly is fine.
  const named = new Client(server(), { auth: { token: alice.token, vocabulary: 'kebab' } });
  expect(await named.next('auth-success')).toEqual([{ userId: alice.user.id }]);
  named.close();
});

test('limits as on /ws: an oversized event and a flood are refused, the session goes on; HTTP long-polling works too', async () => {
  const alice = await register('alice');
  const bob = await register('bob');
  const room = await group(alice, [bob]);
  // Long-polling only (no upgrade), the transport some Flask-SocketIO clients start with.
  const a = new Client(server(), { auth: { token: alice.token }, transports: ['polling'] });
  await a.next('connected');
  const b = await kebab(bob);

  const big = 'x'.repeat(60_000); // over --max-frame-bytes (48 KiB)
  const tooBig = await a.ack('send_message', { conversation_id: room.id, content: big });
  expect(tooBig).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
  const tooLong = await a.ack('send_message', { conversation_id: room.id, content: 'y'.repeat(5_000) });
  expect(tooLong).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });

  // Still connected: a message goes through, over polling, to a WebSocket client.
  const sent = await a.ack('send_message', { conversation_id: room.id, content: 'over polling' });
  expect(sent.ok).toBe(true);
  const [message] = await b.next('message-new');
  expect(message.content).toBe('over polling');

  // A flood: past the per-connection burst, events are refused with RATE_LIMITED.
  const answers = await Promise.all(Array.from({ length: 120 }, () => b.ack('heartbeat')));
  const limited = answers.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length;
  expect(limited).toBeGreaterThan(0);
  expect(answers.length - limited).toBeGreaterThan(0);
  await b.next('error', (e) => e.code === 'RATE_LIMITED');
  expect(b.socket.connected).toBe(true);
  a.close();
  b.close();
});

test('a Socket.IO client and a person in the web app see each other: messages, typing, presence', async ({ browser }) => {
  const s = server();
  const page = await signUp(browser, s, 'webuser');
  const sio = await register('sio');
  const b = await snake(sio);

  await openDirect(page, sio.user.username);
  // The app's header shows the Socket.IO user online.
  const dot = page.getByTestId('chat-presence').getByTestId('presence-dot');
  await expect(dot).toHaveAttribute('data-status', 'online');

  // The app writes: the Socket.IO client sees typing, then the message.
  await page.locator('#composer-input').fill('typing from the app');
  const [typing] = await b.next('typing', (t) => t.is_typing);
  expect(typing.user_id).not.toBe(sio.user.id);
  await page.locator('#composer-input').fill('');
  await send(page, 'hello from the app');
  const [fromApp] = await b.next('new_message', (m) => m.content === 'hello from the app');
  // The Socket.IO client reports it delivered, as the app does: the sender sees so.
  b.socket.emit('mark_delivered', { conversation_id: fromApp.conversation_id, up_to_seq: fromApp.seq });
  await expect(message(page, 'hello from the app').getByTestId('delivery')).toHaveText('delivered');

  // The Socket.IO client answers: the app shows its typing and its message.
  b.socket.emit('typing', { conversation_id: fromApp.conversation_id, is_typing: true });
  await expect(page.getByTestId('typing')).toHaveText(`${sio.user.display_name} is typing…`);
  await b.ack('send_message', { conversation_id: fromApp.conversation_id, content: 'hello from Socket.IO' });
  await expect(message(page, 'hello from Socket.IO')).toBeVisible();
  await expect(page.getByTestId('typing')).toHaveText('');
  await page.screenshot({ path: shot('socketio-conversation') });

  // The Socket.IO client leaves: the app shows it offline, with last seen.
  b.close();
  await expect(dot).toHaveAttribute('data-status', 'offline', { timeout: 15_000 });
  await expect(page.getByTestId('chat-presence')).toContainText('last seen');
  await page.context().close();
});
