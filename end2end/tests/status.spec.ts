import { test, expect } from '@playwright/test';
import { TestServer, shot } from './server';

let server: TestServer;

test.beforeAll(async () => {
  server = await TestServer.start();
});

test.afterAll(async () => {
  await server.dispose();
});

test('register, see the live status panel, sign out', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().includes('favicon')) errors.push(msg.text());
  });
  await page.goto(server.url);
  await page.getByLabel('Username').fill('dora');
  await page.getByLabel('Password').fill('password-dora');
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page.getByTestId('me')).toHaveText('dora');
  await expect(page.getByTestId('connection')).toHaveText('connected');
  await expect(page.getByTestId('protocol')).toHaveText('v1');
  await expect(page.getByTestId('connections')).toHaveText('1');
  await page.screenshot({ path: shot('status'), fullPage: true });

  // The session survives a reload (httpOnly cookie).
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('connected');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  expect(errors).toEqual([]);
});
