// Load benchmark for OpenAI-compatible servers (a script, not a timed test):
// N concurrent clients, each sending R streaming chat requests one after the
// other; prints aggregate generated tokens/s and time-to-first-token p50/p99.
//   node tests/bench/serve_bench.mjs --url http://127.0.0.1:8080 --clients 4 --requests 4 --max-tokens 64
// No dependencies (node's fetch). Tokens are counted from usage
// (stream_options.include_usage), else as content chunks.
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const url = args.url || 'http://127.0.0.1:8080';
const clients = Number(args.clients || 4), requests = Number(args.requests || 4);
const maxTokens = Number(args['max-tokens'] || 64), promptWords = Number(args['prompt-words'] || 64);

async function one(client, r) {
  const content = `Client ${client} request ${r}: ` + Array.from({ length: promptWords }, (_, i) => `word${(i * 31 + client) % 97}`).join(' ');
  const t0 = performance.now();
  const res = await fetch(url + '/v1/chat/completions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }], max_tokens: maxTokens, temperature: 0,
      stream: true, stream_options: { include_usage: true }, ignore_eos: true }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader(), decoder = new TextDecoder();
  let buf = '', ttft = 0, chunks = 0, usage = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, cut).trim();
      buf = buf.slice(cut + 1);
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const j = JSON.parse(line.slice(6));
      if (j.usage) usage = j.usage.completion_tokens;
      if (j.choices?.[0]?.delta?.content) { if (!ttft) ttft = performance.now() - t0; chunks++; }
    }
  }
  return { ttft, tokens: usage || chunks };
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const t0 = performance.now();
const results = (await Promise.all(Array.from({ length: clients }, async (_, c) => {
  const out = [];
  for (let r = 0; r < requests; r++) out.push(await one(c, r));
  return out;
}))).flat();
const seconds = (performance.now() - t0) / 1000;
const tokens = results.reduce((s, r) => s + r.tokens, 0);
const ttfts = results.map((r) => r.ttft);
console.log(JSON.stringify({ url, clients, requests, max_tokens: maxTokens, seconds: +seconds.toFixed(2), tokens,
  tokens_per_s: +(tokens / seconds).toFixed(1), ttft_p50_ms: Math.round(pct(ttfts, 0.5)), ttft_p99_ms: Math.round(pct(ttfts, 0.99)) }));
