import { test, expect } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { message, openDirect, send, signUp } from './people';

const server = serverForFile();

test('search finds an old message and opens its conversation there, with its context', async ({ browser }) => {
  const alice = await signUp(browser, server(), 'alice');
  const bob = await signUp(browser, server(), 'bob');
  const errors = watchConsole(bob);
  await openDirect(alice, 'bob');
  await send(alice, 'The spare key is under the blue flowerpot');
  for (let i = 1; i <= 60; i++) await send(alice, `chatter ${i}`);
  await expect(message(alice, 'chatter 60').getByTestId('delivery')).toHaveText(/sent|delivered|seen/);

  await bob.getByTestId('message-search').locator('summary').click();
  await bob.getByLabel('Search messages').fill('flowerp');
  const result = bob.getByTestId('search-result');
  await expect(result).toHaveCount(1);
  await expect(result).toContainText('alice');
  await expect(result).toContainText('The spare key is under the blue flowerpot');
  await bob.screenshot({ path: shot('search-results') });

  await result.getByRole('link').click();
  await expect(bob.getByTestId('chat-title')).toHaveText('alice');
  // The message is beyond the first page: older pages load until it is there.
  const found = message(bob, 'The spare key is under the blue flowerpot');
  await expect(found).toHaveClass(/highlight/);
  await expect(found).toBeInViewport();
  // Its context is loaded around it.
  await expect(message(bob, 'chatter 1').first()).toBeAttached();
  await bob.screenshot({ path: shot('search-jump') });

  // Only this conversation: carol's flowerpot is left out until the box is unticked.
  const carol = await signUp(browser, server(), 'carol');
  await openDirect(carol, 'bob');
  await send(carol, 'My flowerpot broke');
  await expect(bob.getByTestId('conversation').filter({ hasText: 'carol' })).toBeVisible();
  await bob.getByTestId('search-here').check();
  await bob.getByLabel('Search messages').fill('flowerpot');
  await expect(bob.getByTestId('search-result')).toHaveCount(1);
  await bob.getByTestId('search-here').uncheck();
  await expect(bob.getByTestId('search-result')).toHaveCount(2);
  await expect(bob.getByTestId('search-result').first()).toContainText('My flowerpot broke');

  await bob.getByLabel('Search messages').fill('zebra');
  await expect(bob.getByTestId('no-results')).toHaveText('No messages found');
  expect(errors).toEqual([]);
});
