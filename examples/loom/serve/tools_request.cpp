#include "tools_request.h"

#include "openai_request.h"

#include <set>
#include <vector>

namespace serve {

using json = RequestJson;

namespace {

const json *member(const json &body, const char *key) {
    auto it = body.find(key);
    return it == body.end() || it->is_null() ? nullptr : &*it;
}

// OpenAI's rule for function names: 1 to 64 of a-z, A-Z, 0-9, '_' and '-'.
bool valid_name(const std::string &s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

struct Tool {
    std::string name, parameters;   // parameters: a JSON schema's text
};

std::vector<Tool> tools_of(const json &tools) {
    if (!tools.is_array()) throw bad_field("tools", "must be an array of tools");
    if (tools.size() > 128) throw bad_field("tools", "at most 128 tools");
    std::vector<Tool> out;
    std::set<std::string> names;
    for (size_t i = 0; i < tools.size(); i++) {
        const std::string field = "tools[" + std::to_string(i) + "]";
        const json &t = tools[i];
        if (!t.is_object()) throw bad_field(field, "must be an object");
        const json *type = member(t, "type");
        if (!type || *type != "function") throw bad_field(field + ".type", "must be \"function\"");
        const json *fn = member(t, "function");
        if (!fn || !fn->is_object()) throw bad_field(field + ".function", "must be an object");
        const json *name = member(*fn, "name");
        if (!name || !name->is_string() || !valid_name(name->get<std::string>()))
            throw bad_field(field + ".function.name", "must be 1 to 64 characters of a-z, A-Z, 0-9, _ and -");
        if (!names.insert(name->get<std::string>()).second)
            throw bad_field(field + ".function.name", "'" + name->get<std::string>() + "' is declared twice");
        if (const json *d = member(*fn, "description"); d && !d->is_string())
            throw bad_field(field + ".function.description", "must be a string");
        const json *params = member(*fn, "parameters");
        if (params && !params->is_object()) throw bad_field(field + ".function.parameters", "must be a JSON schema (an object)");
        out.push_back({name->get<std::string>(), params ? params->dump() : R"({"type": "object"})"});
    }
    return out;
}

// One tool's call as Qwen2.5 writes it, its arguments held to the tool's schema.
std::string call_rules(const Tool &t, size_t i) {
    const std::string p = "t" + std::to_string(i) + "-";
    std::string g = prefix_rules(schema_grammar(t.parameters, "tools[" + std::to_string(i) + "].function.parameters"), p);
    return g + "\n" + p + "call ::= \"<tool_call>\\n{\\\"name\\\": \\\"" + t.name + "\\\", \\\"arguments\\\": \" " + p +
           "root \"}\\n</tool_call>\"\n";
}

// tool_choice "required" (any declared tool) or one named tool (index `only`);
// parallel: one or more calls, else exactly one.
std::string calls_grammar(const std::vector<Tool> &tools, int only, bool parallel) {
    std::string rules, alts;
    for (size_t i = 0; i < tools.size(); i++) {
        if (only >= 0 && size_t(only) != i) continue;
        rules += call_rules(tools[i], i);
        alts += (alts.empty() ? "" : " | ") + ("t" + std::to_string(i) + "-call");
    }
    return "root ::= call" + std::string(parallel ? " (\"\\n\" call)*" : "") + "\ncall ::= " + alts + "\n" + rules;
}

} // namespace

std::string prefix_rules(const std::string &gbnf, const std::string &prefix) {
    std::string out;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
    for (size_t i = 0; i < gbnf.size();) {
        const char c = gbnf[i];
        if (c == '"' || c == '[' || c == '{') {   // a literal, a class or a {m,n}: copied to its end
            const char end = c == '"' ? '"' : c == '[' ? ']' : '}';
            size_t j = i + 1;
            while (j < gbnf.size() && gbnf[j] != end) j += gbnf[j] == '\\' ? 2 : 1;
            j = std::min(j + 1, gbnf.size());
            out.append(gbnf, i, j - i);
            i = j;
        } else if (c == '#') {
            size_t j = gbnf.find('\n', i);
            j = j == std::string::npos ? gbnf.size() : j;
            out.append(gbnf, i, j - i);
            i = j;
        } else if (word(c)) {
            size_t j = i;
            while (j < gbnf.size() && word(gbnf[j])) j++;
            out.append(prefix).append(gbnf, i, j - i);
            i = j;
        } else {
            out.push_back(c);
            i++;
        }
    }
    return out;
}

ToolsRequest parse_tools(const json &body, bool has_response_format) {
    ToolsRequest out;
    const json *tools = member(body, "tools");
    std::vector<Tool> list = tools ? tools_of(*tools) : std::vector<Tool>();
    if (tools && !list.empty()) out.tools_json = tools->dump();
    const json *choice = member(body, "tool_choice");
    std::string mode = list.empty() ? "none" : "auto";
    int only = -1;
    if (choice && choice->is_string()) {
        mode = choice->get<std::string>();
        if (mode != "none" && mode != "auto" && mode != "required")
            throw bad_field("tool_choice", "must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", "
                                           "\"function\": {\"name\": ...}}");
    } else if (choice) {
        const json *fn = choice->is_object() ? member(*choice, "function") : nullptr;
        const json *name = fn && fn->is_object() ? member(*fn, "name") : nullptr;
        if (!choice->is_object() || member(*choice, "type") == nullptr || (*choice)["type"] != "function" || !name ||
            !name->is_string())
            throw bad_field("tool_choice", "must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", "
                                           "\"function\": {\"name\": ...}}");
        for (size_t i = 0; i < list.size(); i++)
            if (list[i].name == name->get<std::string>()) only = int(i);
        if (only < 0) throw bad_field("tool_choice.function.name", "'" + name->get<std::string>() + "' is not among the tools");
        mode = "function";
    }
    if (list.empty() && (mode == "required" || mode == "function"))
        throw bad_field("tool_choice", "\"" + mode + "\" needs a non-empty \"tools\" array");
    const json *par = member(body, "parallel_tool_calls");
    if (par && !par->is_boolean()) throw bad_field("parallel_tool_calls", "must be a boolean");
    out.parse_calls = mode != "none";
    if (mode == "required" || mode == "function") {
        if (has_response_format) throw bad_field("response_format", "cannot be combined with tool_choice \"" + mode + "\"");
        out.grammar = calls_grammar(list, only, par ? par->get<bool>() : true);
    }
    return out;
}

std::string message_tool_calls(const json &message, size_t i) {
    const std::string field = "messages[" + std::to_string(i) + "].tool_calls";
    const json *calls = member(message, "tool_calls");
    if (!calls) return "";
    if (!calls->is_array()) throw bad_field(field, "must be an array");
    for (size_t k = 0; k < calls->size(); k++) {
        const json &c = (*calls)[k];
        const std::string f = field + "[" + std::to_string(k) + "]";
        const json *fn = c.is_object() ? member(c, "function") : nullptr;
        if (!fn || !fn->is_object()) throw bad_field(f + ".function", "must be an object");
        const json *name = member(*fn, "name");
        if (!name || !name->is_string()) throw bad_field(f + ".function.name", "must be a string");
        if (!member(*fn, "arguments")) throw bad_field(f + ".function.arguments", "is required");
    }
    return calls->dump();
}

} // namespace serve
