// The messaging hub's Socket.IO client (`../shared/reference/04-messaging-hub-socketio.md`),
// written as that document writes it: `io(url, { transports: ['websocket', 'polling'] })`,
// `authenticate {token}` on connect, then listening to `authenticated`, `auth_error`,
// `new_message`, `message_status_update`, `unread_count_update` and `conversation_update`,
// against Confab unchanged, while a person uses the web app.
import { test, expect } from '@playwright/test';
import io from 'socket.io-client';
import type { Socket } from 'socket.io-client';
import { serverForFile, shot } from './server';
import { signUp, openDirect, send, message, conversation } from './people';
import { rest, register, userId } from './rest';
import type { Conversation } from '../../protocol/bindings/ts/Conversation';

// A short authentication deadline, so that it can be watched happen.
const server = serverForFile(['--auth-timeout-ms', '1500']);

/** The document's client, recording what it hears so that no event is missed by a late wait. */
class HubClient {
  readonly socket: Socket;
  readonly heard: { event: string; data: any }[] = [];
  readonly gone: Promise<void>;

  constructor(token: string) {
    this.socket = io(server().url, { transports: ['websocket', 'polling'], reconnection: false });
    // Authenticate immediately after connection (as the document does).
    this.socket.on('connect', () => {
      this.socket.emit('authenticate', { token });
    });
    for (const event of [
      'authenticated',
      'auth_error',
      'new_message',
      'message_status_update',
      'unread_count_update',
      'conversation_update',
      'error',
    ]) {
      this.socket.on(event, (data: any) => this.heard.push({ event, data }));
    }
    this.gone = new Promise((resolve) => this.socket.once('disconnect', () => resolve()));
  }

  async next(event: string, match: (data: any) => boolean = () => true): Promise<any> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const hit = this.heard.find((e) => e.event === event && match(e.data));
      if (hit) return hit.data;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${event} within 10 s; heard: ${JSON.stringify(this.heard)}`);
  }
}

test('messaging hub: authenticate → authenticated {userId, email}; a bad token and a silent client get auth_error and are disconnected', async () => {
  const ann = await register(server(), 'hubann', 'Ann.Hub@Example.com');
  const client = new HubClient(ann.token);
  const authenticated = await client.next('authenticated');
  expect(authenticated).toEqual({ userId: ann.user.id, email: 'ann.hub@example.com' });
  // Where the badges start: no conversations, nothing unread.
  const counts = await client.next('unread_count_update');
  expect(counts).toMatchObject({ unreadCounts: {}, totalUnread: 0 });
  expect(Date.parse(counts.timestamp)).not.toBeNaN();
  // Anything but `authenticate` is not the hub's to send: `error {error, code, timestamp}`.
  client.socket.emit('mark_read', {});
  const error = await client.next('error');
  expect(error).toMatchObject({ code: 'INVALID_PAYLOAD' });
  expect(error.error).toContain('mark_read');
  expect(Date.parse(error.timestamp)).not.toBeNaN();
  // The hub's monitoring reads /health's services.
  const health = await (await fetch(server().url + '/health')).json();
  expect(health.status).toBe('ok');
  expect(Date.parse(health.timestamp)).not.toBeNaN();
  expect(health.services).toMatchObject({ database: 'connected', redis: 'not_configured', websocket: { status: 'active' } });
  expect(health.services.websocket.connections).toBeGreaterThanOrEqual(1);
  expect(health.services.websocket.authenticatedUsers).toBeGreaterThanOrEqual(1);

  const bad = new HubClient('not-a-token');
  const refused = await bad.next('auth_error');
  expect(refused.message).toBeTruthy();
  await bad.gone;
  expect(bad.heard.some((e) => e.event === 'authenticated')).toBe(false);

  // A client that never authenticates is told so and disconnected after the deadline.
  const silent = io(server().url, { transports: ['websocket', 'polling'], reconnection: false });
  const silentGone = new Promise<void>((resolve) => silent.once('disconnect', () => resolve()));
  const timedOut = await new Promise<any>((resolve) => silent.on('auth_error', resolve));
  expect(timedOut.message).toContain('deadline');
  await silentGone;
  client.socket.close();
});

test('messaging hub: a person in the web app writes, the hub client follows the inbox, unread counts by platform and receipts', async ({ browser }) => {
  const s = server();
  const page = await signUp(browser, s, 'hubfriend');
  const hubUser = await register(server(), 'hubuser', `hubuser${Date.now() % 100000}@example.com`);
  const hub = new HubClient(hubUser.token);
  await hub.next('authenticated');

  // The person starts a direct conversation and writes: the hub hears the conversation, the
  // message and the new unread count.
  await openDirect(page, hubUser.user.username);
  await send(page, 'hello hub');
  const update = await hub.next('conversation_update');
  expect(update.conversation).toMatchObject({ type: 'direct', platform: 'confab' });
  const direct = update.conversation.id;
  const fresh = await hub.next('new_message', (d) => d.message.content === 'hello hub');
  expect(fresh.message).toMatchObject({ conversationId: direct, platform: 'confab', seq: 1 });
  expect(Date.parse(fresh.timestamp)).not.toBeNaN();
  await hub.next('unread_count_update', (u) => u.totalUnread === 1 && u.unreadCounts.confab === 1);

  // A conversation from another platform (created by the product's backend, here over REST)
  // is counted under its platform.
  const friend = { id: await userId(s, hubUser.token, 'hubfriend') };
  const whatsapp = await rest<Conversation>(server(), 'POST', '/api/conversations', hubUser.token, {
    kind: 'group',
    title: 'From WhatsApp',
    member_ids: [friend.id],
    platform: 'WhatsApp',
  });
  expect(whatsapp.platform).toBe('whatsapp');
  const grouped = await hub.next('conversation_update', (u) => u.conversation.id === whatsapp.id);
  expect(grouped.conversation).toMatchObject({ type: 'group', platform: 'whatsapp', title: 'From WhatsApp' });
  await conversation(page, 'From WhatsApp').click();
  await send(page, 'hello from the group');
  await hub.next('new_message', (d) => d.message.content === 'hello from the group' && d.message.platform === 'whatsapp');
  await hub.next('unread_count_update', (u) => u.totalUnread === 2 && u.unreadCounts.whatsapp === 1 && u.unreadCounts.confab === 1);

  // The user reads on another device (a Socket.IO client of the kebab-case kind): the hub's
  // counts follow.
  const phone = io(s.url, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve) => phone.once('connect', () => resolve()));
  phone.emit('auth', hubUser.token);
  await new Promise<void>((resolve) => phone.once('auth-success', () => resolve()));
  phone.emit('mark-read', { conversationId: direct, upToSeq: 1 });
  await hub.next('unread_count_update', (u) => u.totalUnread === 1 && u.unreadCounts.confab === 0);

  // The user answers from that device; the person reads it in the app: the hub hears the
  // message's status change.
  const sent = await phone.timeout(10_000).emitWithAck('send-message', { conversationId: direct, tempId: 't1', content: 'seen it?' });
  expect(sent).toMatchObject({ ok: true });
  await page.getByTestId('conversation').filter({ hasText: 'seen it?' }).click();
  await expect(message(page, 'seen it?')).toBeVisible();
  const status = await hub.next('message_status_update', (u) => u.status === 'read' && u.conversationId === direct);
  expect(status.messageId).toBe(sent.data.messageId);
  await page.screenshot({ path: shot('hub-inbox') });
  phone.close();
  hub.socket.close();
  await page.context().close();
});
