// Confab's REST API as the specs' scripted clients use it: plain fetch with a bearer token.
import type { TestServer } from './server';
import type { AuthResponse } from '../../protocol/bindings/ts/AuthResponse';

/** A JSON request; throws with the status and body unless it succeeded. */
export async function rest<T>(server: TestServer, method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const res = await fetch(server.url + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

let names = 0;

/** Registers a new user whose name starts with `prefix` (unique per run). */
export async function register(server: TestServer, prefix: string, email?: string): Promise<AuthResponse> {
  names += 1;
  const username = `${prefix}${names}${Date.now() % 100000}`;
  return rest<AuthResponse>(server, 'POST', '/api/auth/register', undefined, {
    username,
    password: `password-${username}`,
    email,
  });
}

/** The id of the user called `username`, as `token`'s holder finds them. */
export async function userId(server: TestServer, token: string, username: string): Promise<string> {
  const found = await rest<{ users: { id: string; username: string }[] }>(
    server,
    'GET',
    `/api/users?q=${encodeURIComponent(username)}`,
    token,
  );
  const user = found.users.find((u) => u.username === username);
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}
