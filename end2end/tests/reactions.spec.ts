import { test, expect, Page } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { message, openDirect, send, signUp } from './people';

const server = serverForFile();
const chip = (page: Page, text: string, emoji: string) =>
  message(page, text).locator(`[data-testid="reaction"][data-emoji="${emoji}"]`);

test('a reaction shows live in the other browser, counts once per person, and rings the author', async ({ browser }) => {
  const alice = await signUp(browser, server(), 'alice');
  const bob = await signUp(browser, server(), 'bob');
  const errors = { alice: watchConsole(alice), bob: watchConsole(bob) };

  await openDirect(alice, 'bob');
  await send(alice, 'Pizza tonight?');
  await bob.getByTestId('conversation').filter({ hasText: 'alice' }).click();
  await expect(message(bob, 'Pizza tonight?')).toBeVisible();
  // Who reacted is asked only of messages that have reactions, when pointed at.
  const asked: string[] = [];
  bob.on('request', (r) => { if (r.url().includes('/reactions')) asked.push(r.url()); });
  await message(bob, 'Pizza tonight?').getByTestId('react').hover();
  await bob.waitForTimeout(300);
  expect(asked).toEqual([]);

  await test.step('bob reacts from the picker: his chip is his, alice sees it live', async () => {
    await message(bob, 'Pizza tonight?').getByTestId('react').click();
    await bob.getByRole('button', { name: 'React with 👍' }).click();
    await expect(chip(bob, 'Pizza tonight?', '👍')).toHaveAttribute('aria-pressed', 'true');
    await expect(chip(bob, 'Pizza tonight?', '👍').getByTestId('reaction-count')).toHaveText('1');
    await expect(chip(alice, 'Pizza tonight?', '👍').getByTestId('reaction-count')).toHaveText('1');
    await expect(chip(alice, 'Pizza tonight?', '👍')).toHaveAttribute('aria-pressed', 'false');
    await expect(chip(alice, 'Pizza tonight?', '👍')).toHaveAttribute('title', '1 person reacted with 👍');
    // The picker closed once used.
    await expect(bob.getByTestId('pick-reaction')).toHaveCount(0);
  });

  await test.step('the author hears about it on the bell', async () => {
    await expect(alice.getByTestId('bell-count')).toHaveText('1');
    await alice.getByRole('button', { name: /Notifications/ }).click();
    await expect(alice.getByTestId('notification')).toHaveText(/bob reacted to your message: Pizza tonight\?/);
    await alice.getByRole('button', { name: /Notifications/ }).click();
  });

  await test.step('alice adds hers with a click on the chip: two, in both browsers', async () => {
    await chip(alice, 'Pizza tonight?', '👍').click();
    await expect(chip(alice, 'Pizza tonight?', '👍')).toHaveAttribute('aria-pressed', 'true');
    await expect(chip(bob, 'Pizza tonight?', '👍').getByTestId('reaction-count')).toHaveText('2');
    // The pointer is on the chips: they name who reacted, asked again as the reactions change.
    await expect(chip(alice, 'Pizza tonight?', '👍')).toHaveAttribute('title', 'You and bob reacted with 👍');
    await message(alice, 'Pizza tonight?').getByTestId('react').click();
    await alice.getByRole('button', { name: 'React with 🎉' }).click();
    await expect(chip(bob, 'Pizza tonight?', '🎉').getByTestId('reaction-count')).toHaveText('1');
    // Pointed at, the chips say who.
    await chip(bob, 'Pizza tonight?', '🎉').hover();
    await expect(chip(bob, 'Pizza tonight?', '🎉')).toHaveAttribute('title', 'alice reacted with 🎉');
    await expect(chip(bob, 'Pizza tonight?', '👍')).toHaveAttribute('title', 'You and alice reacted with 👍');
    expect(asked.length).toBeGreaterThan(0);
    await bob.screenshot({ path: shot('reactions') });
  });

  await test.step('bob takes his back; a reload shows what is stored, mine included', async () => {
    await chip(bob, 'Pizza tonight?', '👍').click();
    await expect(chip(alice, 'Pizza tonight?', '👍').getByTestId('reaction-count')).toHaveText('1');
    await expect(chip(bob, 'Pizza tonight?', '👍')).toHaveAttribute('aria-pressed', 'false');
    await alice.reload();
    await expect(alice.getByTestId('connection')).toHaveText('connected');
    await expect(chip(alice, 'Pizza tonight?', '👍')).toHaveAttribute('aria-pressed', 'true');
    await expect(chip(alice, 'Pizza tonight?', '🎉')).toHaveAttribute('aria-pressed', 'true');
    await expect(chip(alice, 'Pizza tonight?', '👍').getByTestId('reaction-count')).toHaveText('1');
  });

  await test.step('an edit keeps the reactions; at phone width the chips stay inside the bubble', async () => {
    await message(alice, 'Pizza tonight?').getByRole('button', { name: 'Edit message' }).click();
    await alice.locator('#composer-input').fill('Pizza tonight at 8?');
    await alice.locator('#composer-input').press('Enter');
    await expect(message(bob, 'Pizza tonight at 8?')).toBeVisible();
    await expect(chip(bob, 'Pizza tonight at 8?', '🎉').getByTestId('reaction-count')).toHaveText('1');
    await bob.setViewportSize({ width: 390, height: 800 });
    const bubble = (await message(bob, 'Pizza tonight at 8?').boundingBox())!;
    const reactions = (await message(bob, 'Pizza tonight at 8?').getByTestId('reactions').boundingBox())!;
    expect(reactions.x + reactions.width).toBeLessThanOrEqual(bubble.x + bubble.width + 1);
    await bob.screenshot({ path: shot('reactions-phone') });
  });
  expect(errors).toEqual({ alice: [], bob: [] });
});
