// Confab inside a product: the product's backend provisions its users and gets them tokens over
// the server API (with an API key), puts them in a conversation, posts into it and rings their
// bell; a person signed in with the token the product handed their browser sees it all live.
import { test, expect } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { rest } from './rest';
import { message } from './people';

const server = serverForFile(['--admin-usernames', 'operator']);

type Auth = { user: { id: string }; token: string };

test('a product provisions users, opens a group and posts into it; the web app shows it live', async ({ browser }) => {
  // An operator makes the backend's key.
  const operator = await rest<Auth>(server(), 'POST', '/api/auth/register', undefined, {
    username: 'operator',
    password: 'password-operator',
  });
  const created = await rest<{ key: string }>(server(), 'POST', '/api/admin/api-keys', operator.token, {
    name: 'backend',
    scopes: ['users', 'conversations', 'messages', 'events', 'notifications'],
  });
  const call = <T>(method: string, path: string, body?: unknown) =>
    rest<T>(server(), method, `/api/server/v1${path}`, created.key, body);

  // Two of the product's users, and a token for one of them, which the product hands her browser.
  await call('PUT', '/users/u-1', { username: 'ines', display_name: 'Ines' });
  await call('PUT', '/users/u-2', { username: 'omar', display_name: 'Omar' });
  const ines = await call<Auth>('POST', '/users/u-1/token');
  const context = await browser.newContext();
  const url = new URL(server().url);
  await context.addCookies([{ name: 'confab_token', value: ines.token, domain: url.hostname, path: '/' }]);
  const page = await context.newPage();
  const errors = watchConsole(page);
  // The app's conversation list comes over REST after it connects. Hold its first answer, read
  // before the group below exists, until the group has arrived live: the late list must not
  // drop it (a race that once emptied the list).
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  await page.route('**/api/conversations', async (route) => {
    if (route.request().method() !== 'GET' || !first) return route.continue();
    first = false;
    const response = await route.fetch();
    await held;
    await route.fulfill({ response });
  });
  const listed = page.waitForResponse((r) => r.url().endsWith('/api/conversations') && r.ok());
  await page.goto(server().url);
  await expect(page.getByTestId('connection')).toHaveText('connected');

  // The product opens a group for them: it appears in her list at once, and stays when the
  // list read before it existed lands.
  const group = await call<{ id: string }>('POST', '/conversations', {
    kind: 'group',
    title: 'Order 991',
    member_external_ids: ['u-2', 'u-1'],
    platform: 'shop',
  });
  const entry = page.getByTestId('conversation').filter({ hasText: 'Order 991' });
  await expect(entry).toBeVisible();
  release();
  await listed;
  await page.waitForTimeout(300);
  await expect(entry).toBeVisible();
  await entry.click();

  // A message the product posts as Omar arrives live; a retried call does not repeat it.
  const post = { sender_external_id: 'u-2', body: 'Your order has shipped', idempotency_key: 'ship-991' };
  await call('POST', `/conversations/${group.id}/messages`, post);
  await call('POST', `/conversations/${group.id}/messages`, post);
  await expect(message(page, 'Your order has shipped')).toHaveCount(1);
  await page.waitForTimeout(500);
  await expect(message(page, 'Your order has shipped')).toHaveCount(1);
  await page.screenshot({ path: shot('product-posted-message') });

  // An announcement the product posts as the system: centred, from "Announcement".
  await call('POST', `/conversations/${group.id}/messages`, {
    body: 'The shop closes at 18:00 today',
    idempotency_key: 'closing-1',
  });
  const announcement = message(page, 'The shop closes at 18:00 today');
  await expect(announcement).toHaveClass(/announcement/);
  await expect(announcement.locator('.sender')).toHaveText('Announcement');
  await page.screenshot({ path: shot('product-announcement') });

  // The product rings her bell; the notification leads where the product says.
  await page.goto(`${server().url}/`);
  await expect(page.getByTestId('connection')).toHaveText('connected');
  await call('POST', '/notifications', {
    user_external_ids: ['u-1'],
    actor_external_id: 'u-2',
    text: 'Omar needs your delivery address',
    link: `/c/${group.id}`,
  });
  await expect(page.getByTestId('bell-count')).toHaveText('1');
  await page.getByRole('button', { name: /Notifications/ }).click();
  const note = page.getByTestId('notification').filter({ hasText: 'Omar needs your delivery address' });
  await expect(note).toBeVisible();
  await page.screenshot({ path: shot('product-notification') });
  await note.getByRole('link').click();
  await expect(page.getByTestId('chat-title')).toHaveText('Order 991');
  expect(errors).toEqual([]);
});
