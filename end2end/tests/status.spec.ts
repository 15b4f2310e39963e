import { test, expect } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';

const server = serverForFile();

test('register, see the live status page, sign out and back in', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto(server().url);
  await page.getByLabel('Username').fill('dora');
  await page.getByLabel('Password').fill('password-dora');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('connection')).toHaveText('connected');

  await page.getByRole('link', { name: 'Status' }).click();
  await expect(page.getByTestId('me')).toHaveText('dora');
  await expect(page.getByTestId('protocol')).toHaveText('v7');
  await expect(page.getByTestId('database')).toHaveText('ok (sqlite)');
  await expect(page.getByTestId('connections')).toHaveText('1');
  await page.screenshot({ path: shot('status'), fullPage: true });

  // The session survives a reload (httpOnly cookie), on any route.
  await page.reload();
  await expect(page.getByTestId('status-connection')).toHaveText('connected');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByLabel('Username').fill('dora');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password');
  await page.screenshot({ path: shot('sign-in-error') });
  await page.getByLabel('Password').fill('password-dora');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('connection')).toHaveText('connected');
  // The one expected failure is the wrong password's 401.
  expect(errors.filter((e) => !e.includes('status of 401'))).toEqual([]);
});
