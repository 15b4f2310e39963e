import { test, expect, Page } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { composer, conversation, message, openDirect, send, signUp } from './people';

const server = serverForFile(['--presence-grace-ms', '700']);
const register = (browser: import('@playwright/test').Browser, name: string) => signUp(browser, server(), name);

test('two people chat: typing, unread, receipts, edits, presence, reload and restart', async ({ browser }) => {
  const alice = await register(browser, 'alice');
  const bob = await register(browser, 'bob');
  const aliceErrors = watchConsole(alice);

  await test.step('alice starts a direct conversation by searching for bob', async () => {
    await openDirect(alice, 'bob', 'bo');
    await send(alice, 'Hello Bob');
    await expect(message(alice, 'Hello Bob').getByTestId('delivery')).toHaveText(/sent|delivered/);
  });

  await test.step('bob gets an unread badge; opening the conversation clears it and alice sees "seen"', async () => {
    const row = conversation(bob, 'alice');
    await expect(row.getByTestId('unread')).toHaveText('1');
    await expect(bob.getByTestId('total-unread')).toHaveText('1');
    // Screen readers hear the number with its meaning, not "1" then "unread".
    await expect(row.getByRole('img', { name: '1 unread', exact: true })).toBeVisible();
    await expect(bob.getByRole('img', { name: '1 unread messages in all' })).toBeVisible();
    await expect(row.getByTestId('presence-dot')).toHaveAttribute('data-status', 'online');
    await expect(row.getByTestId('preview')).toHaveText('Hello Bob');
    await bob.screenshot({ path: shot('conversation-list') });
    await row.click();
    await expect(message(bob, 'Hello Bob')).toBeVisible();
    await expect(row.getByTestId('unread')).toHaveCount(0);
    await expect(bob.getByTestId('total-unread')).toBeHidden();
    await expect(message(alice, 'Hello Bob').getByTestId('delivery')).toHaveText('seen');
  });

  await test.step('the typing indicator appears and disappears', async () => {
    await composer(alice).pressSequentially('Are you th');
    await expect(bob.getByTestId('typing')).toHaveText('alice is typing…');
    await composer(alice).fill('');
    await composer(alice).press('Backspace');
    await expect(bob.getByTestId('typing')).toHaveText('');
  });

  await test.step('messages flow both ways', async () => {
    await send(bob, 'Hi Alice');
    await expect(message(alice, 'Hi Alice')).toBeVisible();
    await send(alice, 'How are you?');
    await expect(message(bob, 'How are you?')).toBeVisible();
    await expect(message(alice, 'How are you?').getByTestId('delivery')).toHaveText('seen');
    await alice.screenshot({ path: shot('chat') });
  });

  await test.step('edits and deletes show on the other side', async () => {
    await message(alice, 'How are you?').getByRole('button', { name: 'Edit message' }).click();
    await composer(alice).fill('How are you doing?');
    await composer(alice).press('Enter');
    await expect(message(bob, 'How are you doing?')).toContainText('edited');
    // Delete asks first; "Keep" leaves the message alone.
    await message(alice, 'Hello Bob').getByRole('button', { name: 'Delete message' }).click();
    await message(alice, 'Hello Bob').getByRole('button', { name: 'Keep' }).click();
    await expect(message(alice, 'Hello Bob').getByRole('button', { name: 'Delete message' })).toBeVisible();
    await message(alice, 'Hello Bob').getByRole('button', { name: 'Delete message' }).click();
    await message(alice, 'Hello Bob').getByTestId('confirm-delete').click();
    await expect(message(bob, 'This message was deleted')).toHaveCount(1);
    await expect(message(bob, 'Hello Bob')).toHaveCount(0);
    // Bob cannot edit Alice's messages: there is no button for it.
    await expect(message(bob, 'How are you doing?').getByRole('button', { name: 'Edit message' })).toHaveCount(0);
  });

  await test.step('the online dot follows alice closing and reopening the app', async () => {
    const bobsView = bob.getByTestId('chat-presence').getByTestId('presence-dot');
    await expect(bobsView).toHaveAttribute('data-status', 'online');
    const aliceContext = alice.context();
    await alice.close();
    await expect(bobsView).toHaveAttribute('data-status', 'offline');
    await expect(bob.getByTestId('chat-presence')).toContainText('last seen');
    const again = await aliceContext.newPage();
    await again.goto(server().url);
    await expect(again.getByTestId('connection')).toHaveText('connected');
    await expect(bobsView).toHaveAttribute('data-status', 'online');
    await again.close();
  });

  await test.step('a reload keeps the session and the history', async () => {
    await bob.reload();
    await expect(bob.getByTestId('connection')).toHaveText('connected');
    await expect(message(bob, 'Hi Alice')).toBeVisible();
    await expect(message(bob, 'How are you doing?')).toBeVisible();
  });

  await test.step('a server restart is survived without loss or duplicates', async () => {
    const alice2 = await browser.newContext().then(async (ctx) => {
      const page = await ctx.newPage();
      await page.goto(server().url);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('password-alice');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByTestId('connection')).toHaveText('connected');
      await conversation(page, 'bob').click();
      return page;
    });
    await expect(message(alice2, 'Hi Alice')).toBeVisible();

    await server().stop();
    await expect(alice2.getByTestId('connection')).toContainText('reconnecting');
    // The server said it is going away: a notice says so, and goes once the connection is back.
    await expect(alice2.getByTestId('notice')).toContainText('restarting');
    await expect(bob.getByTestId('connection')).toContainText('reconnecting');
    // Disconnected, nobody's presence is known: not shown as online.
    await expect(bob.getByTestId('chat-presence').getByTestId('presence-dot')).toHaveAttribute('data-status', 'unknown');
    await expect(bob.getByTestId('chat-presence')).toContainText('status unknown');
    // Sent while the server is down: shown as pending, delivered after the restart.
    await send(alice2, 'Sent while the server was down');
    await expect(message(alice2, 'Sent while the server was down')).toHaveAttribute('data-state', 'pending');
    await alice2.screenshot({ path: shot('reconnecting') });
    await server().resume();

    await expect(alice2.getByTestId('connection')).toHaveText('connected', { timeout: 20_000 });
    await expect(bob.getByTestId('connection')).toHaveText('connected', { timeout: 20_000 });
    await expect(alice2.getByTestId('notice')).toHaveCount(0);
    await expect(message(bob, 'Sent while the server was down')).toHaveCount(1);
    await send(alice2, 'After the restart');
    await expect(message(bob, 'After the restart')).toHaveCount(1);
    await expect(message(alice2, 'Sent while the server was down')).toHaveCount(1);
    await expect(message(alice2, 'Sent while the server was down')).not.toHaveAttribute('data-state', 'pending');
    // Every message exactly once, in order, on both sides.
    const expected = ['This message was deleted', 'Hi Alice', 'How are you doing?', 'Sent while the server was down', 'After the restart'];
    for (const page of [alice2, bob]) {
      const bodies = await page.getByTestId('message').locator('.body').allInnerTexts();
      expect(bodies).toEqual(expected);
    }
    await bob.screenshot({ path: shot('after-restart') });
  });

  expect(aliceErrors.filter((e) => !e.includes('WebSocket') && !e.includes('ERR_CONNECTION_REFUSED'))).toEqual([]);
});

