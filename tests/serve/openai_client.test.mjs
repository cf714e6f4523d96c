// `loom serve` through the official `openai` npm client: the API's shapes,
// greedy text equal to `loom run --chat --temp 0`, usage, stop, max_tokens,
// seeds, logprobs, embeddings, n, the API key, response_format (JSON schema).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, stopServer, runChatGreedy, chatPromptTokens, loom, MODEL, getJson, postJson, readChatStream } from './harness.mjs';

const KEY = 'test-key-123';
let server, client;

before(async () => {
  server = await startServer(['-np', '4', '-c', '2048', '-t', '2', '--api-key', KEY]);
  client = new OpenAI({ baseURL: server.url + '/v1', apiKey: KEY, maxRetries: 0, timeout: 60000 });
});
after(async () => { assert.equal(await stopServer(server), 0, 'SIGTERM exits 0'); });

const hello = [{ role: 'user', content: 'Hello! Who are you?' }];

test('chat_greedy_equals_loom_run_chat', async () => {
  const want = await runChatGreedy(hello[0].content, 12);
  const r = await client.chat.completions.create({ model: 'anything', messages: hello, max_tokens: 12, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].message.content, want);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 12);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 12);
});

test('usage_prompt_tokens_equals_rendered_prompt_tokens', async () => {
  const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Count: 1 2 3 ünïcödé' }];
  const want = await chatPromptTokens(messages);
  const r = await client.chat.completions.create({ model: 'm', messages, max_tokens: 1, temperature: 0 });
  assert.equal(r.usage.prompt_tokens, want);
});

test('chat_stream_equals_non_stream_with_usage_chunk', async () => {
  const args = { model: 'm', messages: hello, max_tokens: 10, temperature: 0 };
  const whole = await client.chat.completions.create(args);
  const stream = await client.chat.completions.create({ ...args, stream: true, stream_options: { include_usage: true } });
  const { text, roles, finish, usage, chunks } = await readChatStream(stream);
  assert.equal(roles, 1);
  assert.ok(chunks >= 3);
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, 'length');
  assert.equal(usage.completion_tokens, 10);
  assert.equal(usage.prompt_tokens, whole.usage.prompt_tokens);
});

