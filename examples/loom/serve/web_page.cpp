// The chat page. Edit it here; it is served as is (no build step, no CDN).
#include "web_page.h"

namespace serve {

const char *const kChatPage = R"PAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>loom chat</title>
<style>
:root {
  --bg: #f6f5f2; --panel: #ffffff; --text: #1d1d1f; --muted: #6e6e73; --line: #e4e2dd;
  --accent: #3b5bdb; --accent-text: #ffffff; --user: #3b5bdb; --user-text: #ffffff; --bot: #ffffff;
  --code: #f0efeb; --danger: #c92a2a; --shadow: 0 1px 2px rgba(0,0,0,.06), 0 4px 16px rgba(0,0,0,.04);
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #151517; --panel: #1f1f23; --text: #ececf1; --muted: #9a9aa3; --line: #2e2e34;
    --accent: #748ffc; --accent-text: #0b0b0d; --user: #364fc7; --user-text: #ffffff; --bot: #1f1f23;
    --code: #2a2a30; --danger: #ff8787; --shadow: none; }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  background: var(--bg); color: var(--text); display: flex; flex-direction: column; }
header { display: flex; align-items: center; gap: 12px; padding: 10px 20px; border-bottom: 1px solid var(--line);
  background: var(--panel); }
.brand { font-weight: 700; letter-spacing: .02em; font-size: 17px; }
.brand span { color: var(--accent); }
#model { color: var(--muted); font-size: 13px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.spacer { flex: 1; }
button { font: inherit; cursor: pointer; border-radius: 8px; border: 1px solid var(--line); background: var(--panel);
  color: var(--text); padding: 6px 12px; }
button:hover { border-color: var(--muted); }
button.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); font-weight: 600; }
button.stop { background: var(--danger); border-color: var(--danger); color: #fff; }
#settings { display: none; gap: 16px; padding: 14px 20px; border-bottom: 1px solid var(--line); background: var(--panel);
  flex-wrap: wrap; align-items: flex-start; }
#settings.open { display: flex; }
#settings label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted);
  text-transform: uppercase; letter-spacing: .04em; }
#settings textarea, #settings input[type=number], #settings input[type=password] { font: inherit; font-size: 14px;
  text-transform: none; letter-spacing: 0; color: var(--text); background: var(--bg); border: 1px solid var(--line);
  border-radius: 8px; padding: 6px 8px; }
#system { width: min(520px, 90vw); height: 64px; resize: vertical; }
#temperature { width: 160px; accent-color: var(--accent); }
#temp-value { color: var(--text); font-variant-numeric: tabular-nums; }
main { flex: 1; overflow-y: auto; padding: 24px 16px 8px; }
#messages { max-width: 780px; margin: 0 auto; display: flex; flex-direction: column; gap: 14px; }
.empty { text-align: center; color: var(--muted); margin-top: 18vh; }
.empty h1 { font-size: 28px; margin: 0 0 6px; color: var(--text); font-weight: 650; }
.msg { display: flex; flex-direction: column; max-width: 85%; }
.msg.user { align-self: flex-end; align-items: flex-end; }
.msg.assistant { align-self: flex-start; }
.bubble { padding: 10px 14px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; box-shadow: var(--shadow); }
.user .bubble { background: var(--user); color: var(--user-text); border-bottom-right-radius: 4px; }
.assistant .bubble { background: var(--bot); border: 1px solid var(--line); border-bottom-left-radius: 4px; }
.bubble pre { background: var(--code); padding: 10px; border-radius: 8px; overflow-x: auto; margin: 6px 0;
  white-space: pre; font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.bubble code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
.streaming .bubble::after { content: "▍"; color: var(--accent); animation: blink 1s steps(2) infinite; }
@keyframes blink { 50% { opacity: 0; } }
.stats { font-size: 12px; color: var(--muted); margin: 4px 6px 0; font-variant-numeric: tabular-nums; }
.error .bubble { border-color: var(--danger); color: var(--danger); }
footer { padding: 12px 16px 18px; }
form { max-width: 780px; margin: 0 auto; display: flex; gap: 10px; align-items: flex-end; background: var(--panel);
  border: 1px solid var(--line); border-radius: 16px; padding: 8px 8px 8px 14px; box-shadow: var(--shadow); }
#input { flex: 1; border: 0; outline: none; resize: none; font: inherit; background: transparent; color: var(--text);
  max-height: 200px; padding: 6px 0; }