test('groups: create with members, who is here, member presence; phone layout', async ({ browser }) => {
  const carol = await register(browser, 'carol');
  const dave = await register(browser, 'dave');
  const erin = await register(browser, 'erin');
  const headerHeight = async (page: Page) => (await page.locator('header.topbar').boundingBox())!.height;
  const daveHeader = await headerHeight(dave);

  await carol.getByText('New group').click();
  await carol.getByLabel('Group name').fill('Book club');
  await carol.getByLabel('Add members').fill('dav');
  await carol.getByRole('button', { name: 'Add dave', exact: true }).click();
  await carol.getByLabel('Add members').fill('eri');
  await carol.getByRole('button', { name: 'Add erin', exact: true }).click();
  await carol.getByRole('button', { name: 'Create group' }).click();
  await expect(carol.getByTestId('chat-title')).toHaveText('Book club');
  await expect(carol.getByTestId('chat-presence')).toHaveText('3 members');
  // The panel folds once used.
  await expect(carol.getByLabel('Group name')).toBeHidden();

  // Dave and Erin were notified: the bell counts, opening it lists, opening the entry reads it.
  await expect(dave.getByTestId('bell-count')).toHaveText('1');
  // A number on the bell does not make the header taller.
  expect(await headerHeight(dave)).toBe(daveHeader);
  await dave.getByRole('button', { name: /Notifications/ }).click();
  await expect(dave.getByTestId('notification')).toHaveText(/carol added you to Book club/);
  await expect(dave.getByTestId('bell-count')).toHaveText('1');
  await expect(erin.getByTestId('bell-count')).toHaveText('1');
  await dave.screenshot({ path: shot('notifications') });
  await dave.getByTestId('notification').getByRole('link').click();
  await expect(dave.getByTestId('chat-title')).toHaveText('Book club');
  await expect(dave.getByTestId('bell-count')).toBeHidden();
  // Opening a page is not a membership change: a quiet "here" indicator, no history line.
  await expect(carol.getByTestId('viewers')).toContainText('dave is here');
  await expect(carol.getByTestId('system-line')).toHaveCount(0);
  await send(dave, 'First!');
  await expect(message(carol, 'First!')).toContainText('dave');
  await expect(conversation(erin, 'Book club').getByTestId('unread')).toHaveText('1');

  await carol.getByTestId('members').locator('summary').click();
  const members = carol.getByTestId('members');
  await expect(members.getByRole('listitem')).toHaveCount(3);
  await expect(members.getByRole('listitem').filter({ hasText: 'dave' })).toContainText('online');
  await carol.screenshot({ path: shot('group') });

  // Typing by two people at once.
  await composer(dave).pressSequentially('hm');
  await conversation(erin, 'Book club').click();
  // Erin opened the conversation her notification is about: the bell has nothing left.
  await expect(erin.getByTestId('bell-count')).toBeHidden();
  await composer(erin).pressSequentially('ok');
  await expect(carol.getByTestId('typing')).toHaveText(/(dave and erin|erin and dave) are typing…/);

  // Ticks and unread counts in a group stay exact: "delivered" while the others' tabs are
  // hidden, "seen" as soon as one of them looks, and each person's count is their own.
  const setHidden = (page: Page, hidden: boolean) =>
    page.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { value: h, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(dave, true);
  await setHidden(erin, true);
  await send(carol, 'Tick check');
  await expect(message(carol, 'Tick check').getByTestId('delivery')).toHaveText('delivered');
  await expect(dave.getByTestId('total-unread')).toHaveText('1');
  await expect(erin.getByTestId('total-unread')).toHaveText('1');
  await setHidden(dave, false);
  await expect(message(carol, 'Tick check').getByTestId('delivery')).toHaveText('seen');
  await expect(dave.getByTestId('total-unread')).toBeHidden();
  await expect(erin.getByTestId('total-unread')).toHaveText('1');
  await setHidden(erin, false);
  await expect(erin.getByTestId('total-unread')).toBeHidden();
  await expect(conversation(erin, 'Book club').getByTestId('unread')).toHaveCount(0);

  // Away: set by hand, seen by the others.
  await erin.getByTestId('my-status').selectOption('away');
  await expect(members.getByRole('listitem').filter({ hasText: 'erin' })).toContainText('away');
  await erin.getByTestId('my-status').selectOption('online');
  await expect(members.getByRole('listitem').filter({ hasText: 'erin' })).toContainText('online');

  // A phone-sized screen shows the list or the conversation, with a way back.
  await dave.setViewportSize({ width: 390, height: 760 });
  await expect(dave.getByTestId('chat-title')).toBeVisible();
  await dave.screenshot({ path: shot('phone-chat') });
  // Everything in the header stays reachable, and the bell's panel opens on screen.
  await expect(dave.getByTestId('me-name')).toBeVisible();
  await expect(dave.getByRole('link', { name: 'Status' })).toBeVisible();
  await dave.getByRole('button', { name: /Notifications/ }).click();
  const panel = (await dave.getByTestId('notifications').boundingBox())!;
  expect(panel.x).toBeGreaterThanOrEqual(0);
  expect(panel.x + panel.width).toBeLessThanOrEqual(390);
  await dave.screenshot({ path: shot('phone-notifications') });
  await dave.getByRole('button', { name: /Notifications/ }).click();
  await dave.getByRole('link', { name: 'Back to conversations' }).click();
  await expect(conversation(dave, 'Book club')).toBeVisible();
  await dave.screenshot({ path: shot('phone-list') });
});

test('errors are shown in plain words', async ({ browser }) => {
  const frank = await register(browser, 'frank');
  const page = await frank.context().newPage();
  // Registering a taken name explains itself.
  await page.goto(server().url);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Username').fill('frank');
  await page.getByLabel('Password').fill('password-frank');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('That username is taken');
});

test('older history loads when scrolling up', async ({ browser }) => {
  const gina = await register(browser, 'gina');
  const hank = await register(browser, 'hank');
  await openDirect(gina, 'hank');
  const conversationId = gina.url().split('/c/')[1];

  // Seed 60 messages over a second socket of Gina's (same cookie), under the rate limit.
  const acked = await gina.evaluate(async (id) => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    let acks = 0;
    ws.onmessage = (e) => {
      if (JSON.parse(e.data).type === 'message_ack') acks += 1;
    };
    await new Promise((resolve) => (ws.onopen = resolve));
    for (let i = 1; i <= 60; i++) {
      ws.send(JSON.stringify({ type: 'send_message', conversation_id: id, temp_id: `seed-${i}`, body: `seed ${i}` }));
      await new Promise((r) => setTimeout(r, 60));
    }
    const deadline = Date.now() + 10_000;
    while (acks < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    ws.close();
    return acks;
  }, conversationId);
  expect(acked).toBe(60);

  const body = (text: string) => hank.locator('.message .body').getByText(text, { exact: true });
  // Hank got those live; a fresh page of his starts from the newest page of history.
  await hank.reload();
  await conversation(hank, 'gina').click();
  await expect(body('seed 60')).toBeInViewport();
  await expect(hank.getByTestId('message')).toHaveCount(50);
  await expect(body('seed 1')).toHaveCount(0);
  await hank.getByTestId('messages').evaluate((el) => el.scrollTo(0, 0));
  await expect(hank.getByTestId('message')).toHaveCount(60);
  await expect(body('seed 1')).toBeVisible();
  await expect(hank.getByRole('button', { name: 'Load older messages' })).toHaveCount(0);
});

test('a tab hidden for a while shows as away, and online again when shown', async ({ browser }) => {
  const ivy = await register(browser, 'ivy');
  const jack = await register(browser, 'jack');
  await openDirect(ivy, 'jack');
  await send(ivy, 'ping');
  await conversation(jack, 'ivy').click();
  const dot = jack.getByTestId('chat-presence').getByTestId('presence-dot');
  await expect(dot).toHaveAttribute('data-status', 'online');

  const setHidden = (hidden: boolean) =>
    ivy.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { value: h, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  // Away after 15 s hidden.
  await expect(dot).toHaveAttribute('data-status', 'away', { timeout: 25_000 });
  await expect(ivy.getByTestId('my-status')).toHaveValue('away');
  // While hidden, new messages stay unread for Ivy.
  await send(jack, 'are you there?');
  await expect(ivy.getByTestId('total-unread')).toHaveText('1');
  await setHidden(false);
  await expect(dot).toHaveAttribute('data-status', 'online');
  await expect(ivy.getByTestId('total-unread')).toBeHidden();
});

test('a long last-message preview is ellipsized and the time stays in the row', async ({ browser }) => {
  const lena = await register(browser, 'lena');
  const omar = await register(browser, 'omar');
  await openDirect(lena, 'omar', 'oma');
  const long = 'A rather long message that goes on and on '.repeat(8).trim();
  await send(lena, long);
  const row = conversation(omar, 'lena');
  const preview = row.getByTestId('preview');
  await expect(preview).toHaveText(long);
  const time = row.locator('time');
  await expect(time).toBeVisible();
  const rowBox = (await row.boundingBox())!;
  const timeBox = (await time.boundingBox())!;
  expect(timeBox.x + timeBox.width).toBeLessThanOrEqual(rowBox.x + rowBox.width + 0.5);
  expect(timeBox.width).toBeGreaterThan(20);
  // Cut with an ellipsis, not wrapped and not overflowing the row.
  const cut = await preview.evaluate((el) => el.scrollWidth > el.clientWidth);
  expect(cut).toBe(true);
  await omar.screenshot({ path: shot('long-preview') });
});
