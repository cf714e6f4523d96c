// The chat page at "/" in a real browser (Debian's chromium driven by
// playwright-core): type a message, wait for the streamed reply, compare it
// with `loom run --chat --temp 0`, check tokens/s is shown, the stop button
// stops, and the conversation survives a reload. Saves a screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, stopServer, runChatGreedy } from './harness.mjs';

const CHROMIUM = process.env.LOOM_CHROMIUM || '/usr/bin/chromium';
const OUT = process.env.LOOM_SERVE_OUT || process.cwd();
let server, browser;

before(async () => {
  server = await startServer(['-np', '2', '-c', '4096', '-t', '2']);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  assert.equal(await stopServer(server), 0);
});

test('chat_page_streams_a_reply_equal_to_loom_run', async () => {
  const want = await runChatGreedy('Hello there!', 24);
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + '/');
  await page.click('#toggle-settings');
  await page.fill('#max-tokens', '24');
  await page.locator('#temperature').fill('0');
  await page.click('#toggle-settings');
  await page.fill('#input', 'Hello there!');
  await page.keyboard.press('Enter');
  const reply = page.locator('.msg.assistant').last();
  await reply.locator('xpath=self::*[@data-state="done"]').waitFor({ timeout: 30000 });
  assert.equal(await reply.locator('.bubble').textContent(), want);
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('loom.messages'))[1].content), want);
  assert.match(await reply.locator('.stats').innerText(), /^24 tokens · [\d.]+ tok\/s · first token \d+ ms$/);
  await page.screenshot({ path: path.join(OUT, 'chat_page.png') });

  await page.reload();
  assert.equal(await page.locator('.msg').count(), 2, 'the conversation is kept in the browser');
  assert.deepEqual(errors, []);
  await page.close();
});

test('stop_button_ends_the_stream', async () => {
  const page = await browser.newPage();
  await page.goto(server.url + '/');
  await page.click('#new-chat');
  await page.evaluate(() => localStorage.setItem('loom.settings', JSON.stringify({ temperature: 0, maxTokens: 2000, system: '', apiKey: '' })));
  await page.reload();
  await page.fill('#input', 'Hello there!');   // its greedy reply runs past 24 tokens (the test above)
  await page.keyboard.press('Enter');
  const reply = page.locator('.msg.assistant').last();
  await page.waitForFunction(() => document.querySelector('.msg.assistant .bubble')?.textContent.length > 20);
  assert.equal(await page.locator('#send').innerText(), 'Stop');
  await page.click('#send');
  await reply.locator('xpath=self::*[@data-state="done"]').waitFor({ timeout: 10000 });
  assert.match(await reply.locator('.stats').innerText(), /stopped$/);
  assert.equal(await page.locator('#send').innerText(), 'Send');
  await page.close();
});