.hint { max-width: 780px; margin: 6px auto 0; font-size: 12px; color: var(--muted); text-align: center; }
</style>
</head>
<body>
<header>
  <div class="brand">loom<span>.</span></div>
  <div id="model">connecting…</div>
  <div class="spacer"></div>
  <button id="new-chat" type="button" title="Start a new conversation">New chat</button>
  <button id="toggle-settings" type="button" title="System prompt, temperature, limits">Settings</button>
</header>
<section id="settings">
  <label>System prompt<textarea id="system" placeholder="(the model's default)"></textarea></label>
  <label>Temperature <span id="temp-value"></span><input id="temperature" type="range" min="0" max="2" step="0.05"></label>
  <label>Max tokens<input id="max-tokens" type="number" min="1" max="32768" step="1"></label>
  <label>API key<input id="api-key" type="password" placeholder="(none)" autocomplete="off"></label>
</section>
<main><div id="messages"></div></main>
<footer>
  <form id="composer">
    <textarea id="input" rows="1" placeholder="Message the model…" autofocus></textarea>
    <button id="send" class="primary" type="submit">Send</button>
  </form>
  <div class="hint">Enter sends · Shift+Enter for a new line · the conversation stays in this browser</div>
</footer>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const store = {
  load(key, fallback) { try { const v = JSON.parse(localStorage.getItem("loom." + key)); return v ?? fallback; } catch { return fallback; } },
  save(key, value) { localStorage.setItem("loom." + key, JSON.stringify(value)); },
};
const settings = Object.assign({ system: "", temperature: 0.7, maxTokens: 512, apiKey: "" }, store.load("settings", {}));
let messages = store.load("messages", []);   // [{role, content, stats?}]
let controller = null;

function renderText(el, text) {
  // Plain text, with ``` fenced blocks shown as code.
  el.textContent = "";
  const parts = text.split("```");
  parts.forEach((part, i) => {
    if (i % 2 === 0) { el.appendChild(document.createTextNode(part)); return; }
    const pre = document.createElement("pre");
    pre.textContent = part.replace(/^[\w+-]*\n/, "");
    el.appendChild(pre);
  });
}

function addMessage(m) {
  const empty = document.querySelector(".empty");
  if (empty) empty.remove();
  const div = document.createElement("div");
  div.className = "msg " + m.role;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  renderText(bubble, m.content);
  div.appendChild(bubble);
  if (m.role === "assistant") {
    const stats = document.createElement("div");
    stats.className = "stats";
    stats.textContent = m.stats || "";
    div.appendChild(stats);
  }
  $("messages").appendChild(div);
  scrollDown();
  return div;
}

function showAll() {
  $("messages").innerHTML = "";
  if (!messages.length) {
    $("messages").innerHTML = '<div class="empty"><h1>What shall we talk about?</h1><div>Replies stream from the model on this server.</div></div>';
  }
  messages.forEach(addMessage);
}

function scrollDown() { const main = document.querySelector("main"); main.scrollTop = main.scrollHeight; }

function headers() {
  const h = { "Content-Type": "application/json" };
  if (settings.apiKey) h.Authorization = "Bearer " + settings.apiKey;
  return h;
}

// Reads an SSE response, calling onData with each parsed "data:" JSON.
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") return;
        onData(JSON.parse(data));
      }
    }
  }
}

function formatStats(tokens, seconds, ttft) {
  const rate = seconds > 0 ? (tokens / seconds).toFixed(1) : "–";
  return `${tokens} tokens · ${rate} tok/s · first token ${(ttft * 1000).toFixed(0)} ms`;
}

