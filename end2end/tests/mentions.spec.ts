import { test, expect } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { conversation, message, send, signUp } from './people';

const server = serverForFile();

test('a mention rings the bell of someone who never opened the group and marks it in the list', async ({ browser }) => {
  const carol = await signUp(browser, server(), 'carol');
  const dave = await signUp(browser, server(), 'dave');
  const erin = await signUp(browser, server(), 'erin');
  const errors = { carol: watchConsole(carol), dave: watchConsole(dave) };

  await carol.getByText('New group').click();
  await carol.getByLabel('Group name').fill('Book club');
  await carol.getByLabel('Add members').fill('dav');
  await carol.getByRole('button', { name: 'Add dave', exact: true }).click();
  await carol.getByLabel('Add members').fill('eri');
  await carol.getByRole('button', { name: 'Add erin', exact: true }).click();
  await carol.getByRole('button', { name: 'Create group' }).click();
  await expect(carol.getByTestId('chat-title')).toHaveText('Book club');
  // Being added rang their bells; read that first, so the mention is what rings next.
  for (const page of [dave, erin]) {
    await expect(page.getByTestId('bell-count')).toHaveText('1');
    await page.getByRole('button', { name: /Notifications/ }).click();
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await expect(page.getByTestId('bell-count')).toBeHidden();
    await page.getByRole('button', { name: /Notifications/ }).click();
  }

  await send(carol, 'Next book: @dave picks. Thoughts, @nobody?');
  const sent = message(carol, 'Next book');
  await expect(sent.getByTestId('mention-link')).toHaveText('@dave');
  await expect(sent.getByTestId('mention-link')).toHaveAttribute('href', /\/u\//);

  await test.step('dave, who never opened the group, is rung and sees "@" in his list', async () => {
    await expect(dave.getByTestId('bell-count')).toHaveText('1');
    await expect(conversation(dave, 'Book club').getByTestId('mention')).toBeVisible();
    await expect(conversation(dave, 'Book club').getByTestId('unread')).toHaveText('1');
    // Erin was not mentioned: unread, but no "@" and no bell.
    await expect(conversation(erin, 'Book club').getByTestId('unread')).toHaveText('1');
    await expect(conversation(erin, 'Book club').getByTestId('mention')).toHaveCount(0);
    await expect(erin.getByTestId('bell-count')).toBeHidden();
    await dave.screenshot({ path: shot('mention-list') });
    await dave.getByRole('button', { name: /Notifications/ }).click();
    await expect(dave.getByTestId('notification').first()).toHaveText(/carol mentioned you in Book club: Next book: @dave picks/);
  });

  await test.step('opening it from the bell shows the mention, linked and highlighted, and clears the "@"', async () => {
    await dave.getByTestId('notification').first().getByRole('link').click();
    await expect(dave.getByTestId('chat-title')).toHaveText('Book club');
    const received = message(dave, 'Next book');
    await expect(received).toHaveClass(/mentions-me/);
    await expect(received.getByTestId('mention-link')).toHaveText('@dave');
    await expect(received.getByTestId('mention-link')).toHaveClass(/me/);
    // "@nobody" is no member: plain text.
    await expect(received.getByTestId('mention-link')).toHaveCount(1);
    await expect(conversation(dave, 'Book club').getByTestId('mention')).toHaveCount(0);
    await expect(dave.getByTestId('bell-count')).toBeHidden();
    await dave.screenshot({ path: shot('mention-open') });
    await received.getByTestId('mention-link').click();
    await expect(dave).toHaveURL(/\/u\//);
  });
  expect(errors).toEqual({ carol: [], dave: [] });
});
