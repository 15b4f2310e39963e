// Pictures and files: attach, watch the upload's progress, send when it is up; the other
// browser sees the thumbnail the server made; a renamed program is refused.
import { test, expect, Page } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { composer, message, openDirect, signUp } from './people';

const server = serverForFile();

/** A PNG of noise (it does not compress: about 1.4 MB), drawn by the browser. */
async function noisePng(page: Page): Promise<Buffer> {
  const bytes: number[] = await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 800;
    canvas.height = 600;
    const ctx = canvas.getContext('2d')!;
    const image = ctx.createImageData(800, 600);
    for (let i = 0; i < image.data.length; i++) image.data[i] = i % 4 === 3 ? 255 : Math.floor(Math.random() * 256);
    ctx.putImageData(image, 0, 0);
    const blob: Blob = await new Promise((done) => canvas.toBlob((b) => done(b!), 'image/png'));
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

test('a picture uploads with progress, goes with the message, and shows as a thumbnail in the other browser', async ({ browser }) => {
  const nora = await signUp(browser, server(), 'nora');
  const omar = await signUp(browser, server(), 'omar');
  const errors = { nora: watchConsole(nora), omar: watchConsole(omar) };
  await openDirect(nora, 'omar');
  await openDirect(omar, 'nora');
  const picture = await noisePng(nora);
  expect(picture.length).toBeGreaterThan(500_000);

  await test.step('a slow upload shows its progress, and Send waits for it', async () => {
    const cdp = await nora.context().newCDPSession(nora);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 250 * 1024,
    });
    await nora.getByTestId('attach-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: picture });
    const row = nora.getByTestId('upload').filter({ hasText: 'sunset.png' });
    await expect(row).toHaveAttribute('data-state', 'uploading');
    await expect(nora.getByRole('button', { name: 'Send' })).toBeDisabled();
    // Part of the way there: the bar moves.
    await expect.poll(async () => Number(await row.getByTestId('upload-progress').getAttribute('value')), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await composer(nora).fill('Look at this sunset');
    await nora.screenshot({ path: shot('upload-progress') });
    await expect(row).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
    });
    await expect(nora.getByRole('button', { name: 'Send' })).toBeEnabled();
    await composer(nora).press('Enter');
    await expect(nora.getByTestId('uploads')).toHaveCount(0);
  });

  await test.step('omar sees the text and the thumbnail, which opens the picture', async () => {
    const received = message(omar, 'Look at this sunset');
    const thumb = received.getByTestId('picture').locator('img');
    await expect(thumb).toBeVisible();
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);
    await expect(received.getByTestId('picture')).toHaveAttribute('href', /\/api\/files\//);
    await omar.screenshot({ path: shot('picture-received') });
    // The list says what came.
    await expect(nora.getByTestId('conversation').filter({ hasText: 'omar' })).toContainText('Look at this sunset');
  });

  await test.step('a program named like a picture is refused; a text file goes as a named download', async () => {
    const program = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0]);
    await omar.getByTestId('attach-input').setInputFiles({ name: 'cute-cat.png', mimeType: 'image/png', buffer: program });
    const refused = omar.getByTestId('upload').filter({ hasText: 'cute-cat.png' });
    await expect(refused).toHaveAttribute('data-state', 'failed');
    await expect(refused).toContainText('not allowed');
    await expect(omar.getByRole('button', { name: 'Send' })).toBeDisabled();
    await refused.getByRole('button', { name: 'Remove this file' }).click();
    await omar.getByTestId('attach-input').setInputFiles({ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('1. beach\n2. dinner\n') });
    await expect(omar.getByTestId('upload').filter({ hasText: 'plan.txt' })).toHaveAttribute('data-state', 'done');
    await composer(omar).press('Enter');
    const file = nora.getByTestId('file').filter({ hasText: 'plan.txt' });
    await expect(file).toBeVisible();
    await expect(file).toHaveAttribute('download', 'plan.txt');
    await expect(nora.getByTestId('conversation').filter({ hasText: 'omar' })).toContainText('📎 plan.txt');
  });

  await test.step('at phone width the picture stays inside the screen', async () => {
    await omar.setViewportSize({ width: 390, height: 760 });
    const box = (await message(omar, 'Look at this sunset').getByTestId('picture').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    await omar.screenshot({ path: shot('picture-phone') });
  });
  // The browser reports the refused upload (422) itself; nothing else went wrong.
  expect({ nora: errors.nora, omar: errors.omar.filter((e) => !e.includes('422')) }).toEqual({ nora: [], omar: [] });
});
