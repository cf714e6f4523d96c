#include "openai_request.h"

#include <cmath>
#include <limits>

namespace serve {

using json = RequestJson;

// A JSON schema as GBNF (the library's converter); its error is a 400 naming `field`.
std::string schema_grammar(const std::string &schema, const std::string &field) {
    size_t n = 0;
    loom_status st = loom_json_schema_to_grammar(schema.c_str(), nullptr, 0, &n);
    std::string gbnf(n, '\0');
    if (st == LOOM_ERR_BUFFER_TOO_SMALL) st = loom_json_schema_to_grammar(schema.c_str(), gbnf.data(), n, &n);
    if (st != LOOM_OK) throw bad_field(field, loom_last_error());
    return gbnf;
}

namespace {

// The member `key`, or nullptr when absent or null (both mean "default").
const json *member(const json &body, const char *key) {
    auto it = body.find(key);
    return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number_in(const json &body, const char *key, double lo, double hi, double fallback) {
    const json *v = member(body, key);
    if (!v) return fallback;
    if (!v->is_number()) throw bad_field(key, "must be a number");
    double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi)
        throw bad_field(key, "must be between " + json(lo).dump() + " and " + json(hi).dump());
    return d;
}

int64_t int_in(const json &body, const char *key, int64_t lo, int64_t hi, int64_t fallback) {
    const json *v = member(body, key);
    if (!v) return fallback;
    if (!v->is_number_integer()) throw bad_field(key, "must be an integer");
    if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        throw bad_field(key, "must be at most " + std::to_string(hi));
    int64_t i = v->get<int64_t>();
    if (i < lo || i > hi) throw bad_field(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return i;
}

bool bool_of(const json &body, const char *key, bool fallback) {
    const json *v = member(body, key);
    if (!v) return fallback;
    if (!v->is_boolean()) throw bad_field(key, "must be a boolean");
    return v->get<bool>();
}

std::string model_of(const json &body) {
    const json *v = member(body, "model");
    if (v && !v->is_string()) throw bad_field("model", "must be a string");
    return v ? v->get<std::string>() : std::string();
}

std::vector<std::string> stops_of(const json &body) {
    const json *v = member(body, "stop");
    std::vector<std::string> out;
    if (!v) return out;
    if (v->is_string()) {
        out.push_back(v->get<std::string>());
    } else if (v->is_array()) {
        if (v->size() > 16) throw bad_field("stop", "at most 16 stop strings");
        for (const json &s : *v) {
            if (!s.is_string()) throw bad_field("stop", "must be a string or an array of strings");
            out.push_back(s.get<std::string>());
        }
    } else {
        throw bad_field("stop", "must be a string or an array of strings");
    }
    for (const std::string &s : out)
        if (s.empty() || s.size() > 256) throw bad_field("stop", "each stop string must have 1 to 256 bytes");
    return out;
}

// response_format (OpenAI): {"type": "text"}, {"type": "json_object"} (any
// JSON object) or {"type": "json_schema", "json_schema": {"name", "schema",
// "strict", "description"}}. Returns the GBNF it asks for ("" for text).
std::string response_format_grammar(const json &body) {
    const json *rf = member(body, "response_format");
    if (!rf || rf->is_null()) return "";
    if (!rf->is_object()) throw bad_field("response_format", "must be an object");
    const json *type = member(*rf, "type");
    if (!type || !type->is_string())
        throw bad_field("response_format.type", "must be text, json_object or json_schema");
    const std::string t = type->get<std::string>();
    if (t == "text") return "";
    if (t == "json_object") return schema_grammar(R"({"type": "object"})", "response_format");
    if (t != "json_schema") throw bad_field("response_format.type", "must be text, json_object or json_schema");
    const json *js = member(*rf, "json_schema");
    if (!js || !js->is_object()) throw bad_field("response_format.json_schema", "must be an object");
    const json *name = member(*js, "name");
    if (!name || !name->is_string() || name->get<std::string>().empty() || name->get<std::string>().size() > 64)
        throw bad_field("response_format.json_schema.name", "must be a string of 1 to 64 characters");
    if (const json *strict = member(*js, "strict"); strict && !strict->is_boolean() && !strict->is_null())
        throw bad_field("response_format.json_schema.strict", "must be a boolean");
    const json *schema = member(*js, "schema");
    if (!schema || schema->is_null()) return schema_grammar(R"({"type": "object"})", "response_format.json_schema");
    if (!schema->is_object() && !schema->is_boolean())
        throw bad_field("response_format.json_schema.schema", "must be a JSON schema (an object)");
    return schema_grammar(schema->dump(), "response_format.json_schema.schema");
}

std::vector<std::pair<int32_t, float>> logit_bias_of(const json &body, int32_t n_vocab) {
    const json *v = member(body, "logit_bias");
    std::vector<std::pair<int32_t, float>> out;
    if (!v) return out;
    if (!v->is_object()) throw bad_field("logit_bias", "must be an object of token id -> bias");
    if (v->size() > 1024) throw bad_field("logit_bias", "at most 1024 entries");
    for (auto it = v->begin(); it != v->end(); ++it) {
        const std::string &key = it.key();
        char *end = nullptr;
        long id = std::strtol(key.c_str(), &end, 10);
        if (key.empty() || *end || id < 0 || id >= n_vocab)
            throw bad_field("logit_bias", "'" + key + "' is not a token id below " + std::to_string(n_vocab));
        if (!it->is_number() || !std::isfinite(it->get<double>()) || std::fabs(it->get<double>()) > 100.0)
            throw bad_field("logit_bias", "biases must be numbers between -100 and 100");
        out.emplace_back(int32_t(id), it->get<float>());
    }
    return out;
}

// The fields chat and completion requests share.
void common_fields(const loom_model *model, const json &body, const RequestLimits &limits, ParsedRequest *out) {
    if (!body.is_object()) throw ApiError(400, "invalid_request_error", "the request body must be a JSON object");
    GenRequest &g = out->gen;
    out->model = model_of(body);
    out->stream = bool_of(body, "stream", false);
    if (const json *so = member(body, "stream_options")) {
        if (!so->is_object()) throw bad_field("stream_options", "must be an object");
        out->include_usage = bool_of(*so, "include_usage", false);
    }
    const int64_t cap = limits.max_tokens > 0 ? limits.max_tokens : limits.slot_ctx;
    int64_t max_tokens = int_in(body, "max_tokens", 1, cap, -1);
    max_tokens = int_in(body, "max_completion_tokens", 1, cap, max_tokens);
    g.max_tokens = int32_t(max_tokens >= 0 ? max_tokens : limits.default_max_tokens);
    SamplingParams &s = g.sampling;
    s.temperature = number_in(body, "temperature", 0.0, 2.0, 1.0);
    s.top_p = number_in(body, "top_p", 0.0, 1.0, 1.0);
    if (s.top_p == 0.0) s.top_p = 1e-6;
    s.presence_penalty = number_in(body, "presence_penalty", -2.0, 2.0, 0.0);
    s.frequency_penalty = number_in(body, "frequency_penalty", -2.0, 2.0, 0.0);
    s.logit_bias = logit_bias_of(body, loom_model_n_vocab(model));
    if (member(body, "seed")) {
        s.seed = uint64_t(int_in(body, "seed", std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max(), 0));
        s.seed_set = true;
    }
    s.grammar = response_format_grammar(body);
    g.stop = stops_of(body);
    g.n = int32_t(int_in(body, "n", 1, limits.max_n, 1));
}

std::vector<int32_t> tokenize(const loom_model *model, const std::string &text) {
    size_t n = 0;
    loom_status st = loom_tokenize(model, text.data(), text.size(), LOOM_TOKENIZE_PARSE_SPECIAL, nullptr, 0, &n);
    std::vector<int32_t> out(n);
    if ((st == LOOM_OK || st == LOOM_ERR_BUFFER_TOO_SMALL) && n)
        st = loom_tokenize(model, text.data(), text.size(), LOOM_TOKENIZE_PARSE_SPECIAL, out.data(), n, &n);
    if (st != LOOM_OK) throw ApiError(500, "server_error", std::string("tokenizer: ") + loom_last_error());
    return out;
}

// Speculative decoding keeps no logits of the tokens it emits.
void check_logprobs_allowed(const GenRequest &g, const RequestLimits &limits) {
    if (limits.speculative && g.top_logprobs >= 0)
        throw ApiError(400, "invalid_request_error",
                       "'logprobs': not available on this server: it decodes speculatively (--lookup or "
                       "--model-draft), which keeps no log-probabilities; ask without logprobs, or use a "
                       "server started without those flags", "logprobs", "logprobs_unsupported");
}

void check_prompt_size(const std::vector<int32_t> &prompt, const RequestLimits &limits, const char *field) {
    const int32_t cap = limits.max_prompt_tokens > 0 ? std::min(limits.max_prompt_tokens, limits.slot_ctx - 1)
                                                     : limits.slot_ctx - 1;
    if (prompt.empty()) throw bad_field(field, "the prompt has no tokens");
    if (prompt.size() > size_t(cap))
        throw ApiError(400, "invalid_request_error",
                       "'" + std::string(field) + "': the prompt has " + std::to_string(prompt.size()) +
                           " tokens; this server takes at most " + std::to_string(cap),
                       field, "context_length_exceeded");
}

// A message's content: a string, null, or an array of {"type": "text", "text": ...} parts.
std::string content_of(const json &msg, size_t i) {
    const std::string field = "messages[" + std::to_string(i) + "].content";
    const json *c = member(msg, "content");
    if (!c) return std::string();
    if (c->is_string()) return c->get<std::string>();
    if (!c->is_array()) throw bad_field(field, "must be a string or an array of content parts");
    std::string text;
    for (const json &part : *c) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
            !part["text"].is_string())
            throw bad_field(field, "only parts of type \"text\" with a string \"text\" are supported");
        text += part["text"].get<std::string>();
    }
    return text;
}

std::string render_chat(const loom_model *model, const json &messages, const std::string &tools, int32_t flags) {
    if (!messages.is_array() || messages.empty()) throw bad_field("messages", "must be a non-empty array");
    if (messages.size() > 4096) throw bad_field("messages", "at most 4096 messages");
    std::vector<std::string> roles, contents, calls;
    for (size_t i = 0; i < messages.size(); i++) {
        const json &m = messages[i];
        const std::string field = "messages[" + std::to_string(i) + "]";
        if (!m.is_object()) throw bad_field(field, "must be an object");
        const json *role = member(m, "role");
        if (!role || !role->is_string()) throw bad_field(field + ".role", "must be a string");
        std::string r = role->get<std::string>();
        if (r == "developer") r = "system";
        if (r != "system" && r != "user" && r != "assistant" && r != "tool")
            throw bad_field(field + ".role", "must be system, developer, user, assistant or tool");
        roles.push_back(r);
        contents.push_back(content_of(m, i));
        calls.push_back(message_tool_calls(m, i));
    }
    std::vector<const char *> r, c, tc;
    for (size_t i = 0; i < roles.size(); i++)
        r.push_back(roles[i].c_str()), c.push_back(contents[i].c_str()), tc.push_back(calls[i].c_str());
    const char *t = tools.empty() ? nullptr : tools.c_str();
    flags |= LOOM_CHAT_ADD_GENERATION_PROMPT;
    size_t n = 0;
    loom_status st = loom_chat_apply_tools(model, r.data(), c.data(), tc.data(), r.size(), t, flags, nullptr, 0, &n);
    std::string out(n, '\0');
    if (st == LOOM_ERR_BUFFER_TOO_SMALL || st == LOOM_OK)
        st = loom_chat_apply_tools(model, r.data(), c.data(), tc.data(), r.size(), t, flags, &out[0], n, &n);
    if (st != LOOM_OK) {
        const std::string field = t && st == LOOM_ERR_UNSUPPORTED ? "tools" : "messages";
        throw ApiError(400, "invalid_request_error", field + ": " + loom_last_error(), field);
    }
    return out;
}

// A prompt given as token ids (completions and embeddings accept them).
std::vector<int32_t> token_array(const loom_model *model, const json &v, const std::string &field) {
    std::vector<int32_t> out;
    const int32_t n_vocab = loom_model_n_vocab(model);
    for (const json &t : v) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= n_vocab)
            throw bad_field(field, "token ids must be integers below " + std::to_string(n_vocab));
        out.push_back(t.get<int32_t>());
    }
    return out;
}

