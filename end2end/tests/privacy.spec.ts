// Do not disturb, blocking, moderation and muting, as people use them in two or three browsers.
import { test, expect } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { composer, message, openDirect, send, signUp } from './people';

const server = serverForFile();

test('do not disturb: others see it, and notifications wait in the bell without popping up', async ({ browser }) => {
  const gina = await signUp(browser, server(), 'gina');
  const hank = await signUp(browser, server(), 'hank');
  const errors = { gina: watchConsole(gina), hank: watchConsole(hank) };
  await openDirect(hank, 'gina');
  await send(hank, 'hi gina');
  await expect(gina.getByTestId('conversation').filter({ hasText: 'hank' })).toBeVisible();
  const ginaInList = hank.getByTestId('chat-presence');
  await expect(ginaInList.getByTestId('presence-dot')).toHaveAttribute('data-status', 'online');

  await test.step('online: a mention pops up as a toast that leads to the conversation', async () => {
    await hank.getByText('New group').click();
    await hank.getByLabel('Group name').fill('Lunch');
    await hank.getByLabel('Add members').fill('gin');
    await hank.getByRole('button', { name: 'Add gina', exact: true }).click();
    await hank.getByRole('button', { name: 'Create group' }).click();
    await expect(gina.getByTestId('toast')).toContainText('hank added you to Lunch');
    await gina.getByTestId('toast').getByRole('button', { name: 'Close' }).click();
    await expect(gina.getByTestId('toast')).toHaveCount(0);
    await gina.getByRole('button', { name: /Notifications/ }).click();
    await gina.getByRole('button', { name: 'Mark all read' }).click();
    await expect(gina.getByTestId('bell-count')).toBeHidden();
    await gina.getByRole('button', { name: /Notifications/ }).click();
  });

  await test.step('gina sets do not disturb: hank sees "busy" at once', async () => {
    await gina.getByTestId('my-status').selectOption('busy');
    await openDirect(hank, 'gina');
    await expect(ginaInList.getByTestId('presence-dot')).toHaveAttribute('data-status', 'busy');
    await expect(ginaInList).toContainText('busy (do not disturb)');
    await hank.screenshot({ path: shot('busy-seen') });
  });

  await test.step('while busy, a mention rings the bell but does not pop up', async () => {
    await hank.getByTestId('conversation').filter({ hasText: 'Lunch' }).click();
    await send(hank, '@gina pizza or sushi?');
    await expect(gina.getByTestId('bell-count')).toHaveText('1');
    await gina.waitForTimeout(500);
    await expect(gina.getByTestId('toast')).toHaveCount(0);
    await gina.screenshot({ path: shot('busy-quiet') });
  });

  await test.step('a reload keeps it; online again ends it for hank too', async () => {
    await gina.reload();
    await expect(gina.getByTestId('connection')).toHaveText('connected');
    await expect(gina.getByTestId('my-status')).toHaveValue('busy');
    await gina.getByTestId('my-status').selectOption('online');
    await openDirect(hank, 'gina');
    await expect(ginaInList.getByTestId('presence-dot')).toHaveAttribute('data-status', 'online');
  });
  expect(errors).toEqual({ gina: [], hank: [] });
});

