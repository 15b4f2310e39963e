// Living in the app for a while: a half-typed draft and an edit in progress survive the
// keep-alive and incoming messages, each conversation keeps its own draft, the scroll position
// and an open member list stay put, and text over the limit is counted, never cut.
import { test, expect, Browser } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { composer, conversation, message, openDirect, send, signUp } from './people';

const server = serverForFile();
const register = (browser: Browser, name: string) => signUp(browser, server(), name);

test('a draft and an edit survive 30 s of keep-alives and incoming messages', async ({ browser }) => {
  test.setTimeout(120_000);
  const alice = await register(browser, 'alice');
  const bob = await register(browser, 'bob');
  await register(browser, 'carol');
  const errors = watchConsole(alice);
  await openDirect(bob, 'alice');
  await openDirect(alice, 'bob');
  await send(alice, 'My first message');
  await expect(conversation(alice, 'bob')).toBeVisible();
  await expect(alice.getByTestId('empty-conversation')).toHaveCount(0);

  const draft = 'A half-typed thought about the weekend, not sent ';
  await composer(alice).pressSequentially(draft);
  const members = alice.getByTestId('members');
  await members.locator('summary').click();
  await expect(members).toHaveAttribute('open', '');

  // 30 s: the app pings every 20 s, and bob writes meanwhile.
  for (let i = 1; i <= 6; i++) {
    await send(bob, `Meanwhile ${i}`);
    await expect(message(alice, `Meanwhile ${i}`)).toBeVisible();
    await alice.waitForTimeout(5_000);
  }
  await expect(composer(alice)).toHaveValue(draft);
  await expect(members).toHaveAttribute('open', '');
  await alice.screenshot({ path: shot('draft-after-30s') });
  await members.locator('summary').click();

  // An edit in progress survives incoming messages too; cancelling brings the draft back.
  await message(alice, 'My first message').getByRole('button', { name: 'Edit message' }).click();
  await expect(composer(alice)).toHaveValue('My first message');
  await composer(alice).pressSequentially(' (edited)');
  await send(bob, 'While alice edits');
  await expect(message(alice, 'While alice edits')).toBeVisible();
  await alice.waitForTimeout(1_000);
  await expect(composer(alice)).toHaveValue('My first message (edited)');
  await alice.getByRole('button', { name: 'Cancel' }).click();
  await expect(composer(alice)).toHaveValue(draft);

  // One draft per conversation; the member list belongs to one conversation.
  await members.locator('summary').click();
  await expect(members).toHaveAttribute('open', '');
  await openDirect(alice, 'carol');
  await expect(alice.getByTestId('members')).not.toHaveAttribute('open', '');
  await expect(alice.getByTestId('empty-conversation')).toBeVisible();
  await expect(composer(alice)).toHaveValue('');
  await composer(alice).pressSequentially('For carol');
  await conversation(alice, 'bob').click();
  await expect(composer(alice)).toHaveValue(draft);
  await conversation(alice, 'carol').click();
  await expect(composer(alice)).toHaveValue('For carol');
  expect(errors).toEqual([]);
});

test('reading older messages is not interrupted by new ones', async ({ browser }) => {
  const dan = await register(browser, 'dan');
  const eve = await register(browser, 'eve');
  await openDirect(eve, 'dan');
  for (let i = 1; i <= 40; i++) await send(eve, `Line ${i}.`);
  await openDirect(dan, 'eve');
  await expect(message(dan, 'Line 40.')).toBeVisible();
  const list = dan.getByTestId('messages');
  await list.evaluate((el) => { el.scrollTop = 0; });
  const before = await list.evaluate((el) => el.scrollTop);
  await send(eve, 'Something new');
  await expect(message(dan, 'Something new')).toHaveCount(1);
  await dan.waitForTimeout(500);
  expect(await list.evaluate((el) => el.scrollTop)).toBe(before);
});

test('text over the limit is counted, never cut, and emoji count as one character', async ({ browser }) => {
  const fay = await register(browser, 'fay');
  const gus = await register(browser, 'gus');
  await openDirect(gus, 'fay');
  await openDirect(fay, 'gus');
  const length = fay.getByTestId('composer-length');
  const sendButton = fay.getByRole('button', { name: 'Send' });

  await composer(fay).fill('x'.repeat(4001));
  await expect(length).toHaveText('1 character too long (limit 4,000)');
  await expect(sendButton).toBeDisabled();
  expect((await composer(fay).inputValue()).length).toBe(4001);
  await fay.screenshot({ path: shot('over-limit') });

  await composer(fay).fill('x'.repeat(3700));
  await expect(length).toHaveText('3,700 / 4,000');
  await expect(sendButton).toBeEnabled();

  // 2,500 emoji are 5,000 UTF-16 units but 2,500 characters: within the limit, all sent.
  const emoji = '😀'.repeat(2500);
  await composer(fay).fill(emoji);
  await expect(length).toHaveText('');
  await composer(fay).press('Enter');
  await expect(message(gus, '😀😀😀')).toHaveCount(1);
  const received = await message(gus, '😀😀😀').locator('.body').innerText();
  expect([...received].length).toBe(2500);
});
