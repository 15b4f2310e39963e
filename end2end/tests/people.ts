// What a person does in the app, shared by the specs: sign up, find things, send.
import { expect, Browser, Page } from '@playwright/test';
import { TestServer } from './server';

/** Registers `name` in a new browser context and waits until the app is connected. */
export async function signUp(browser: Browser, server: TestServer, name: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(`password-${name}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('connection')).toHaveText('connected');
  return page;
}

export const composer = (page: Page) => page.locator('#composer-input');
export const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });
export const conversation = (page: Page, title: string) =>
  page.getByTestId('conversation').filter({ has: page.getByTestId('conversation-title').getByText(title, { exact: true }) });

/** Opens (or starts) the direct conversation with `name` from the "New message" search. */
export async function openDirect(page: Page, name: string, query = name) {
  await page.getByText('New message').click();
  await page.getByLabel('Find people').fill(query);
  // Each result's button is named for the person (screen readers list them apart).
  await page.getByRole('button', { name: `Message ${name}`, exact: true }).click();
  await expect(page.getByTestId('chat-title')).toHaveText(name);
}

export async function send(page: Page, text: string) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}