test('completion_greedy_equals_loom_run_and_streams_the_same', async () => {
  const prompt = 'The capital of France is';
  const out = await loom(['run', '-m', MODEL, '--temp', '0', '-n', '8', '-t', '1', '-p', prompt]);
  const want = out.slice(prompt.length).replace(/\n$/, '');
  const r = await client.completions.create({ model: 'm', prompt, max_tokens: 8, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.equal(r.choices[0].text, want);
  assert.equal(r.choices[0].finish_reason, 'length');
  const stream = await client.completions.create({ model: 'm', prompt, max_tokens: 8, temperature: 0, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices.length ? c.choices[0].text : '';
  assert.equal(text, want);
});

test('completion_default_max_tokens_is_16', async () => {
  const r = await client.completions.create({ model: 'm', prompt: 'Once upon a time', temperature: 0 });
  assert.equal(r.usage.completion_tokens, 16);
});

test('stop_string_ends_the_reply_before_it', async () => {
  const full = (await client.chat.completions.create({ model: 'm', messages: hello, max_tokens: 12, temperature: 0 }))
    .choices[0].message.content;
  const cut = Math.floor(full.length / 2);
  const stop = full.slice(cut, cut + 3);
  const first = full.indexOf(stop);
  for (const stream of [false, true]) {
    const args = { model: 'm', messages: hello, max_tokens: 12, temperature: 0, stop: [stop], stream };
    let text = '', finish = null;
    if (stream) {
      for await (const c of await client.chat.completions.create(args)) {
        if (c.choices[0]?.delta?.content) text += c.choices[0].delta.content;
        if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
      }
    } else {
      const r = await client.chat.completions.create(args);
      text = r.choices[0].message.content;
      finish = r.choices[0].finish_reason;
    }
    assert.equal(text, full.slice(0, first), `stream=${stream}`);
    assert.equal(finish, 'stop');
  }
});

test('max_tokens_and_max_completion_tokens_bound_the_reply', async () => {
  const a = await client.chat.completions.create({ model: 'm', messages: hello, max_tokens: 3, temperature: 0 });
  assert.equal(a.usage.completion_tokens, 3);
  const b = await client.chat.completions.create({ model: 'm', messages: hello, max_completion_tokens: 5, temperature: 0 });
  assert.equal(b.usage.completion_tokens, 5);
  assert.ok(b.choices[0].message.content.startsWith(a.choices[0].message.content));
});

test('seed_makes_sampling_reproducible', async () => {
  const ask = (seed) => client.chat.completions.create({ model: 'm', messages: hello, max_tokens: 12, temperature: 1, seed })
    .then((r) => r.choices[0].message.content);
  const [a, b, c, d] = await Promise.all([ask(42), ask(42), ask(7), ask(8)]);
  assert.equal(a, b);
  assert.ok(a !== c || a !== d, 'other seeds give other text');
});

test('n_gives_that_many_choices', async () => {
  const r = await client.chat.completions.create({ model: 'm', messages: hello, max_tokens: 6, temperature: 1, seed: 3, n: 3 });
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2]);
  assert.equal(r.usage.completion_tokens, 18);
  const g = await client.chat.completions.create({ model: 'm', messages: hello, max_tokens: 6, temperature: 0, n: 2 });
  assert.equal(g.choices[0].message.content, g.choices[1].message.content);
});

test('logprobs_are_the_model_distribution', async () => {
  const r = await client.chat.completions.create({
    model: 'm', messages: hello, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 3,
  });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, 6);
  assert.equal(content.map((t) => t.token).join(''), r.choices[0].message.content);
  for (const t of content) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    // Greedy: the chosen token is the most likely one.
    assert.equal(t.top_logprobs[0].logprob, t.logprob);
    assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob && t.top_logprobs[1].logprob >= t.top_logprobs[2].logprob);
    assert.deepEqual(Buffer.from(t.bytes).toString('utf8'), t.token);
  }
  const streamed = [];
  for await (const ch of await client.chat.completions.create({
    model: 'm', messages: hello, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 3, stream: true,
  })) streamed.push(...(ch.choices[0]?.logprobs?.content ?? []));
  assert.deepEqual(streamed, content, 'streamed logprobs are the same, every token once');
  const c = await client.completions.create({ model: 'm', prompt: 'Hi', max_tokens: 4, temperature: 0, logprobs: 2 });
  assert.equal(c.choices[0].logprobs.tokens.length, 4);
  assert.equal(c.choices[0].logprobs.top_logprobs[0] && Object.keys(c.choices[0].logprobs.top_logprobs[0]).length <= 2, true);
});

test('embeddings_are_unit_vectors_per_input', async () => {
  const one = await client.embeddings.create({ model: 'm', input: 'hello world' });
  const two = await client.embeddings.create({ model: 'm', input: ['hello world', 'something else entirely'] });
  assert.equal(one.data.length, 1);
  assert.equal(two.data.length, 2);
  const v = one.data[0].embedding, w = two.data[1].embedding;
  assert.equal(v.length, 256);
  const norm = Math.hypot(...v);
  assert.ok(Math.abs(norm - 1) < 1e-4, `norm ${norm}`);
  assert.deepEqual(two.data[0].embedding, v);
  const cos = v.reduce((s, x, i) => s + x * w[i], 0);
  assert.ok(cos < 0.9999, 'different inputs differ');
  assert.ok(one.usage.prompt_tokens > 0);
  const raw = await postJson(server.url, '/v1/embeddings', { input: 'hello world', encoding_format: 'float' },
    { Authorization: 'Bearer ' + KEY });
  assert.deepEqual(raw.body.data[0].embedding, v, 'float and base64 encodings carry the same floats');
});

