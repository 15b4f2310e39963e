// The Flask-SocketIO social app's Python client (`../shared/reference/02-hiremebahamas-flask-
// socketio.md`): python-socketio with the token in the handshake, `connected`, `ping` → `pong`,
// `notification` (like, comment, follow, message), `like_update` and `comment_update` for the
// posts of its feed without any subscription call, `join_conversation`, `typing`,
// `new_message`, `user_status`; and the REST routes its front-end calls (`POST
// /api/posts/{id}/like` → `likes_count`, `GET /api/ws/status`, `POST /api/ws/test-notification`),
// against Confab unchanged, with a person in the web app.
import { test, expect } from '@playwright/test';
import { serverForFile, shot } from './server';
import { signUp, openDirect, send, composer } from './people';
import { rest, register, userId } from './rest';
import { PythonClient } from './python';
import type { Post } from '../../protocol/bindings/ts/Post';

const server = serverForFile(['--presence-grace-ms', '300']);

test('social app (python-socketio): feed counters and notifications live, chat with typing, status and test routes, with a person in the web app', async ({ browser }) => {
  const s = server();
  const page = await signUp(browser, s, 'webfriend');
  const py = await register(s, 'pysocial');
  const friend = await userId(s, py.token, 'webfriend');
  // The person posts in the app; the python user follows them and posts too: both posts are
  // in the python user's feed.
  await page.getByRole('link', { name: 'Feed' }).click();
  await page.getByLabel('Write a post').fill('Post from the web');
  await page.getByRole('button', { name: 'Post' }).click();
  await expect(page.getByTestId('post').filter({ hasText: 'Post from the web' })).toBeVisible();
  await rest(s, 'PUT', `/api/users/${friend}/follow`, py.token);
  const feed = await rest<{ posts: Post[] }>(s, 'GET', '/api/feed', py.token);
  const theirs = feed.posts.find((p) => p.body === 'Post from the web')!;
  const mine = await rest<Post>(s, 'POST', '/api/posts', py.token, { body: 'Post from python' });

  const client = new PythonClient(s.url, py.token);
  const connected = await client.next('connected');
  expect(connected.user_id).toBe(py.user.id);
  expect(Date.parse(connected.timestamp)).not.toBeNaN();
  client.emit('ping', null);
  expect(Date.parse((await client.next('pong')).timestamp)).not.toBeNaN();

  // The REST like button toggles and answers likes_count; the feed's counter moves live.
  const liked = await rest<any>(s, 'POST', `/api/posts/${theirs.id}/like`, py.token);
  expect(liked).toMatchObject({ success: true, liked: true, likes_count: 1, post_id: theirs.id });
  await client.next('like_update', (u) => u.post_id === theirs.id && u.like_count === 1);
  const unliked = await rest<any>(s, 'POST', `/api/posts/${theirs.id}/like`, py.token);
  expect(unliked).toMatchObject({ liked: false, likes_count: 0 });
  await client.next('like_update', (u) => u.post_id === theirs.id && u.like_count === 0);

  // The person likes and comments on the python user's post in the app: counters and
  // notifications, in this vocabulary's words.
  await page.goto(`${s.url}/p/${mine.id}`);
  const post = page.getByTestId('post').filter({ hasText: 'Post from python' });
  await post.getByTestId('like').click();
  const like = await client.next('like_update', (u) => u.post_id === mine.id);
  expect(like.like_count).toBe(1);
  const likeNote = await client.next('notification', (n) => n.type === 'like');
  expect(likeNote).toMatchObject({ user_id: friend, post_id: mine.id });
  expect(Date.parse(likeNote.timestamp)).not.toBeNaN();
  // (The post's own page shows its comments open.)
  await post.getByPlaceholder('Write a comment…').fill('Nice post!');
  await post.getByRole('button', { name: 'Comment', exact: true }).click();
  const comment = await client.next('comment_update', (u) => u.post_id === mine.id);
  expect(comment).toMatchObject({ comment_count: 1, comment: { content: 'Nice post!', user_id: friend } });
  await client.next('notification', (n) => n.type === 'comment');
  // One comment, one comment_update.
  await new Promise((r) => setTimeout(r, 300));
  expect(client.heard.filter((e) => e.event === 'comment_update')).toHaveLength(1);

  // The person follows back from the python user's page: a follow notification.
  await page.goto(`${s.url}/u/${py.user.id}`);
  await page.getByTestId('follow').click();
  await client.next('notification', (n) => n.type === 'follow' && n.user_id === friend);

  // Chat: the person writes; the python user hears the message and its notification, joins,
  // and both see each other type.
  await openDirect(page, py.user.username);
  await send(page, 'hello python');
  const incoming = await client.next('new_message', (m) => m.content === 'hello python');
  expect(incoming).toMatchObject({ sender_id: friend, seq: 1 });
  await client.next('notification', (n) => n.type === 'message');
  const conversation: string = incoming.conversation_id;
  client.emit('join_conversation', { conversation_id: conversation });
  client.emit('typing', { conversation_id: conversation, is_typing: true });
  await expect(page.getByTestId('typing')).toHaveText(`${py.user.username} is typing…`);
  client.emit('typing', { conversation_id: conversation, is_typing: false });
  await expect(page.getByTestId('typing')).toHaveText('');
  await composer(page).pressSequentially('typing back', { delay: 30 });
  const typing = await client.next('typing', (t) => t.user_id === friend && t.is_typing === true);
  expect(typing).toMatchObject({ conversation_id: conversation, user_name: 'webfriend' });

  // Leaving the room is accepted (no error); as a member the user still gets its messages.
  client.emit('leave_conversation', { conversation_id: conversation });
  await send(page, 'after leaving');
  await client.next('new_message', (m) => m.content === 'after leaving');
  expect(client.heard.filter((e) => e.event === 'error')).toEqual([]);

  // The service's own REST routes.
  const status = await rest<any>(s, 'GET', '/api/ws/status');
  expect(status).toMatchObject({ success: true, websocket_enabled: true, redis_enabled: false });
  expect(status.active_connections).toBeGreaterThanOrEqual(2);
  expect(status.online_users).toBeGreaterThanOrEqual(2);
  const sent = await rest<any>(s, 'POST', '/api/ws/test-notification', py.token, { message: 'Test notification message' });
  expect(sent).toMatchObject({ success: true, message: 'Test notification sent', user_id: py.user.id });
  await client.next('notification', (n) => n.type === 'test' && n.message === 'Test notification message');
  await page.screenshot({ path: shot('social-python') });

  // The person leaves: user_status offline for the member of the conversation joined.
  await page.context().close();
  const gone = await client.next('user_status', (u) => u.user_id === friend && u.status === 'offline');
  expect(Date.parse(gone.timestamp)).not.toBeNaN();
  await client.close();
});