test('blocking stops direct messages both ways, hides presence and typing, collapses group messages; unblock restores', async ({ browser }) => {
  const ivan = await signUp(browser, server(), 'ivan');
  const judy = await signUp(browser, server(), 'judy');
  const errors = { ivan: watchConsole(ivan), judy: watchConsole(judy) };
  await ivan.getByText('New group').click();
  await ivan.getByLabel('Group name').fill('Choir');
  await ivan.getByLabel('Add members').fill('jud');
  await ivan.getByRole('button', { name: 'Add judy', exact: true }).click();
  await ivan.getByRole('button', { name: 'Create group' }).click();
  await openDirect(judy, 'ivan');
  await send(judy, 'hello ivan');
  await openDirect(ivan, 'judy');
  await expect(message(ivan, 'hello ivan')).toBeVisible();

  await test.step('ivan blocks judy from her profile', async () => {
    await ivan.getByTestId('partner-profile').click();
    await expect(ivan.getByTestId('profile-name')).toHaveText('judy');
    await ivan.getByTestId('block').click();
    await expect(ivan.getByTestId('block')).toHaveText('Unblock');
    await expect(ivan.getByTestId('blocked-note')).toBeVisible();
  });

  await test.step('their direct conversation has no message box for ivan, and judy is refused', async () => {
    await ivan.getByTestId('conversation').filter({ hasText: 'judy' }).click();
    await expect(ivan.getByTestId('blocked-bar')).toContainText('You blocked judy');
    await expect(composer(ivan)).toHaveCount(0);
    await expect(ivan.getByTestId('chat-presence')).toHaveText(/blocked/);
    await send(judy, 'are you there?');
    await expect(message(judy, 'are you there?')).toHaveAttribute('data-state', 'failed');
    await expect(message(judy, 'are you there?')).toContainText('not accepting messages from you');
    await judy.screenshot({ path: shot('blocked-refused') });
  });

  await test.step('in the group, her messages are collapsed and her typing is not shown', async () => {
    await ivan.getByTestId('conversation').filter({ hasText: 'Choir' }).click();
    await judy.getByTestId('conversation').filter({ hasText: 'Choir' }).click();
    await composer(judy).pressSequentially('typing something', { delay: 20 });
    await ivan.waitForTimeout(800);
    await expect(ivan.getByTestId('typing')).toHaveText('');
    // Nor that she has the conversation open.
    await expect(ivan.getByTestId('viewers')).toHaveCount(0);
    await composer(judy).press('Enter');
    const collapsed = ivan.locator('[data-testid="message"][data-blocked="true"]');
    await expect(collapsed).toContainText('A message from someone you blocked');
    await expect(ivan.getByText('typing something')).toHaveCount(0);
    await ivan.screenshot({ path: shot('blocked-collapsed') });
    await collapsed.getByTestId('show-blocked').click();
    await expect(collapsed).toContainText('typing something');
  });

  await test.step('unblocking from the conversation restores the message box and her presence', async () => {
    await ivan.getByTestId('conversation').filter({ hasText: 'judy' }).click();
    await ivan.getByTestId('unblock').click();
    await expect(composer(ivan)).toBeVisible();
    await expect(ivan.getByTestId('chat-presence').getByTestId('presence-dot')).toHaveAttribute('data-status', 'online');
    await judy.getByTestId('conversation').filter({ hasText: 'ivan' }).click();
    await send(judy, 'second try');
    await expect(message(ivan, 'second try')).toBeVisible();
  });
  expect(errors).toEqual({ ivan: [], judy: [] });
});

test('an admin removes a message and everyone sees who did', async ({ browser }) => {
  const kate = await signUp(browser, server(), 'kate');
  const leo = await signUp(browser, server(), 'leo');
  const mia = await signUp(browser, server(), 'mia');
  await kate.getByText('New group').click();
  await kate.getByLabel('Group name').fill('Garden');
  for (const [who, q] of [['leo', 'le'], ['mia', 'mi']]) {
    await kate.getByLabel('Add members').fill(q);
    await kate.getByRole('button', { name: `Add ${who}`, exact: true }).click();
  }
  await kate.getByRole('button', { name: 'Create group' }).click();
  await mia.getByTestId('conversation').filter({ hasText: 'Garden' }).click();
  await send(mia, 'buy cheap watches here');
  await leo.getByTestId('conversation').filter({ hasText: 'Garden' }).click();
  await expect(message(leo, 'cheap watches')).toBeVisible();
  // Leo is a member: no Delete on Mia's message.
  await expect(message(leo, 'cheap watches').getByTestId('delete')).toHaveCount(0);

  await test.step('kate, the owner, makes leo an admin', async () => {
    await kate.getByTestId('members').locator('summary').click();
    const leoRow = kate.getByTestId('members').getByRole('listitem').filter({ hasText: 'leo' });
    await expect(kate.getByTestId('members').getByRole('listitem').filter({ hasText: 'kate' }).getByTestId('role')).toHaveText('owner');
    await leoRow.getByTestId('toggle-admin').click();
    await expect(leoRow.getByTestId('role')).toHaveText('admin');
  });

  await test.step('leo deletes it; the tombstone names him for everyone', async () => {
    await message(leo, 'cheap watches').getByTestId('delete').click();
    await leo.getByTestId('confirm-delete').click();
    for (const page of [kate, leo, mia]) {
      await expect(page.getByText('This message was removed by leo')).toBeVisible();
    }
    await expect(mia.getByText('cheap watches')).toHaveCount(0);
    await mia.screenshot({ path: shot('moderated') });
  });
});