test('models_health_metrics', async () => {
  const models = await client.models.list();
  assert.equal(models.data.length, 1);
  assert.equal(models.data[0].object, 'model');
  const h = await getJson(server.url, '/health');
  assert.equal(h.status, 200);
  assert.equal(h.body.status, 'ok');
  const m = await (await fetch(server.url + '/metrics')).text();
  assert.match(m, /^loom_generated_tokens_total \d+$/m);
  assert.match(m, /^loom_http_responses_total\{route="\/v1\/chat\/completions",status="200"\} \d+$/m);
  assert.match(m, /^loom_prompt_tokens_cached_total [1-9]\d*$/m, 'prefix reuse happened');
});

test('api_key_is_required_on_v1_routes', async () => {
  const bad = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(bad.models.list(), (e) => e.status === 401 && e.code === 'invalid_api_key');
  const raw = await postJson(server.url, '/v1/chat/completions', { messages: hello });
  assert.equal(raw.status, 401);
  assert.equal(typeof raw.body.error.message, 'string');
  assert.equal((await getJson(server.url, '/health')).status, 200, '/health needs no key');
});

// response_format: the reply follows the JSON schema (checked here field by
// field, as the schema says) at temperature 1 with random weights.
const person = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 8 },
    n: { type: 'integer', minimum: 1, maximum: 9 },
    kind: { enum: ['a', 'b'] },
    ok: { type: ['boolean', 'null'] },
  },
  required: ['name', 'n'],
  additionalProperties: false,
};

function checkPerson(v) {
  assert.equal(typeof v, 'object');
  assert.ok(v !== null && !Array.isArray(v));
  for (const k of Object.keys(v)) assert.ok(k in person.properties, `no other member: ${k}`);
  assert.equal(typeof v.name, 'string');
  const chars = [...v.name].length;
  assert.ok(chars >= 1 && chars <= 8, `name of ${chars} characters`);
  assert.ok(Number.isInteger(v.n) && v.n >= 1 && v.n <= 9, `n = ${v.n}`);
  if ('kind' in v) assert.ok(['a', 'b'].includes(v.kind));
  if ('ok' in v) assert.ok(v.ok === null || typeof v.ok === 'boolean');
}

test('response_format_json_schema_replies_validate', async () => {
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({
      model: 'm', messages: hello, max_tokens: 400, temperature: 1, seed,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema: person, strict: true } },
    });
    const text = r.choices[0].message.content;
    assert.equal(r.choices[0].finish_reason, 'stop', text);
    checkPerson(JSON.parse(text));
  }
});

test('response_format_json_object_starts_an_object', async () => {
  const r = await client.chat.completions.create({
    model: 'm', messages: hello, max_tokens: 200, temperature: 1, seed: 5, response_format: { type: 'json_object' },
  });
  const text = r.choices[0].message.content;
  assert.ok(text.startsWith('{'), text);
  if (r.choices[0].finish_reason === 'stop') assert.equal(typeof JSON.parse(text), 'object');
});

test('response_format_bad_schema_is_400_naming_the_problem', async () => {
  const ask = (response_format) => client.chat.completions.create({ model: 'm', messages: hello, max_tokens: 4, response_format });
  await assert.rejects(ask({ type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: 'a+' } } }),
    (e) => e.status === 400 && /'pattern'/.test(e.message) && /response_format\.json_schema\.schema/.test(e.message));
  await assert.rejects(ask({ type: 'json_schema', json_schema: { name: 'x', schema: { type: 'integer', minimum: 5, maximum: 1 } } }),
    (e) => e.status === 400 && /no value lies between/.test(e.message));
  await assert.rejects(ask({ type: 'json_schema', json_schema: { schema: {} } }),
    (e) => e.status === 400 && /json_schema\.name/.test(e.message));
  await assert.rejects(ask({ type: 'yaml' }), (e) => e.status === 400 && /response_format\.type/.test(e.message));
});
