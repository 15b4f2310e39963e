import { test, expect, Page } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { composer, message, openDirect, send, signUp } from './people';

const server = serverForFile();
/** A message that is not a reply (a reply also shows the text it quotes). */
const plain = (page: Page, text: string) => message(page, text).filter({ hasNot: page.getByTestId('quote') });

test('a reply quotes its original, jumps to it, and follows its edits and deletion', async ({ browser }) => {
  const alice = await signUp(browser, server(), 'alice');
  const bob = await signUp(browser, server(), 'bob');
  const errors = watchConsole(alice);

  await openDirect(alice, 'bob');
  await send(alice, 'The plan: ship on Friday');
  for (let i = 1; i <= 12; i++) await send(alice, `filler ${i}`);
  await expect(message(alice, 'filler 12').getByTestId('delivery')).toHaveText(/sent|delivered|seen/);

  await test.step('bob answers the first message: the composer shows what he answers', async () => {
    await bob.getByTestId('conversation').filter({ hasText: 'alice' }).click();
    const original = plain(bob, 'The plan: ship on Friday');
    await original.getByTestId('reply').click();
    await expect(bob.getByTestId('replying')).toContainText('alice');
    await expect(bob.getByTestId('replying')).toContainText('The plan: ship on Friday');
    await composer(bob).fill('Friday works');
    await composer(bob).press('Enter');
    await expect(bob.getByTestId('replying')).toHaveCount(0);
    const reply = message(bob, 'Friday works');
    await expect(reply.getByTestId('quote')).toContainText('The plan: ship on Friday');
  });

  await test.step('alice sees the quote live and jumps to her original', async () => {
    const reply = message(alice, 'Friday works');
    await expect(reply.getByTestId('quote')).toContainText('alice');
    await expect(reply.getByTestId('quote')).toContainText('The plan: ship on Friday');
    await alice.getByTestId('messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await reply.getByTestId('quote').click();
    const original = plain(alice, 'The plan: ship on Friday');
    await expect(original).toHaveClass(/highlight/);
    await expect(original).toBeInViewport();
    await alice.screenshot({ path: shot('reply-jump') });
  });

  await test.step('the quote follows an edit, a reload, and a deletion', async () => {
    const original = plain(alice, 'The plan: ship on Friday');
    await original.getByRole('button', { name: 'Edit message' }).click();
    await composer(alice).fill('The plan: ship on Monday');
    await composer(alice).press('Enter');
    await expect(message(bob, 'Friday works').getByTestId('quote')).toContainText('ship on Monday');
    await bob.reload();
    await expect(bob.getByTestId('connection')).toHaveText('connected');
    await expect(message(bob, 'Friday works').getByTestId('quote')).toContainText('ship on Monday');
    const edited = plain(alice, 'The plan: ship on Monday');
    await edited.getByRole('button', { name: 'Delete message' }).click();
    await edited.getByTestId('confirm-delete').click();
    await expect(message(bob, 'Friday works').getByTestId('quote')).toContainText('This message was deleted');
    await bob.screenshot({ path: shot('reply-deleted-original') });
  });
  expect(errors).toEqual([]);
});

test('a quote of a message beyond the loaded history loads older pages until it can show it', async ({ browser }) => {
  const alice = await signUp(browser, server(), 'carol');
  const bob = await signUp(browser, server(), 'dave');
  await openDirect(alice, 'dave');
  await send(alice, 'Where did we leave the keys?');
  await bob.getByTestId('conversation').filter({ hasText: 'carol' }).click();
  await plain(bob, 'Where did we leave the keys?').getByTestId('reply').click();
  // Much is said before dave answers: the original ends up beyond the first page (50).
  for (let i = 1; i <= 55; i++) await send(alice, `later ${i}`);
  await expect(message(bob, 'later 55')).toBeVisible();
  await composer(bob).fill('Under the mat');
  await composer(bob).press('Enter');
  await expect(message(bob, 'Under the mat').getByTestId('quote')).toContainText('Where did we leave the keys?');

  await bob.reload();
  await expect(bob.getByTestId('connection')).toHaveText('connected');
  await expect(message(bob, 'Under the mat')).toBeVisible();
  await expect(plain(bob, 'Where did we leave the keys?')).toHaveCount(0);
  await message(bob, 'Under the mat').getByTestId('quote').click();
  const original = plain(bob, 'Where did we leave the keys?');
  await expect(original).toHaveClass(/highlight/);
  await expect(original).toBeInViewport();
  await bob.screenshot({ path: shot('reply-jump-older') });
});
