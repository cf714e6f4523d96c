// JSON schema -> GBNF (json_schema.h). Every value rule ends with `space`
// (optional bounded whitespace), so rules compose by juxtaposition. Rules are
// shared by body; $ref targets become named rules (recursion allowed).
#include "grammar/json_schema.h"

#include "grammar/grammar.h"

#include <cctype>
#include <cmath>
#include <map>
#include <set>

namespace loom {

namespace {

using schema_gbnf::literal;

constexpr int kMaxVisitDepth = 256;          // nesting through $ref chains
constexpr uint64_t kMaxRepeat = 1024;        // larger maxItems / maxLength allow this many
constexpr double kMaxBound = 1e18;

// Keywords that only annotate: accepted anywhere and ignored.
const std::set<std::string> kAnnotations = {"title", "description", "$schema", "$id", "$comment", "default",
                                            "examples", "deprecated", "readOnly", "writeOnly", "$defs",
                                            "definitions"};
const std::set<std::string> kKeywords = {"type", "properties", "required", "additionalProperties", "items",
                                         "minItems", "maxItems", "uniqueItems", "enum", "const", "minLength",
                                         "maxLength", "format", "minimum", "maximum", "exclusiveMinimum",
                                         "exclusiveMaximum", "anyOf", "oneOf", "$ref"};

// Fixed rules, defined when first used.
const std::map<std::string, std::string> kPrimitives = {
    {"space", R"(| " " | "\n" [ \t]{0,20})"},
    {"boolean", R"(("true" | "false") space)"},
    {"null", R"("null" space)"},
    {"integral-part", R"([0] | [1-9] [0-9]{0,15})"},
    {"integer", R"(("-"? integral-part) space)"},
    {"number", R"(("-"? integral-part) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})? space)"},
    {"char", R"([^"\\\x7F\x00-\x1F] | [\\] (["\\/bfnrt] | "u" ([0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2})))"},
    {"string", R"("\"" char* "\"" space)"},
    {"value", R"(object | array | string | number | boolean | null)"},
    {"object", R"("{" space (string ":" space value ("," space string ":" space value)*)? "}" space)"},
    {"array", R"("[" space (value ("," space value)*)? "]" space)"},
    {"hex", R"([0-9a-fA-F])"},
    {"date", R"([1-9] [0-9]{3} "-" (("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) | ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") | "02-" ("0" [1-9] | "1" [0-9] | "2" [0-8])))"},
    {"time", R"(([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,6})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9]))"},
    {"date-time", R"(date "T" time)"},
    {"uuid", R"(hex{8} "-" hex{4} "-" hex{4} "-" hex{4} "-" hex{12})"},
    {"email-atom", R"([A-Za-z0-9_%+-]{1,32})"},
    {"email-label", R"([A-Za-z0-9] ([A-Za-z0-9-]{0,30} [A-Za-z0-9])?)"},
    {"email", R"(email-atom ("." email-atom){0,3} "@" email-label ("." email-label){1,3})"},
};

// The primitive rules a primitive's body refers to.
const std::map<std::string, std::vector<std::string>> kPrimitiveDeps = {
    {"boolean", {"space"}}, {"null", {"space"}}, {"integer", {"integral-part", "space"}},
    {"number", {"integral-part", "space"}}, {"string", {"char", "space"}},
    {"value", {"object", "array", "string", "number", "boolean", "null"}},
    {"object", {"space", "string", "value"}}, {"array", {"space", "value"}},
    {"date-time", {"date", "time"}}, {"uuid", {"hex"}}, {"email", {"email-atom", "email-label"}},
};

// The schema `true`: any value.
JsonValue any_schema() {
    JsonValue v;
    v.kind = JsonValue::Bool;
    v.boolean = true;
    return v;
}

const std::set<std::string> kFormats = {"date", "time", "date-time", "uuid", "email"};

class SchemaConverter {
public:
    explicit SchemaConverter(const JsonValue &root) : root_(root) {}

