// The FastAPI chat service's client (`../shared/reference/03-pulse-fastapi-websocket.md`): its
// REST API under `/api/chat/` and its `ChatClient` class, run as the document writes it in a
// real browser (a plain `WebSocket` to `/api/chat/ws/{conversation_id}?token=`), against Confab
// unchanged, talking with a person in the web app.
import { test, expect } from '@playwright/test';
import { serverForFile, shot } from './server';
import { signUp, conversation, message, composer, send } from './people';
import { rest, register, userId } from './rest';

const server = serverForFile();

/** The document's JavaScript client, verbatim but for recording what it handles. */
const CHAT_CLIENT = `
class ChatClient {
  constructor(conversationId, token) {
    this.conversationId = conversationId;
    this.token = token;
    this.ws = null;
  }

  connect() {
    const url = \`ws://\${location.host}/api/chat/ws/\${this.conversationId}?token=\${this.token}\`;
    this.ws = new WebSocket(url);

    this.ws.onopen = () => {
      console.log("Connected to conversation");
    };

    this.ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      this.handleMessage(message);
    };

    this.ws.onerror = (error) => {
      console.error("WebSocket error:", error);
    };

    this.ws.onclose = () => {
      console.log("Disconnected from conversation");
    };
  }

  sendMessage(content) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(
        JSON.stringify({
          type: "message",
          content: content,
        }),
      );
    }
  }

  sendTyping() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(
        JSON.stringify({
          type: "typing",
        }),
      );
    }
  }

  handleMessage(message) {
    window.heard.push(message);
  }

  disconnect() {
    if (this.ws) {
      this.ws.close();
    }
  }
}
window.heard = [];
window.ChatClient = ChatClient;
`;

test('chat service (plain WebSocket): the document\'s ChatClient and REST API with a person in the web app', async ({ browser }) => {
  const s = server();
  const page = await signUp(browser, s, 'pulsefriend');
  const pulse = await register(s, 'pulseuser');
  const friend = await userId(s, pulse.token, 'pulsefriend');

  // REST: a group with a description, and the 1-on-1 conversation.
  const team = await rest<any>(s, 'POST', '/api/chat/conversations', pulse.token, {
    name: 'Team Discussion',
    description: 'Discuss project plans',
    is_group: true,
    participant_ids: [friend],
  });
  expect(team).toMatchObject({ name: 'Team Discussion', description: 'Discuss project plans', is_group: true });
  expect(team.participant_ids).toEqual(expect.arrayContaining([friend, pulse.user.id]));
  const listed = await rest<any[]>(s, 'GET', '/api/chat/conversations?limit=50&offset=0', pulse.token);
  expect(listed.map((c) => c.id)).toContain(team.id);
  expect(await rest<any>(s, 'GET', `/api/chat/conversations/${team.id}`, pulse.token)).toMatchObject({ id: team.id });

  // The document's client, in a browser page of the same origin.
  const clientPage = await (await browser.newContext()).newPage();
  await clientPage.goto(`${s.url}/api/ws/status`);
  await clientPage.evaluate(CHAT_CLIENT);
  await clientPage.evaluate(([id, token]) => {
    (window as any).client = new (window as any).ChatClient(id, token);
    (window as any).client.connect();
  }, [team.id, pulse.token]);
  const heard = (match: (m: any) => boolean) =>
    expect.poll(async () => (await clientPage.evaluate(() => (window as any).heard)).find(match), { timeout: 10_000 }).toBeTruthy();
  await heard((m) => m.type === 'system' && m.content === `User ${pulse.user.username} joined the conversation`);

  // The person opens the group in the app: the client is told, with who is here.
  await conversation(page, 'Team Discussion').click();
  await expect(page.getByTestId('chat-description')).toHaveText('Discuss project plans');
  await heard((m) => m.type === 'system' && m.content === 'User pulsefriend joined the conversation' && m.active_users.length === 2);

  // The client writes; the person reads it in the app and answers; typing both ways.
  await clientPage.evaluate(() => (window as any).client.sendMessage('Hello, everyone!'));
  await expect(message(page, 'Hello, everyone!')).toBeVisible();
  await heard((m) => m.type === 'message' && m.content === 'Hello, everyone!' && m.sender_username === pulse.user.username);
  await composer(page).pressSequentially('hi', { delay: 30 });
  await heard((m) => m.type === 'typing' && m.sender_username === 'pulsefriend');
  await send(page, 'hi from the app');
  await heard((m) => m.type === 'message' && m.content === 'hi from the app' && m.sender_id === friend && m.is_edited === false);
  await clientPage.evaluate(() => (window as any).client.sendTyping());
  await expect(page.getByTestId('typing')).toHaveText(`${pulse.user.username} is typing…`);

  // An empty message is an error frame.
  await clientPage.evaluate(() => (window as any).client.sendMessage(''));
  await heard((m) => m.type === 'error' && m.code === 'VALIDATION_FAILED');

  // The history over REST, oldest first.
  const history = await rest<any[]>(s, 'GET', `/api/chat/conversations/${team.id}/messages?limit=50&offset=0`, pulse.token);
  expect(history.map((m) => [m.content, m.sender_username])).toEqual([
    ['Hello, everyone!', pulse.user.username],
    ['hi from the app', 'pulsefriend'],
  ]);
  await page.screenshot({ path: shot('pulse-chat') });

  // The person closes the app: the client is told they left.
  await page.context().close();
  await heard((m) => m.type === 'system' && m.content === 'User pulsefriend left the conversation');

  // A token that is not valid never gets a socket.
  const refused = await clientPage.evaluate(
    (id) =>
      new Promise((resolve) => {
        const ws = new WebSocket(`ws://${location.host}/api/chat/ws/${id}?token=nope`);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('refused');
      }),
    team.id,
  );
  expect(refused).toBe('refused');
  await clientPage.evaluate(() => (window as any).client.disconnect());
  await clientPage.context().close();
});