bool is_token_array(const json &v) { return v.is_array() && !v.empty() && v[0].is_number(); }

} // namespace

json parse_body(const std::string &body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) throw ApiError(400, "invalid_request_error", "the request body is not valid JSON");
    if (!j.is_object()) throw ApiError(400, "invalid_request_error", "the request body must be a JSON object");
    return j;
}

ParsedRequest parse_chat_request(const loom_model *model, const json &body, const RequestLimits &limits) {
    ParsedRequest out;
    common_fields(model, body, limits, &out);
    const json *messages = member(body, "messages");
    if (!messages) throw bad_field("messages", "is required");
    if (bool_of(body, "logprobs", false)) out.gen.top_logprobs = int32_t(int_in(body, "top_logprobs", 0, 20, 0));
    else if (member(body, "top_logprobs")) throw bad_field("top_logprobs", "needs \"logprobs\": true");
    check_logprobs_allowed(out.gen, limits);
    ToolsRequest tools = parse_tools(body, !out.gen.sampling.grammar.empty());
    if (!tools.grammar.empty()) out.gen.sampling.grammar = tools.grammar;
    out.parse_tool_calls = tools.parse_calls;
    out.gen.prompt = tokenize(model, render_chat(model, *messages, tools.tools_json, limits.chat_flags));
    check_prompt_size(out.gen.prompt, limits, "messages");
    return out;
}