    Status convert(std::string *gbnf) {
        std::string top;
        LOOM_TRY(visit(root_, "#", &top));
        std::string out = "root ::= " + top + "\n";
        for (const auto &[name, body] : rules_) out += name + " ::= " + body + "\n";
        *gbnf = std::move(out);
        return Status::ok();
    }

private:
    const JsonValue &root_;
    std::vector<std::pair<std::string, std::string>> rules_;   // in definition order
    std::map<std::string, std::string> by_body_;
    std::set<std::string> names_ = reserved_names();
    std::set<std::string> defined_;   // primitives already in rules_
    std::map<std::string, std::string> refs_;   // "$ref" text -> rule name
    std::map<std::string, int> counters_;
    int depth_ = 0;

    std::string fresh_name(const std::string &base) {
        std::string name = base;
        while (names_.count(name)) name = base + std::to_string(++counters_[base]);
        names_.insert(name);
        return name;
    }

    std::string add_rule(const std::string &base, const std::string &body) {
        auto it = by_body_.find(body);
        if (it != by_body_.end()) return it->second;
        std::string name = fresh_name(base);
        rules_.emplace_back(name, body);
        by_body_.emplace(body, name);
        return name;
    }

    static std::set<std::string> reserved_names() {
        std::set<std::string> names = {"root"};
        for (const auto &p : kPrimitives) names.insert(p.first);
        return names;
    }

    std::string primitive(const std::string &name) {
        if (!defined_.insert(name).second) return name;
        rules_.emplace_back(name, kPrimitives.at(name));
        auto deps = kPrimitiveDeps.find(name);
        if (deps != kPrimitiveDeps.end())
            for (const std::string &d : deps->second) primitive(d);
        return name;
    }

    static Status bad(const std::string &path, const char *what) {
        return error(LOOM_ERR_FORMAT, "JSON schema at %s: %s", path.c_str(), what);
    }
    static Status unsupported(const std::string &path, const std::string &what) {
        return error(LOOM_ERR_UNSUPPORTED, "JSON schema at %s: %s is not supported", path.c_str(), what.c_str());
    }

    Status check_keywords(const JsonValue &s, const std::string &path) {
        for (const std::string &k : s.keys)
            if (!kKeywords.count(k) && !kAnnotations.count(k)) return unsupported(path, "keyword '" + k + "'");
        return Status::ok();
    }

    Status visit(const JsonValue &s, const std::string &path, std::string *rule) {
        if (s.kind == JsonValue::Bool) {
            if (!s.boolean) return bad(path, "the schema false accepts no value");
            *rule = primitive("value");
            return Status::ok();
        }
        if (s.kind != JsonValue::Object) return bad(path, "a schema must be an object or a boolean");
        if (depth_ >= kMaxVisitDepth) return unsupported(path, "nesting deeper than 256 schemas (through $ref)");
        depth_++;
        Status st = visit_object_schema(s, path, rule);
        depth_--;
        return st;
    }

    Status visit_object_schema(const JsonValue &s, const std::string &path, std::string *rule) {
        LOOM_TRY(check_keywords(s, path));
        if (const JsonValue *ref = s.find("$ref")) {
            for (const std::string &k : s.keys)   // draft 2019+ applies them too; not merged here
                if (k != "$ref" && !kAnnotations.count(k)) return unsupported(path, "'" + k + "' beside $ref");
            return visit_ref(*ref, path, rule);
        }
        if (const JsonValue *c = s.find("const")) {
            *rule = add_rule("const", literal(write_json(*c)) + " " + primitive("space"));
            return Status::ok();
        }
        if (const JsonValue *e = s.find("enum")) return visit_enum(*e, path + "/enum", rule);
        const JsonValue *any = s.find("anyOf");
        const JsonValue *one = s.find("oneOf");
        if (any && one) return unsupported(path, "anyOf together with oneOf");
        if (any || one) return visit_alternatives(s, any ? *any : *one, path + (any ? "/anyOf" : "/oneOf"), rule);
        const JsonValue *type = s.find("type");
        if (!type) return visit_type(s, inferred_type(s), path, rule);
        if (type->kind == JsonValue::String) return visit_type(s, type->text, path, rule);
        if (type->kind != JsonValue::Array || type->items.empty())
            return bad(path + "/type", "type must be a string or a non-empty array of strings");
        std::string body;
        for (size_t i = 0; i < type->items.size(); i++) {
            const JsonValue &t = type->items[i];
            if (t.kind != JsonValue::String) return bad(path + "/type", "type must be a string or a non-empty array of strings");
            std::string r;
            LOOM_TRY(visit_type(s, t.text, path, &r));
            body += (i ? " | " : "") + r;
        }
        *rule = add_rule("alt", body);
        return Status::ok();
    }

