// The Flask-SocketIO messenger's client (`../shared/reference/01-homelette-flask-socketio.md`)
// in its users' own library, python-socketio: the token in the connect payload, then
// `online_users`, `private_message`, `join_conversation`, `conversation_message`, `typing` and
// what the server answers (`message_delivered`, `user_online` / `user_offline`, `user_typing`),
// against Confab unchanged, talking with a person in the web app.
import { test, expect } from '@playwright/test';
import { serverForFile, shot } from './server';
import { signUp, composer, message, conversation, send } from './people';
import { register, userId } from './rest';
import { PythonClient } from './python';

// A short reconnect grace, so that going offline can be watched.
const server = serverForFile(['--presence-grace-ms', '300']);

test('messenger (python-socketio): private and conversation messages, typing both ways, contacts online and offline, with a person in the web app', async ({ browser }) => {
  const s = server();
  const page = await signUp(browser, s, 'pyfriend');
  const py = await register(s, 'pyuser');
  const friend = await userId(s, py.token, 'pyfriend');
  const client = new PythonClient(s.url, py.token);
  await client.next('connect');
  // No contacts yet.
  expect(await client.next('online_users')).toEqual({ users: [] });

  // A private message to the person: the 1:1 conversation starts; the sender gets the message
  // back delivered, with its metadata, and now hears the person's presence.
  client.emit('private_message', { sender_id: py.user.id, recipient_id: friend, content: 'hello from python' });
  const mine = await client.next('message_delivered', (m) => m.content === 'hello from python');
  expect(mine).toMatchObject({ sender_id: py.user.id, seq: 1, deleted: false });
  expect(Date.parse(mine.created_at)).not.toBeNaN();
  const direct: string = mine.conversation_id;
  await client.next('user_online', (u) => u.user_id === friend);

  // The person sees it in the app and answers; typing shows on the python side.
  await conversation(page, py.user.username).click();
  await expect(message(page, 'hello from python')).toBeVisible();
  await composer(page).pressSequentially('hi py', { delay: 30 });
  await client.next('user_typing', (t) => t.user_id === friend && t.is_typing === true);
  await composer(page).press('Enter');
  const theirs = await client.next('message_delivered', (m) => m.content === 'hi py');
  expect(theirs).toMatchObject({ sender_id: friend, conversation_id: direct, seq: 2 });
  await client.next('user_typing', (t) => t.user_id === friend && t.is_typing === false);

  // Typing to the person (by recipient) shows in the app.
  client.emit('typing', { user_id: py.user.id, recipient_id: friend, is_typing: true });
  await expect(page.getByTestId('typing')).toHaveText(`${py.user.username} is typing…`);
  client.emit('typing', { user_id: py.user.id, recipient_id: friend, is_typing: false });
  await expect(page.getByTestId('typing')).toHaveText('');

  // Joining the conversation and writing to it as a conversation message.
  client.emit('join_conversation', { conversation_id: direct });
  client.emit('conversation_message', { sender_id: py.user.id, conversation_id: direct, content: 'in the room' });
  await expect(message(page, 'in the room')).toBeVisible();
  await client.next('message_delivered', (m) => m.content === 'in the room');
  // Typing in the conversation (by its id) shows too; leaving the room keeps the messages
  // coming (the user is still a member), as a messenger's inbox expects.
  client.emit('typing', { user_id: py.user.id, conversation_id: direct, is_typing: true });
  await expect(page.getByTestId('typing')).toHaveText(`${py.user.username} is typing…`);
  client.emit('leave_conversation', { conversation_id: direct });
  await send(page, 'still here?');
  await client.next('message_delivered', (m) => m.content === 'still here?');

  // Bad input gets an error event with a stable code: another sender, a missing field, a
  // conversation the user is not in.
  client.emit('private_message', { sender_id: friend, recipient_id: friend, content: 'forged' });
  await client.next('error', (e) => e.code === 'FORBIDDEN');
  client.emit('conversation_message', { sender_id: py.user.id, content: 'where?' });
  await client.next('error', (e) => e.code === 'INVALID_PAYLOAD');
  const stranger = await register(s, 'pystranger');
  const other = new PythonClient(s.url, stranger.token);
  await other.next('online_users');
  other.emit('conversation_message', { conversation_id: direct, content: 'let me in' });
  await other.next('error', (e) => e.code === 'NOT_A_MEMBER');
  await other.close();

  // A second python client of the person's contact connects: the person is among its online
  // contacts. Then the person closes the app: both python clients see them go.
  const again = new PythonClient(s.url, py.token);
  expect(await again.next('online_users')).toEqual({ users: [friend] });
  await page.screenshot({ path: shot('messenger-python') });
  await page.context().close();
  await client.next('user_offline', (u) => u.user_id === friend);
  await again.next('user_offline', (u) => u.user_id === friend);
  await again.close();
  await client.close();
});
