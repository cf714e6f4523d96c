#include "web_page.h"

namespace serve {

const char *const kChatPage = R"PAGE(<!doctype html>
<html><head><meta charset="utf-8"><title>loom</title></head><body><p>loom</p></body></html>
)PAGE";

} // namespace serve