    static std::string inferred_type(const JsonValue &s) {
        if (s.find("properties") || s.find("required") || s.find("additionalProperties")) return "object";
        if (s.find("items") || s.find("minItems") || s.find("maxItems")) return "array";
        if (s.find("minLength") || s.find("maxLength") || s.find("format")) return "string";
        if (s.find("minimum") || s.find("maximum") || s.find("exclusiveMinimum") || s.find("exclusiveMaximum"))
            return "number";
        return "";
    }

    Status visit_type(const JsonValue &s, const std::string &type, const std::string &path, std::string *rule) {
        if (type.empty()) *rule = primitive("value");
        else if (type == "object") return visit_object(s, path, rule);
        else if (type == "array") return visit_array(s, path, rule);
        else if (type == "string") return visit_string(s, path, rule);
        else if (type == "integer" || type == "number") return visit_number(s, type == "integer", path, rule);
        else if (type == "boolean") *rule = primitive("boolean");
        else if (type == "null") *rule = primitive("null");
        else return bad(path + "/type", ("unknown type '" + type + "'").c_str());
        return Status::ok();
    }

    Status visit_enum(const JsonValue &e, const std::string &path, std::string *rule) {
        if (e.kind != JsonValue::Array || e.items.empty()) return bad(path, "enum must be a non-empty array");
        std::string body = "(";
        for (size_t i = 0; i < e.items.size(); i++) body += (i ? " | " : "") + literal(write_json(e.items[i]));
        *rule = add_rule("enum", body + ") " + primitive("space"));
        return Status::ok();
    }

    Status visit_alternatives(const JsonValue &s, const JsonValue &alts, const std::string &path, std::string *rule) {
        if (alts.kind != JsonValue::Array || alts.items.empty())
            return bad(path, "anyOf and oneOf must be non-empty arrays");
        for (const char *k : {"type", "properties", "items", "enum", "const"})
            if (s.find(k)) return unsupported(path, std::string("anyOf/oneOf together with '") + k + "'");
        std::string body;
        for (size_t i = 0; i < alts.items.size(); i++) {
            std::string r;
            LOOM_TRY(visit(alts.items[i], path + "/" + std::to_string(i), &r));
            body += (i ? " | " : "") + r;
        }
        *rule = add_rule("alt", body);
        return Status::ok();
    }

    // "#", "#/$defs/a", "#/definitions/a~1b": a JSON pointer into this document.
    Status resolve(const std::string &ref, const std::string &path, const JsonValue **target) {
        if (ref.empty() || ref[0] != '#') return unsupported(path, "$ref '" + ref + "' (only '#...' refs)");
        const JsonValue *at = &root_;
        size_t pos = 1;
        while (pos < ref.size()) {
            if (ref[pos] != '/') return bad(path, ("$ref '" + ref + "' is not a JSON pointer").c_str());
            size_t end = ref.find('/', pos + 1);
            if (end == std::string::npos) end = ref.size();
            std::string token;
            for (size_t i = pos + 1; i < end; i++) {
                if (ref[i] == '~' && i + 1 < end && (ref[i + 1] == '0' || ref[i + 1] == '1')) token += ref[++i] == '0' ? '~' : '/';
                else token += ref[i];
            }
            const JsonValue *next = at->find(token);
            if (!next && at->kind == JsonValue::Array && !token.empty() && token.size() < 10 &&
                token.find_first_not_of("0123456789") == std::string::npos && std::stoul(token) < at->items.size())
                next = &at->items[std::stoul(token)];
            if (!next) return bad(path, ("$ref '" + ref + "' names nothing in the schema").c_str());
            at = next;
            pos = end;
        }
        *target = at;
        return Status::ok();
    }

