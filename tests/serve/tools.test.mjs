// Tool calls through the official `openai` npm client, on the tiny random
// model given Qwen2.5-Instruct's chat template (LOOM_SERVE_TOOLS_MODEL):
// tool_choice "required" / a named function constrain the reply to
// <tool_call> blocks, so every call at temperature 1 parses, names a declared
// tool and its arguments validate against the tool's schema (python3-jsonschema);
// streaming (the client's stream helper) and non-streaming agree; the
// prompt with tools, tool calls and tool results has the token count of the
// template run by Jinja2; malformed tools are 400s naming the field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { startServer, stopServer, loom } from './harness.mjs';

const execFileP = promisify(execFile);
const TOOLS_MODEL = process.env.LOOM_SERVE_TOOLS_MODEL;
const SRC = process.env.LOOM_SRC;
let server, client;

before(async () => {
  server = await startServer(['-np', '2', '-c', '2048', '-t', '2'], { model: TOOLS_MODEL });
  client = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'none', maxRetries: 0, timeout: 120000 });
});
after(async () => { assert.equal(await stopServer(server), 0, 'SIGTERM exits 0'); });

const tools = [
  { type: 'function', function: {
    name: 'get_weather', description: 'Météo — 天气 of a city',
    parameters: { type: 'object', properties: {
      city: { type: 'string', minLength: 1, maxLength: 12 },
      unit: { enum: ['c', 'f'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
    }, required: ['city'], additionalProperties: false } } },
  { type: 'function', function: {
    name: 'set_alarm', description: 'Sets alarms',
    parameters: { type: 'object', properties: {
      times: { type: 'array', items: { type: 'string', format: 'time' }, minItems: 1, maxItems: 3 },
      label: { type: ['string', 'null'], maxLength: 10 },
      repeat: { type: 'object', properties: { daily: { type: 'boolean' } }, required: ['daily'], additionalProperties: false },
    }, required: ['times', 'repeat'], additionalProperties: false } } },
];
const messages = [{ role: 'user', content: 'Weather in Zürich, and wake me at 7?' }];

// Each call's arguments against its tool's schema, by python3-jsonschema.
async function validateCalls(calls) {
  const cases = calls.map((c) => {
    const tool = tools.find((t) => t.function.name === c.function.name);
    assert.ok(tool, `the call names a declared tool: ${c.function.name}`);
    assert.equal(c.type, 'function');
    assert.match(c.id, /^call_[A-Za-z0-9]{24}$/);
    return { schema: tool.function.parameters, value: JSON.parse(c.function.arguments) };
  });
  const py = 'import json,sys,jsonschema\nV = jsonschema.Draft202012Validator\n' +
             'fc = getattr(V, "FORMAT_CHECKER", None) or jsonschema.draft202012_format_checker\n' +
             'for c in json.load(sys.stdin): jsonschema.validate(c["value"], c["schema"], cls=V, format_checker=fc)';
  const p = execFileP('/usr/bin/python3', ['-c', py]);
  p.child.stdin.end(JSON.stringify(cases));
  await p;   // rejects (ValidationError on stderr) when one does not validate
}

async function both(args) {
  const whole = await client.chat.completions.create(args);
  const events = [];
  const stream = client.chat.completions.stream(args);
  stream.on('tool_calls.function.arguments.done', (e) => events.push(e));
  const streamed = await stream.finalChatCompletion();
  return { whole: whole.choices[0], streamed: streamed.choices[0], events };
}

function assertAgree({ whole, streamed, events }) {
  assert.equal(streamed.finish_reason, whole.finish_reason);
  assert.equal(streamed.message.content, whole.message.content);
  const strip = (calls) => calls.map((c) => [c.function.name, c.function.arguments]);
  assert.deepEqual(strip(streamed.message.tool_calls), strip(whole.message.tool_calls));
  assert.deepEqual(events.map((e) => [e.name, e.arguments]), strip(whole.message.tool_calls));
}

test('tool_choice_required_calls_validate_for_many_seeds', async () => {
  for (const seed of [1, 2, 3]) {
    const args = { model: 'm', messages, tools, tool_choice: 'required', temperature: 1, seed, max_tokens: 600 };
    const r = await both(args);
    const text = JSON.stringify(r.whole.message);
    assert.equal(r.whole.finish_reason, 'tool_calls', text);
    assert.equal(r.whole.message.content, null, text);
    assert.ok(r.whole.message.tool_calls.length >= 1, text);
    await validateCalls(r.whole.message.tool_calls);
    assertAgree(r);
  }
});

test('tool_choice_names_one_function', async () => {
  for (const seed of [6]) {
    const args = { model: 'm', messages, tools, temperature: 1, seed, max_tokens: 600, parallel_tool_calls: false,
                   tool_choice: { type: 'function', function: { name: 'set_alarm' } } };
    const r = await both(args);
    assert.equal(r.whole.finish_reason, 'tool_calls');
    assert.equal(r.whole.message.tool_calls.length, 1);
    assert.equal(r.whole.message.tool_calls[0].function.name, 'set_alarm');
    await validateCalls(r.whole.message.tool_calls);
    assertAgree(r);
  }
});

test('tool_choice_auto_and_none_reply_with_text', async () => {
  for (const tool_choice of ['auto', 'none']) {
    const r = await client.chat.completions.create({ model: 'm', messages, tools, tool_choice, temperature: 0, max_tokens: 8 });
    assert.equal(typeof r.choices[0].message.content, 'string');
    assert.equal(r.choices[0].message.tool_calls, undefined);
    assert.equal(r.choices[0].finish_reason, 'length');
  }
});

// The prompt loom renders (its token count in usage) against Jinja2's rendering of
// Qwen2.5's template tokenized by `loom tokenize`.
test('prompt_with_tool_calls_and_results_matches_jinja', async () => {
  const history = [
    { role: 'system', content: 'Tu es utile.' },
    ...messages,
    { role: 'assistant', content: null, tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Zürich","days":2}' } },
      { id: 'call_2', type: 'function', function: { name: 'set_alarm', arguments: '{"times":["07:00:00"],"repeat":{"daily":false},"label":null}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21.5, "sky": "☀"}' },
    { role: 'tool', tool_call_id: 'call_2', content: 'ok' },
  ];
  const r = await client.chat.completions.create({ model: 'm', messages: history, tools, max_tokens: 1, temperature: 0 });
  const jinjaMessages = history.map((m) => ({ ...m, content: m.content ?? '',
    ...(m.tool_calls ? { tool_calls: m.tool_calls.map((c) => ({ ...c, function: { ...c.function, arguments: JSON.parse(c.function.arguments) } })) } : {}) }));
  const template = (await execFileP('/usr/bin/python3', ['-c', 'import sys; sys.stdout.write(open(sys.argv[1]).read())',
    SRC + '/tests/chat/templates/qwen2.5-instruct.jinja'])).stdout;
  const p = execFileP('/usr/bin/python3', [SRC + '/tests/chat/jinja_render.py'], { maxBuffer: 1 << 24 });
  p.child.stdin.end(JSON.stringify({ template, cases: [{ messages: jinjaMessages, tools, add_generation_prompt: true }] }));
  const text = JSON.parse((await p).stdout)[0];
  assert.ok(text.includes('<tool_call>\n{"name": "set_alarm", "arguments": {"times": ["07:00:00"], "repeat": {"daily": false}, "label": null}}\n</tool_call>'));
  const ids = (await loom(['tokenize', '-m', TOOLS_MODEL], text)).trim().split('\n');
  assert.equal(r.usage.prompt_tokens, ids.length);
});

test('malformed_tools_are_400_naming_the_field', async () => {
  const ask = (extra) => client.chat.completions.create({ model: 'm', messages, max_tokens: 2, ...extra });
  const cases = [
    [{ tools: {} }, /'tools'/],
    [{ tools: [{ type: 'retrieval' }] }, /'tools\[0\]\.type'/],
    [{ tools: [{ type: 'function', function: { description: 'x' } }] }, /'tools\[0\]\.function\.name'/],
    [{ tools: [{ type: 'function', function: { name: 'a b' } }] }, /'tools\[0\]\.function\.name'/],
    [{ tools: [tools[0], tools[0]] }, /'tools\[1\]\.function\.name': 'get_weather' is declared twice/],
    [{ tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }, /'tools\[0\]\.function\.parameters'/],
    [{ tools, tool_choice: 'sometimes' }, /'tool_choice'/],
    [{ tools, tool_choice: { type: 'function', function: { name: 'fly' } } }, /'tool_choice\.function\.name': 'fly' is not among the tools/],
    [{ tool_choice: 'required' }, /'tool_choice'/],
    [{ tools, tool_choice: 'required', parallel_tool_calls: 'yes' }, /'parallel_tool_calls'/],
    [{ tools, tool_choice: 'required', response_format: { type: 'json_object' } }, /'response_format'/],
    [{ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string', pattern: 'a+' } } }], tool_choice: 'required' },
      /'tools\[0\]\.function\.parameters'.*pattern/],
    [{ messages: [{ role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'f' } }] }] },
      /'messages\[0\]\.tool_calls\[0\]\.function\.arguments'/],
  ];
  for (const [extra, want] of cases)
    await assert.rejects(ask(extra), (e) => e.status === 400 && want.test(e.message), JSON.stringify(extra));
});
