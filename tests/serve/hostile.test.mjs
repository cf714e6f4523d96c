// Hostile clients: malformed JSON, wrong types, absurd values, a huge body,
// unknown routes, a silent and a slow client, many idle connections. Each
// gets a clean OpenAI error (or is closed) and the server keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, stopServer, postJson, getJson, rawRequest, sleep } from './harness.mjs';

let server;
before(async () => { server = await startServer(['-np', '2', '-c', '1024', '-t', '2', '--timeout', '2', '--body-limit', '65536']); });
after(async () => { assert.equal(await stopServer(server), 0); });

const chat = (body) => postJson(server.url, '/v1/chat/completions', body);
const ok = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, temperature: 0 };

async function stillAnswers() {
  const r = await chat(ok);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.usage.completion_tokens, 2);
}

function assertError(r, status, param) {
  assert.equal(r.status, status, r.text);
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 0);
  assert.ok(['invalid_request_error', 'server_error'].includes(r.body.error.type));
  if (param !== undefined) {
    assert.equal(r.body.error.param, param);
    assert.ok(r.body.error.message.includes(param), `the message names ${param}: ${r.body.error.message}`);
  }
}

test('malformed_json_gets_400', async () => {
  for (const body of ['{', '{"messages": [}', 'null', '[1,2]', '"text"', '', '{"messages":[{"role":"user","content":"\udc00"}]}x'])
    assertError(await chat(body), 400);
  await stillAnswers();
});

test('wrong_types_and_absurd_values_get_400_naming_the_field', async () => {
  const cases = [
    [{ ...ok, temperature: 'hot' }, 'temperature'],
    [{ ...ok, temperature: 1e9 }, 'temperature'],
    [{ ...ok, top_p: -1 }, 'top_p'],
    [{ ...ok, max_tokens: -5 }, 'max_tokens'],
    [{ ...ok, max_tokens: 1e15 }, 'max_tokens'],
    [{ ...ok, max_tokens: 2.5 }, 'max_tokens'],
    [{ ...ok, n: 1000 }, 'n'],
    [{ ...ok, n: 0 }, 'n'],
    [{ ...ok, seed: 'x' }, 'seed'],
    [{ ...ok, stream: 'yes' }, 'stream'],
    [{ ...ok, stop: 5 }, 'stop'],
    [{ ...ok, stop: [''] }, 'stop'],
    [{ ...ok, presence_penalty: 3 }, 'presence_penalty'],
    [{ ...ok, logit_bias: { abc: 1 } }, 'logit_bias'],
    [{ ...ok, logit_bias: { 5: 1000 } }, 'logit_bias'],
    [{ ...ok, logit_bias: { 99999999: 1 } }, 'logit_bias'],
    [{ ...ok, logprobs: true, top_logprobs: 50 }, 'top_logprobs'],
    [{ ...ok, messages: 'hi' }, 'messages'],
    [{ ...ok, messages: [] }, 'messages'],
    [{ ...ok, messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
    [{ ...ok, messages: [{ role: 'user', content: 7 }] }, 'messages[0].content'],
    [{ max_tokens: 2 }, 'messages'],
  ];
  for (const [body, param] of cases) assertError(await chat(body), 400, param);
  const long = await chat({ ...ok, messages: [{ role: 'user', content: 'word '.repeat(2000) }] });
  assertError(long, 400, 'messages');
  assert.equal(long.body.error.code, 'context_length_exceeded');
  assertError(await postJson(server.url, '/v1/completions', { prompt: [1, -3] }), 400, 'prompt');
  assertError(await postJson(server.url, '/v1/embeddings', { input: 42 }), 400, 'input');
  await stillAnswers();
});

test('huge_body_gets_413_and_unknown_routes_404', async () => {
  const huge = await chat({ ...ok, messages: [{ role: 'user', content: 'x'.repeat(1 << 20) }] });
  assertError(huge, 413);
  assertError(await postJson(server.url, '/v1/nothing', ok), 404);
  assertError(await getJson(server.url, '/v1/chat/completions').then((r) => ({ ...r, text: '' })), 404);
  await stillAnswers();
});

test('unknown_fields_are_ignored', async () => {
  const r = await chat({ ...ok, user: 'u1', tools: [], response_format: { type: 'text' }, frobnicate: { a: [1] } });
  assert.equal(r.status, 200);
});

test('silent_and_slow_clients_are_dropped_and_do_not_block_others', async () => {
  // Silent: headers begun, then nothing. Slow: a body promised and trickled.
  const silent = rawRequest(server.port, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n', { timeoutMs: 15000 });
  const slow = new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1', () => {
      s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{');
    });
    s.on('error', () => {});
    s.resume();   // read (and drop) the answer, so that 'close' comes
    s.on('close', () => resolve(Date.now()));
  });
  const t0 = Date.now();
  await stillAnswers();
  assert.ok(Date.now() - t0 < 3000, 'others are answered meanwhile');
  await silent;
  const closedAt = await slow;
  assert.ok(closedAt - t0 < 15000, 'the stalled client was closed by the read timeout');
  await stillAnswers();
});

test('a_thousand_idle_connections_do_not_wedge_the_server', async () => {
  const sockets = [];
  await Promise.all(Array.from({ length: 1000 }, () => new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1', resolve);
    s.on('error', resolve);
    s.resume();
    sockets.push(s);
  })));
  const t0 = Date.now();
  const h = await getJson(server.url, '/health');
  assert.equal(h.status, 200);
  await stillAnswers();
  const waited = Date.now() - t0;
  console.log(`# answered ${waited} ms after opening 1000 idle connections`);
  assert.ok(waited < 5000, 'idle connections do not queue other clients behind them');
  for (const s of sockets) s.destroy();
  await sleep(100);
  await stillAnswers();
});