    static std::string rule_base(const std::string &ref) {
        std::string base = "ref-";
        for (char c : ref.substr(ref.rfind('/') + 1))
            base += (std::isalnum(uint8_t(c)) ? c : '-');
        return base.size() > 40 ? base.substr(0, 40) : base;
    }

    Status visit_ref(const JsonValue &ref, const std::string &path, std::string *rule) {
        if (ref.kind != JsonValue::String) return bad(path + "/$ref", "$ref must be a string");
        auto it = refs_.find(ref.text);
        if (it != refs_.end()) {
            *rule = it->second;
            return Status::ok();
        }
        const JsonValue *target = nullptr;
        LOOM_TRY(resolve(ref.text, path + "/$ref", &target));
        std::string name = fresh_name(rule_base(ref.text));
        refs_.emplace(ref.text, name);   // before visiting: recursive schemas refer to the name
        std::string body;
        LOOM_TRY(visit(*target, ref.text, &body));
        rules_.emplace_back(name, body);
        *rule = name;
        return Status::ok();
    }

    // A non-negative integer keyword (minItems, maxLength, ...), or `fallback`.
    static Status count(const JsonValue &s, const char *key, const std::string &path, uint64_t fallback,
                        uint64_t *out) {
        const JsonValue *v = s.find(key);
        *out = fallback;
        if (!v) return Status::ok();
        if (v->kind != JsonValue::Number || v->number < 0 || v->number != std::floor(v->number) || v->number > 1e15)
            return error(LOOM_ERR_FORMAT, "JSON schema at %s/%s: must be a non-negative integer", path.c_str(), key);
        *out = uint64_t(v->number);
        return Status::ok();
    }

    // `item`{min,max} separated by `sep` (max = UINT64_MAX: no bound); "" when max is 0.
    static std::string repeat(const std::string &item, const std::string &sep, uint64_t min, uint64_t max) {
        if (max == 0) return "";
        std::string next = sep.empty() ? item : "(" + sep + " " + item + ")";
        unsigned long long lo = min ? min - 1 : 0;
        std::string tail = max == UINT64_MAX ? (lo ? next + format("{%llu,}", lo) : next + "*")
                         : max == 1        ? ""
                         : next + format("{%llu,%llu}", lo, (unsigned long long)(max - 1));
        std::string one = item + (tail.empty() ? "" : " " + tail);
        return min == 0 ? "(" + one + ")?" : one;
    }

    Status bounds(const JsonValue &s, const char *min_key, const char *max_key, const std::string &path,
                  uint64_t *min, uint64_t *max) {
        LOOM_TRY(count(s, min_key, path, 0, min));
        LOOM_TRY(count(s, max_key, path, UINT64_MAX, max));
        if (*min > *max) return bad(path, (std::string(min_key) + " is above " + max_key).c_str());
        if (*min > kMaxRepeat) return unsupported(path, std::string(min_key) + " above 1024");
        if (*max != UINT64_MAX && *max > kMaxRepeat) *max = kMaxRepeat;
        return Status::ok();
    }

    Status visit_array(const JsonValue &s, const std::string &path, std::string *rule) {
        const JsonValue *items = s.find("items");
        if (items && items->kind == JsonValue::Array) return unsupported(path + "/items", "items as an array (tuples)");
        if (const JsonValue *u = s.find("uniqueItems"); u && !(u->kind == JsonValue::Bool && !u->boolean))
            return unsupported(path, "uniqueItems");
        std::string item;
        if (items) LOOM_TRY(visit(*items, path + "/items", &item));
        else item = primitive("value");
        uint64_t min = 0, max = 0;
        LOOM_TRY(bounds(s, "minItems", "maxItems", path, &min, &max));
        std::string sp = primitive("space");
        std::string inner = repeat(item, "\",\" " + sp, min, max);
        *rule = add_rule("array", "\"[\" " + sp + (inner.empty() ? "" : " " + inner) + " \"]\" " + sp);
        return Status::ok();
    }

