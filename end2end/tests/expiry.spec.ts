// A session outlives its token: the app refreshes it in band before it expires, so the socket
// stays open, live messages keep coming, and a reload is still signed in.
import { test, expect, Browser } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { composer, message, openDirect, send, signUp } from './people';

// Six-second tokens, warned four seconds ahead: a refresh every couple of seconds.
const server = serverForFile(['--token-ttl-secs', '6', '--token-warning-secs', '4']);
const register = (browser: Browser, name: string) => signUp(browser, server(), name);

async function closedForExpiry(): Promise<number> {
  const text = await (await fetch(`${server().url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('confab_websocket_closed_total{code="4010"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('the app refreshes its session in band across several token lifetimes', async ({ browser }) => {
  test.setTimeout(90_000);
  const alice = await register(browser, 'alice');
  const bob = await register(browser, 'bob');
  const errors = watchConsole(alice);
  await openDirect(bob, 'alice');
  await openDirect(alice, 'bob');
  const draft = 'typed before the first token expired';
  await composer(alice).pressSequentially(draft);

  // Three token lifetimes; bob writes meanwhile and alice gets each message live.
  for (let i = 1; i <= 6; i++) {
    await alice.waitForTimeout(3_000);
    await send(bob, `While tokens turn over ${i}`);
    await expect(message(alice, `While tokens turn over ${i}`)).toBeVisible();
    await expect(alice.getByTestId('connection')).toHaveText('connected');
  }
  await expect(composer(alice)).toHaveValue(draft);
  expect(await closedForExpiry()).toBe(0);
  await alice.screenshot({ path: shot('after-three-token-lifetimes') });

  // The cookie was renewed too: a reload is still signed in.
  await alice.reload();
  await expect(alice.getByTestId('connection')).toHaveText('connected');
  expect(errors).toEqual([]);
});
