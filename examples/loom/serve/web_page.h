// The chat page served at "/": one static HTML page (inline CSS and JS, no
// CDN, no build step) that talks to /v1/chat/completions with streaming.
#pragma once

namespace serve {

extern const char *const kChatPage;

} // namespace serve