    Status visit_string(const JsonValue &s, const std::string &path, std::string *rule) {
        uint64_t min = 0, max = 0;
        LOOM_TRY(bounds(s, "minLength", "maxLength", path, &min, &max));
        std::string sp = primitive("space");
        if (const JsonValue *f = s.find("format")) {
            if (f->kind != JsonValue::String) return bad(path + "/format", "format must be a string");
            if (!kFormats.count(f->text)) return unsupported(path + "/format", "format '" + f->text + "'");
            if (s.find("minLength") || s.find("maxLength"))
                return unsupported(path, "format together with minLength/maxLength");
            *rule = add_rule("string-" + f->text, "\"\\\"\" " + primitive(f->text) + " \"\\\"\" " + sp);
            return Status::ok();
        }
        if (min == 0 && max == UINT64_MAX) {
            *rule = primitive("string");
            return Status::ok();
        }
        std::string c = primitive("char");
        std::string body = max == UINT64_MAX ? format("%s{%llu,}", c.c_str(), (unsigned long long)min)
                                             : format("%s{%llu,%llu}", c.c_str(), (unsigned long long)min,
                                                      (unsigned long long)max);
        *rule = add_rule("string", "\"\\\"\" " + body + " \"\\\"\" " + sp);
        return Status::ok();
    }

    // A numeric bound, whole and within +-10^18 (for integers: rounded inward).
    struct Bound {
        std::optional<int64_t> value;
        bool exclusive = false;
    };

    static Status read_bound(const JsonValue &s, bool lower, bool integer, const std::string &path, Bound *b) {
        const char *inc_key = lower ? "minimum" : "maximum";
        const char *exc_key = lower ? "exclusiveMinimum" : "exclusiveMaximum";
        const JsonValue *inc = s.find(inc_key), *exc = s.find(exc_key);
        bool draft4_exclusive = exc && exc->kind == JsonValue::Bool && exc->boolean;
        if (exc && exc->kind == JsonValue::Bool) exc = nullptr;
        std::optional<double> v;
        bool exclusive = false;
        for (const JsonValue *x : {inc, exc}) {
            if (!x) continue;
            const char *key = x == inc ? inc_key : exc_key;
            if (x->kind != JsonValue::Number)
                return error(LOOM_ERR_FORMAT, "JSON schema at %s/%s: must be a number", path.c_str(), key);
            if (!(std::fabs(x->number) <= kMaxBound))
                return error(LOOM_ERR_UNSUPPORTED, "JSON schema at %s/%s: bounds beyond 1e18 are not supported",
                             path.c_str(), key);
            bool ex = x == exc || draft4_exclusive;
            bool tighter = !v || (lower ? x->number > *v || (x->number == *v && ex) : x->number < *v || (x->number == *v && ex));
            if (tighter) v = x->number, exclusive = ex;
        }
        if (!v) return Status::ok();
        if (integer) {   // the nearest integer inside, inclusive
            double r = lower ? std::ceil(*v) : std::floor(*v);
            if (exclusive && r == *v) r += lower ? 1 : -1;
            b->value = int64_t(r);
            return Status::ok();
        }
        if (*v != std::floor(*v))
            return error(LOOM_ERR_UNSUPPORTED, "JSON schema at %s/%s: a fractional bound (%s) on a number is not supported",
                         path.c_str(), exclusive ? exc_key : inc_key, format("%g", *v).c_str());
        b->value = int64_t(*v);
        b->exclusive = exclusive;
        return Status::ok();
    }

    Status visit_number(const JsonValue &s, bool integer, const std::string &path, std::string *rule) {
        Bound lo, hi;
        LOOM_TRY(read_bound(s, true, integer, path, &lo));
        LOOM_TRY(read_bound(s, false, integer, path, &hi));
        if (!lo.value && !hi.value) {
            *rule = primitive(integer ? "integer" : "number");
            return Status::ok();
        }
        std::string expr = integer ? (lo.value && hi.value && *lo.value > *hi.value
                                          ? ""
                                          : schema_gbnf::integer_range(lo.value, hi.value))
                                   : schema_gbnf::number_range(lo.value, lo.exclusive, hi.value, hi.exclusive);
        if (expr.empty()) return bad(path, "no value lies between the minimum and the maximum");
        *rule = add_rule(integer ? "integer" : "number", expr + " " + primitive("space"));
        return Status::ok();
    }

