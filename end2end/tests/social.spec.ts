// The social side in the browser: a post, a follow from a person's name, likes and comments
// that reach the author's bell and every open feed live.
import { test, expect, Browser } from '@playwright/test';
import { serverForFile, shot, watchConsole } from './server';
import { signUp } from './people';

const server = serverForFile();
const register = (browser: Browser, name: string) => signUp(browser, server(), name);

test('likes and comments reach the author\'s bell and an open feed live', async ({ browser }) => {
  const alice = await register(browser, 'alice');
  const bob = await register(browser, 'bob');
  const carol = await register(browser, 'carol');
  const errors = watchConsole(carol);

  await alice.getByRole('link', { name: 'Feed' }).click();
  await alice.getByLabel('Write a post').fill('Hello from Alice');
  await alice.getByRole('button', { name: 'Post' }).click();
  const alicesPost = alice.getByTestId('post').filter({ hasText: 'Hello from Alice' });
  await expect(alicesPost).toBeVisible();

  // Bob and Carol open Alice's profile from her name (a link someone shared) and follow her.
  await alicesPost.getByTestId('post-author').click();
  await expect(alice.getByTestId('profile-name')).toHaveText('alice');
  const profileUrl = alice.url();
  for (const page of [bob, carol]) {
    await page.goto(profileUrl);
    await expect(page.getByTestId('profile-name')).toHaveText('alice');
    await page.getByTestId('follow').click();
    await expect(page.getByTestId('follow')).toHaveText('Unfollow');
    await page.getByRole('link', { name: 'Feed' }).click();
    await expect(page.getByTestId('post').filter({ hasText: 'Hello from Alice' })).toBeVisible();
  }
  await expect(alice.getByTestId('bell-count')).toHaveText('2');

  // Carol keeps her feed open; Bob likes and comments.
  const carolsView = carol.getByTestId('post').filter({ hasText: 'Hello from Alice' });
  await expect(carolsView.getByTestId('like-count')).toHaveText('0 likes');
  await carolsView.getByTestId('comments-toggle').click();
  const bobsView = bob.getByTestId('post').filter({ hasText: 'Hello from Alice' });
  await bobsView.getByTestId('like').click();
  await expect(bobsView.getByTestId('like')).toHaveAttribute('aria-pressed', 'true');
  await bobsView.getByTestId('comments-toggle').click();
  await bobsView.getByPlaceholder('Write a comment…').fill('Welcome, Alice!');
  await bobsView.getByRole('button', { name: 'Comment', exact: true }).click();

  await expect(carolsView.getByTestId('like-count')).toHaveText('1 like');
  await expect(carolsView.getByTestId('comment-count')).toHaveText('1 comment');
  await expect(carolsView.getByTestId('comment')).toHaveText(/bob\s+Welcome, Alice!/);
  await expect(alice.getByTestId('bell-count')).toHaveText('4');
  await carol.screenshot({ path: shot('feed-live') });

  // Alice's bell lists every kind, and leads to the post.
  await alice.getByRole('button', { name: /Notifications/ }).click();
  const items = alice.getByTestId('notification');
  await expect(items.filter({ hasText: 'bob liked your post' })).toBeVisible();
  await expect(items.filter({ hasText: 'bob commented on your post: Welcome, Alice!' })).toBeVisible();
  await expect(items.filter({ hasText: 'carol started following you' })).toBeVisible();
  await alice.screenshot({ path: shot('bell-social') });
  await items.filter({ hasText: 'bob commented' }).getByRole('link').click();
  await expect(alice.getByTestId('comment')).toHaveText(/Welcome, Alice!/);
  // Opening one read only that one; "Mark all read" reads the rest.
  await expect(alice.getByTestId('bell-count')).toHaveText('3');
  await alice.getByRole('button', { name: /Notifications/ }).click();
  await expect(items.filter({ hasText: 'bob commented' })).not.toHaveClass(/unread/);
  await expect(items.filter({ hasText: 'carol started following you' })).toHaveClass(/unread/);
  await alice.getByTestId('mark-all-read').click();
  await expect(alice.getByTestId('bell-count')).toBeHidden();
  await expect(alice.locator('[data-testid="notification"].unread')).toHaveCount(0);
  await expect(alice.getByTestId('mark-all-read')).toBeDisabled();
  expect(errors).toEqual([]);
});
