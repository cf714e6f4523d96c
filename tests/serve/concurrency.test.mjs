// `loom serve` under concurrent load: 16 clients x 4 requests on 4 slots,
// each reply checked against `loom run --chat --temp 0` for its prompt (so
// batched decoding must equal single-sequence decoding); an aborted stream
// frees its slot; a full queue answers 503 with Retry-After; SIGTERM drains.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, stopServer, runChatGreedy, getJson, postJson, until, sleep } from './harness.mjs';

const servers = [];
after(async () => { for (const s of servers) if (s.proc.exitCode === null) s.proc.kill('SIGKILL'); });

async function server(args) {
  const s = await startServer(args);
  servers.push(s);
  return { s, client: new OpenAI({ baseURL: s.url + '/v1', apiKey: 'x', maxRetries: 0, timeout: 120000 }) };
}

async function chatText(client, content, max_tokens, stream) {
  const args = { model: 'm', messages: [{ role: 'user', content }], max_tokens, temperature: 0 };
  if (!stream) return (await client.chat.completions.create(args)).choices[0].message.content;
  let text = '';
  for await (const c of await client.chat.completions.create({ ...args, stream: true })) text += c.choices[0]?.delta?.content ?? '';
  return text;
}

test('sixteen_clients_on_four_slots_each_get_their_own_greedy_text', async () => {
  const { s, client } = await server(['-np', '4', '-c', '4096', '-t', '2']);
  const N = 16, R = 4, T = 16;
  // Prompts of different lengths share the system turn (prefix reuse across slots).
  const prompts = Array.from({ length: N }, (_, i) => `Client ${i}: ` + 'tell me about the number ' + String(i * 7919).repeat(1 + (i % 4)));
  const want = [];
  for (let i = 0; i < N; i += 2) want.push(...await Promise.all([runChatGreedy(prompts[i], T), runChatGreedy(prompts[i + 1], T)]));
  const t0 = Date.now();
  const got = await Promise.all(prompts.map(async (p, i) => {
    const texts = [];
    for (let r = 0; r < R; r++) texts.push(await chatText(client, p, T, (i + r) % 2 === 1));
    return texts;
  }));
  const seconds = (Date.now() - t0) / 1000;
  for (let i = 0; i < N; i++) for (let r = 0; r < R; r++) assert.equal(got[i][r], want[i], `client ${i} request ${r}`);
  const m = await (await fetch(s.url + '/metrics')).text();
  const steps = Number(m.match(/^loom_decode_steps_total (\d+)$/m)[1]);
  const generated = Number(m.match(/^loom_generated_tokens_total (\d+)$/m)[1]);
  console.log(`# 64 requests x ${T} tokens in ${seconds.toFixed(2)} s; ${generated} tokens in ${steps} decode steps`);
  assert.ok(steps < generated, 'slots were decoded together');
  assert.equal(await stopServer(s), 0);
});

test('aborted_stream_frees_its_slot', async () => {
  const { s, client } = await server(['-np', '1', '-c', '2048', '-t', '2']);
  const stream = await client.chat.completions.create({
    model: 'm', messages: [{ role: 'user', content: 'go on forever' }], max_tokens: 2000, temperature: 0, stream: true,
  });
  let chunks = 0;
  for await (const c of stream) { if (++chunks === 3) break; }   // leaving the loop aborts the request
  const idle = await until(async () => (await getJson(s.url, '/health')).body.slots_processing === 0, 5000);
  assert.ok(idle, 'the slot is free again');
  const m = await (await fetch(s.url + '/metrics')).text();
  assert.match(m, /^loom_tasks_cancelled_total 1$/m);
  assert.ok(Number(m.match(/^loom_generated_tokens_total (\d+)$/m)[1]) < 2000, 'generation stopped early');
  assert.equal((await chatText(client, 'next', 4, false)).length > 0, true);
  assert.equal(await stopServer(s), 0);
});

test('full_queue_answers_503_with_retry_after', async () => {
  const { s, client } = await server(['-np', '1', '-c', '2048', '-t', '2', '--queue', '1']);
  const long = { model: 'm', messages: [{ role: 'user', content: 'long' }], max_tokens: 2000, temperature: 0, stream: true };
  const first = await client.chat.completions.create(long);
  const iter = first[Symbol.asyncIterator]();
  await iter.next();                                            // the slot is busy
  const queued = client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'q' }], max_tokens: 2, temperature: 0 });
  assert.ok(await until(async () => (await getJson(s.url, '/health')).body.queued === 1, 5000));
  const r = await postJson(s.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('retry-after'), '1');
  assert.equal(r.body.error.type, 'server_error');
  assert.equal(typeof r.body.error.message, 'string');
  first.controller.abort();
  const q = await queued;
  assert.equal(q.usage.completion_tokens, 2, 'the queued request ran once the slot was free');
  assert.equal(await stopServer(s), 0);
});

test('sigterm_drains_running_requests_then_exits_0', async () => {
  const { s, client } = await server(['-np', '2', '-c', '2048', '-t', '2']);
  const running = chatText(client, 'finish me', 200, true);
  await until(async () => (await getJson(s.url, '/health')).body.slots_processing === 1, 5000);
  s.proc.kill('SIGTERM');
  await sleep(100);
  const refused = await postJson(s.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
  assert.equal(refused.status, 503);
  assert.equal(refused.body.error.code, 'server_shutting_down');
  const text = await running;
  assert.ok(text.length > 0, 'the running request finished');
  assert.equal(await stopServer(s), 0);
});

test('a_reply_ends_with_length_when_its_slot_is_full', async () => {
  const { s, client } = await server(['-np', '1', '-c', '64', '-t', '2']);
  // End-of-generation tokens banned, no max_tokens: the reply runs until the slot's 64 cells are used.
  const r = await client.chat.completions.create({
    model: 'm', messages: [{ role: 'user', content: 'Hi' }], temperature: 0, logit_bias: { 151643: -100, 151645: -100 },
  });
  assert.equal(r.choices[0].finish_reason, 'length');
  // The prompt and every reply token but the last are in the cache: 64 cells.
  assert.equal(r.usage.prompt_tokens + r.usage.completion_tokens - 1, 64);
  assert.equal(await stopServer(s), 0);
});
