// Scale-out: two `loom serve` processes behind Debian's nginx on loopback
// (round robin); the openai client talks to nginx. Every request is
// answered, with the same greedy text as `loom run`, and both instances serve.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { startServer, stopServer, runChatGreedy, until } from './harness.mjs';

const NGINX = process.env.LOOM_NGINX || '/usr/sbin/nginx';
let backends = [], nginx, dir, port;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function nginxConf(ports, listen) {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream loom { ${ports.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 16; }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://loom;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;            # stream SSE chunks as they come
      proxy_read_timeout 120s;
    }
  }
}
`;
}

before(async () => {
  backends = await Promise.all([startServer(['-np', '2', '-c', '2048', '-t', '1']), startServer(['-np', '2', '-c', '2048', '-t', '1'])]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-nginx-'));
  port = await freePort();
  fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(backends.map((b) => b.port), port));
  nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const up = await until(() => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false), 10000);
  assert.ok(up, 'nginx answers: ' + (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''));
});

after(async () => {
  nginx?.kill('SIGTERM');
  for (const b of backends) assert.equal(await stopServer(b), 0);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('two_instances_behind_nginx_answer_every_request', async () => {
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'x', maxRetries: 0 });
  const prompts = Array.from({ length: 8 }, (_, i) => `Request ${i} through the balancer`);
  const want = [];
  for (const p of prompts) want.push(await runChatGreedy(p, 8));
  const got = await Promise.all(prompts.map(async (content, i) => {
    const args = { model: 'm', messages: [{ role: 'user', content }], max_tokens: 8, temperature: 0 };
    if (i % 2 === 0) return (await client.chat.completions.create(args)).choices[0].message.content;
    let text = '';
    for await (const c of await client.chat.completions.create({ ...args, stream: true })) text += c.choices[0]?.delta?.content ?? '';
    return text;
  }));
  assert.deepEqual(got, want);
  for (const b of backends) {
    const m = await (await fetch(b.url + '/metrics')).text();
    const served = Number((m.match(/^loom_http_responses_total\{route="\/v1\/chat\/completions",status="200"\} (\d+)$/m) || [0, 0])[1]);
    assert.ok(served > 0, `instance ${b.url} served requests`);
  }
});