async function send(text) {
  messages.push({ role: "user", content: text });
  addMessage(messages[messages.length - 1]);
  const reply = { role: "assistant", content: "", stats: "" };
  const div = addMessage(reply);
  div.classList.add("streaming");
  div.dataset.state = "streaming";
  const bubble = div.querySelector(".bubble"), stats = div.querySelector(".stats");
  const history = messages.filter((m) => !m.error).map(({ role, content }) => ({ role, content }));
  if (settings.system.trim()) history.unshift({ role: "system", content: settings.system });
  controller = new AbortController();
  setBusy(true);
  const t0 = performance.now();
  let tFirst = 0, tokens = 0;
  try {
    const response = await fetch("v1/chat/completions", {
      method: "POST", headers: headers(), signal: controller.signal,
      body: JSON.stringify({ model: "loom", messages: history, stream: true, stream_options: { include_usage: true },
        temperature: settings.temperature, max_tokens: settings.maxTokens }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.error?.message || `HTTP ${response.status}`);
    }
    await readEvents(response, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
      const delta = chunk.choices?.[0]?.delta?.content;
      if (!delta) return;
      if (!tFirst) tFirst = performance.now();
      tokens++;
      reply.content += delta;
      renderText(bubble, reply.content);
      const now = performance.now();
      stats.textContent = formatStats(tokens, (now - tFirst) / 1000, (tFirst - t0) / 1000);
      scrollDown();
    });
  } catch (e) {
    if (e.name !== "AbortError") {
      reply.error = true;
      div.classList.add("error");
      reply.content = reply.content || "Error: " + e.message;
      renderText(bubble, reply.content);
    }
  }
  const end = performance.now();
  reply.stats = tFirst ? formatStats(tokens, (end - tFirst) / 1000, (tFirst - t0) / 1000) : "";
  if (controller.signal.aborted) reply.stats += (reply.stats ? " · " : "") + "stopped";
  stats.textContent = reply.stats;
  div.classList.remove("streaming");
  div.dataset.state = "done";
  messages.push(reply);
  store.save("messages", messages);
  controller = null;
  setBusy(false);
}

function setBusy(busy) {
  const b = $("send");
  b.textContent = busy ? "Stop" : "Send";
  b.className = busy ? "stop" : "primary";
  b.type = busy ? "button" : "submit";
}

$("send").addEventListener("click", (e) => { if (controller) { e.preventDefault(); controller.abort(); } });
$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value.trim();
  if (!text || controller) return;
  $("input").value = "";
  autosize();
  store.save("messages", messages);
  send(text);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
});
function autosize() { const t = $("input"); t.style.height = "auto"; t.style.height = Math.min(t.scrollHeight, 200) + "px"; }
$("input").addEventListener("input", autosize);
$("new-chat").addEventListener("click", () => {
  if (controller) controller.abort();
  messages = [];
  store.save("messages", messages);
  showAll();
});
$("toggle-settings").addEventListener("click", () => $("settings").classList.toggle("open"));

function bindSetting(id, key, parse) {
  const el = $(id);
  el.value = settings[key];
  el.addEventListener("input", () => {
    settings[key] = parse(el.value);
    store.save("settings", settings);
    $("temp-value").textContent = Number(settings.temperature).toFixed(2);
  });
}
bindSetting("system", "system", String);
bindSetting("temperature", "temperature", Number);
bindSetting("max-tokens", "maxTokens", (v) => Math.max(1, parseInt(v, 10) || 512));
bindSetting("api-key", "apiKey", String);
$("temp-value").textContent = Number(settings.temperature).toFixed(2);

fetch("v1/models", { headers: headers() }).then((r) => r.json()).then((j) => {
  $("model").textContent = j.data?.[0]?.id ?? "";
}).catch(() => { $("model").textContent = ""; });
showAll();
</script>
</body>
</html>
)PAGE";

} // namespace serve