test('muting a conversation: its messages ring nothing and leave the total, on every device, until unmuted', async ({ browser }) => {
  const mona = await signUp(browser, server(), 'mona');
  const ned = await signUp(browser, server(), 'ned');
  const errors = { mona: watchConsole(mona), ned: watchConsole(ned) };
  await openDirect(ned, 'mona');
  await send(ned, 'first');
  await expect(mona.getByTestId('toast')).toContainText('ned sent you a message: first');
  await expect(mona.getByTestId('total-unread')).toHaveText('1');
  const row = (page: typeof mona) => page.getByTestId('conversation').filter({ hasText: 'ned' });

  await test.step('mona mutes it for 8 hours from its header; her other tab shows it too', async () => {
    await row(mona).click();
    await expect(mona.getByTestId('total-unread')).toBeHidden();
    await mona.getByTestId('mute').selectOption('8h');
    await expect(mona.getByTestId('mute')).toHaveValue('muted');
    await expect(mona.getByTestId('mute').locator('option:checked')).toContainText(/Muted until \d\d:\d\d/);
    await expect(row(mona).getByTestId('muted')).toBeVisible();
    await mona.screenshot({ path: shot('muted-header') });
    const tab = await mona.context().newPage();
    await tab.goto(server().url);
    await expect(row(tab).getByTestId('muted')).toBeVisible();
    await tab.close();
  });

  await test.step('while muted, ned\'s messages arrive but ring nothing and stay out of the total', async () => {
    await mona.getByRole('link', { name: 'Confab', exact: true }).click();
    await send(ned, 'second');
    await send(ned, 'third');
    await expect(row(mona).getByTestId('preview')).toHaveText('third');
    await expect(row(mona).getByTestId('unread')).toHaveText('2');
    await expect(row(mona).getByTestId('unread')).toHaveClass(/quiet/);
    await mona.waitForTimeout(700);
    await expect(mona.getByTestId('total-unread')).toBeHidden();
    await expect(mona.getByTestId('bell-count')).toBeHidden();
    await expect(mona.getByTestId('toast')).toHaveCount(0);
    await mona.screenshot({ path: shot('muted-quiet') });
  });

  await test.step('at phone width the header keeps the menu reachable', async () => {
    await mona.setViewportSize({ width: 390, height: 760 });
    await row(mona).click();
    await expect(mona.getByTestId('mute')).toBeInViewport();
    await mona.screenshot({ path: shot('muted-phone') });
    await mona.setViewportSize({ width: 1280, height: 720 });
  });

  await test.step('unmuted, the next message rings and pops up again', async () => {
    await mona.getByTestId('mute').selectOption('on');
    await expect(mona.getByTestId('mute')).toHaveValue('on');
    await expect(row(mona).getByTestId('muted')).toHaveCount(0);
    await mona.getByRole('link', { name: 'Confab', exact: true }).click();
    await send(ned, 'fourth');
    await expect(mona.getByTestId('toast')).toContainText('ned sent you a message: fourth');
    await expect(mona.getByTestId('bell-count')).toHaveText('1');
    await expect(mona.getByTestId('total-unread')).toHaveText('1');
  });
  expect(errors).toEqual({ mona: [], ned: [] });
});
