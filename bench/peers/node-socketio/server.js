// A Node Socket.IO 4.8 chat server with the room/message contract of Confab's snake_case
// gateway, for confab-bench to drive side by side with Confab in one run. It is the reference
// a team would write: rooms per conversation, messages numbered in memory (nothing stored),
// receipts and typing relayed to the room. Users, tokens and groups come from `confab seed`'s
// file, so the same bench command works against both.
//
//   node server.js --seed /tmp/bench/seed.json --port 3200
'use strict';
const http = require('http');
const fs = require('fs');
const { Server } = require('socket.io');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seed = JSON.parse(fs.readFileSync(arg('seed', 'seed.json'), 'utf8'));
const port = Number(arg('port', '3200'));

const byToken = new Map(seed.users.map((u) => [u.token, u]));
const groupsOf = new Map(); // user id -> [conversation id]
const members = new Map(); // conversation id -> Set(user id)
for (const c of [...seed.groups, ...seed.directs]) {
  const ids = c.members.map((i) => seed.users[i].id);
  members.set(c.id, new Set(ids));
  for (const id of ids) {
    if (!groupsOf.has(id)) groupsOf.set(id, []);
    groupsOf.get(id).push(c.id);
  }
}
const lastSeq = new Map();
const now = () => new Date().toISOString();

const server = http.createServer();
const io = new Server(server, { transports: ['websocket', 'polling'], serveClient: false });

io.use((socket, next) => {
  const user = byToken.get(socket.handshake.auth && socket.handshake.auth.token);
  if (!user) return next(new Error('AUTH_FAILED: unknown token'));
  socket.data.user = user;
  next();
});

io.on('connection', (socket) => {
  const me = socket.data.user.id;
  // Members get their conversations' events whether or not they opened them, as on Confab.
  socket.join(`user:${me}`);
  for (const c of groupsOf.get(me) || []) socket.join(c);
  const member = (c) => members.has(c) && members.get(c).has(me);
  const refuse = (ack, code, message) => {
    socket.emit('error', { code, message });
    if (typeof ack === 'function') ack({ ok: false, error: { code, message } });
  };
  socket.emit('connected', { sid: socket.id, user_id: me, timestamp: now() });

  socket.on('ping', (ack) => {
    socket.emit('pong', { timestamp: now() });
    if (typeof ack === 'function') ack({ ok: true });
  });
  socket.on('join_conversation', ({ conversation_id } = {}, ack) => {
    if (!member(conversation_id)) return refuse(ack, 'NOT_A_MEMBER', 'not a member');
    const data = { conversation_id };
    socket.emit('conversation_joined', data);
    if (typeof ack === 'function') ack({ ok: true, data });
  });
  socket.on('send_message', ({ conversation_id, content, temp_id } = {}, ack) => {
    if (!member(conversation_id)) return refuse(ack, 'NOT_A_MEMBER', 'not a member');
    const seq = (lastSeq.get(conversation_id) || 0) + 1;
    lastSeq.set(conversation_id, seq);
    const message = {
      conversation_id, message_id: `${conversation_id}:${seq}`, sender_id: me, content, seq,
      timestamp: now(), edited_at: null, deleted: false,
    };
    socket.to(conversation_id).emit('new_message', message);
    socket.emit('message_sent', { temp_id, message });
    if (typeof ack === 'function') ack({ ok: true, data: { temp_id, message } });
  });
  for (const [event, type] of [['mark_delivered', 'delivered'], ['mark_read', 'seen']]) {
    socket.on(event, ({ conversation_id, up_to_seq } = {}) => {
      if (!member(conversation_id)) return refuse(null, 'NOT_A_MEMBER', 'not a member');
      socket.to(conversation_id).emit('receipt', { conversation_id, user_id: me, type, up_to_seq });
    });
  }
  socket.on('typing', ({ conversation_id, is_typing } = {}) => {
    if (!member(conversation_id)) return refuse(null, 'NOT_A_MEMBER', 'not a member');
    socket.to(conversation_id).emit('typing', {
      conversation_id, user_id: me, user_name: socket.data.user.username, is_typing: !!is_typing,
    });
  });
});

server.listen(port, '127.0.0.1', () => console.log(`node socket.io peer on 127.0.0.1:${port}`));
