// Test harness for `loom serve`: starts servers on a free loopback port,
// runs the loom CLI for references, raw HTTP helpers for hostile clients.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

export const LOOM = process.env.LOOM_EXE;
export const MODEL = process.env.LOOM_SERVE_MODEL;
if (!LOOM || !MODEL) throw new Error('set LOOM_EXE and LOOM_SERVE_MODEL');

const execFileP = promisify(execFile);

// Starts `loom serve -m MODEL --port 0 ...args`; resolves once it listens.
export function startServer(args, { timeoutMs = 30000, model = MODEL } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(LOOM, ['serve', '-m', model, '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('server did not start:\n' + log)); }, timeoutMs);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m && timer) {
        clearTimeout(timer);
        resolve({ proc, url: m[1], port: Number(m[1].split(':')[2]), log: () => log });
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${log}`)); });
  });
}

// SIGTERM, then resolves with the exit code (SIGKILL after `graceMs`).
export function stopServer(server, graceMs = 20000) {
  return new Promise((resolve) => {
    if (server.proc.exitCode !== null) return resolve(server.proc.exitCode);
    const timer = setTimeout(() => server.proc.kill('SIGKILL'), graceMs);
    server.proc.removeAllListeners('exit');
    server.proc.on('exit', (code, signal) => { clearTimeout(timer); resolve(signal ? signal : code); });
    server.proc.kill('SIGTERM');
  });
}

export async function loom(args, input) {
  const p = execFileP(LOOM, args, { maxBuffer: 1 << 24 });
  if (input !== undefined) { p.child.stdin.end(input); }
  return (await p).stdout;
}

// The greedy reply of `loom run --chat --temp 0` (the reference for the server's chat).
export async function runChatGreedy(prompt, n) {
  const out = await loom(['run', '-m', MODEL, '--chat', '--temp', '0', '-n', String(n), '-t', '1', '-p', prompt]);
  return out.replace(/\n$/, '');
}

// The rendered ChatML prompt's token count, through `loom chat-template | loom tokenize`.
export async function chatPromptTokens(messages) {
  const text = await loom(['chat-template', '-m', MODEL], JSON.stringify(messages));
  const ids = await loom(['tokenize', '-m', MODEL], text);
  return ids.trim().split('\n').length;
}

// One raw HTTP exchange over a fresh socket; resolves with the response text.
export function rawRequest(port, data, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('raw request timed out')); }, timeoutMs);
    sock.on('connect', () => sock.end(data));
    sock.on('data', (d) => { out += d; });
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve(out); });
  });
}

export async function getJson(url, path, headers = {}) {
  const r = await fetch(url + path, { headers });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

export async function postJson(url, path, body, headers = {}) {
  const r = await fetch(url + path, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, body: json };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `fn` until it returns truthy or `timeoutMs` passes; returns the last value.
export async function until(fn, timeoutMs = 5000, stepMs = 50) {
  const end = Date.now() + timeoutMs;
  let v;
  while (!(v = await fn()) && Date.now() < end) await sleep(stepMs);
  return v;
}

// Reads a streamed chat completion (one choice) to its end: the text, how
// many deltas carried the role, the finish_reason, the usage chunk (which
// must have no choices) and the number of chunks.
export async function readChatStream(stream) {
  let text = '', roles = 0, finish = null, usage = null, chunks = 0;
  for await (const c of stream) {
    chunks++;
    assert.equal(c.object, 'chat.completion.chunk');
    if (c.usage) { usage = c.usage; assert.equal(c.choices.length, 0); continue; }
    const d = c.choices[0].delta;
    if (d.role) roles++;
    if (d.content) text += d.content;
    if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
  }
  return { text, roles, finish, usage, chunks };
}