    // additionalProperties: absent -> none when properties are given, else any.
    Status visit_additional(const JsonValue &s, const JsonValue *props, const std::string &path, std::string *rule) {
        const JsonValue *add = s.find("additionalProperties");
        rule->clear();
        if (!add && props) return Status::ok();
        if (add && add->kind == JsonValue::Bool && !add->boolean) return Status::ok();
        std::string value;
        LOOM_TRY(visit(add ? *add : any_schema(), path + "/additionalProperties", &value));
        std::string key = props ? "\"\\\"\" " + schema_gbnf::key_excluding(props->keys, [&](const std::string &b, const std::string &body) {
                                      return add_rule(b, body);
                                  })
                                : primitive("string");
        std::string sp = primitive("space");
        std::string kv = add_rule("additional-kv", key + " " + (props ? sp + " " : "") + "\":\" " + sp + " " + value);
        *rule = add_rule("additional-kvs", kv + " (\",\" " + sp + " " + kv + ")*");
        return Status::ok();
    }

    Status visit_object(const JsonValue &s, const std::string &path, std::string *rule) {
        const JsonValue *props = s.find("properties"), *req = s.find("required");
        if (props && props->kind != JsonValue::Object) return bad(path + "/properties", "properties must be an object");
        if (req && req->kind != JsonValue::Array) return bad(path + "/required", "required must be an array of strings");
        std::set<std::string> required;
        if (req)
            for (const JsonValue &r : req->items) {
                if (r.kind != JsonValue::String) return bad(path + "/required", "required must be an array of strings");
                required.insert(r.text);
            }
        std::string sp = primitive("space");
        std::vector<std::pair<std::string, bool>> kvs;   // member rule, required
        auto add_kv = [&](const std::string &name, const JsonValue &schema) -> Status {
            std::string value;
            LOOM_TRY(visit(schema, path + "/properties/" + name, &value));
            JsonValue key;
            key.kind = JsonValue::String;
            key.text = name;
            kvs.emplace_back(add_rule("kv", literal(write_json(key)) + " " + sp + " \":\" " + sp + " " + value),
                             required.count(name) > 0);
            return Status::ok();
        };
        if (props)
            for (size_t i = 0; i < props->keys.size(); i++) LOOM_TRY(add_kv(props->keys[i], props->items[i]));
        if (req)   // required names without a property schema take any value
            for (const JsonValue &r : req->items)
                if (!props || !props->find(r.text)) LOOM_TRY(add_kv(r.text, any_schema()));
        std::string additional;
        LOOM_TRY(visit_additional(s, props, path, &additional));
        if (!additional.empty()) kvs.emplace_back(additional, false);
        // Members in declared order, optional ones skippable. From the back:
        //   after_i: the rest once a member was written (each one after a comma)
        //   first_i: the rest while none was written yet
        std::string after, first, comma = "\",\" " + sp + " ";
        for (size_t i = kvs.size(); i-- > 0;) {
            const auto &[kv, is_required] = kvs[i];
            std::string next_after = after.empty() ? "" : " " + after;
            std::string f = is_required ? kv + next_after
                          : first.empty() ? "(" + kv + next_after + ")?" : kv + next_after + " | " + first;
            std::string a = is_required ? comma + kv + next_after : "(" + comma + kv + ")?" + next_after;
            first = add_rule("members", f);
            after = add_rule("more", a);
        }
        std::string members = first;
        *rule = add_rule("object", "\"{\" " + sp + (members.empty() ? "" : " " + members) + " \"}\" " + sp);
        return Status::ok();
    }
};

} // namespace

Status json_schema_to_gbnf(std::string_view schema, std::string *gbnf) {
    JsonValue root;
    LOOM_TRY(parse_json(schema, &root));
    std::string out;
    LOOM_TRY(SchemaConverter(root).convert(&out));
    Grammar check;
    Status st = parse_gbnf(out, "root", &check);
    if (!st.is_ok())
        return Status(st.code() == LOOM_ERR_FORMAT ? LOOM_ERR_UNSUPPORTED : st.code(),
                      "JSON schema: its grammar is refused (" + st.message() + ")");
    *gbnf = std::move(out);
    return Status::ok();
}

} // namespace loom