ParsedRequest parse_completion_request(const loom_model *model, const json &body, const RequestLimits &limits) {
    ParsedRequest out;
    RequestLimits l = limits;
    if (l.default_max_tokens < 0) l.default_max_tokens = 16;   // the OpenAI default for completions
    common_fields(model, body, l, &out);
    if (member(body, "logprobs")) out.gen.top_logprobs = int32_t(int_in(body, "logprobs", 0, 5, 0));
    check_logprobs_allowed(out.gen, limits);
    const json *p = member(body, "prompt");
    if (!p) throw bad_field("prompt", "is required");
    if (p->is_array() && p->size() == 1 && (*p)[0].is_string()) p = &(*p)[0];
    if (p->is_string()) out.gen.prompt = tokenize(model, p->get<std::string>());
    else if (is_token_array(*p)) out.gen.prompt = token_array(model, *p, "prompt");
    else throw bad_field("prompt", "must be a string, an array of one string, or an array of token ids");
    check_prompt_size(out.gen.prompt, limits, "prompt");
    return out;
}

EmbeddingsRequest parse_embeddings_request(const loom_model *model, const json &body, const RequestLimits &limits) {
    EmbeddingsRequest out;
    out.model = model_of(body);
    if (const json *f = member(body, "encoding_format")) {
        if (!f->is_string() || (*f != "float" && *f != "base64"))
            throw bad_field("encoding_format", "must be \"float\" or \"base64\"");
        out.base64 = *f == "base64";
    }
    const json *in = member(body, "input");
    if (!in) throw bad_field("input", "is required");
    if (in->is_string()) {
        out.inputs.push_back(tokenize(model, in->get<std::string>()));
    } else if (is_token_array(*in)) {
        out.inputs.push_back(token_array(model, *in, "input"));
    } else if (in->is_array() && !in->empty() && in->size() <= 256) {
        for (const json &item : *in) {
            if (item.is_string()) out.inputs.push_back(tokenize(model, item.get<std::string>()));
            else if (is_token_array(item)) out.inputs.push_back(token_array(model, item, "input"));
            else throw bad_field("input", "items must be strings or arrays of token ids");
        }
    } else {
        throw bad_field("input", "must be a string, an array of 1 to 256 strings, or token ids");
    }
    for (const auto &tokens : out.inputs) check_prompt_size(tokens, limits, "input");
    return out;
}

} // namespace serve
