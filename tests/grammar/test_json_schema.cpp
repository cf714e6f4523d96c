// JSON schema -> GBNF (lib/grammar/json_schema.cpp) and the JSON reader it
// uses (lib/common/json_reader.cpp): each schema's grammar, run by the
// matcher, takes instances that validate and refuses ones that do not (the
// expected verdicts are the JSON Schema specification's); integer ranges are
// checked exhaustively against arithmetic; unsupported keywords and malformed
// schemas give errors that name them.
#include "common/json_reader.h"
#include "grammar/grammar.h"
#include "grammar/json_schema.h"
#include "grammar/matcher.h"
#include "loom.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace loom;

namespace {

struct SchemaGrammar {
    std::string gbnf;
    GrammarMatcher matcher;

    explicit SchemaGrammar(const std::string &schema) : gbnf(convert(schema)), matcher(parse(gbnf)) {}

    static std::string convert(const std::string &schema) {
        std::string gbnf;
        Status st = json_schema_to_gbnf(schema, &gbnf);
        INFO(schema << "\n" << st.message());
        REQUIRE(st.is_ok());
        return gbnf;
    }
    static Grammar parse(const std::string &gbnf) {
        Grammar g;
        Status st = parse_gbnf(gbnf, "root", &g);
        INFO(gbnf << "\n" << st.message());
        REQUIRE(st.is_ok());
        return g;
    }
    bool accepts(const std::string &text) {
        GrammarMatcher::State s = matcher.step_all(matcher.start(), text);
        return s != GrammarMatcher::kDead && matcher.can_end(s);
    }
};

void check_verdicts(const std::string &schema, const std::vector<std::string> &valid,
                    const std::vector<std::string> &invalid) {
    SchemaGrammar g(schema);
    INFO("schema " << schema << "\ngrammar\n" << g.gbnf);
    for (const std::string &v : valid) {
        INFO("valid instance " << v);
        CHECK(g.accepts(v));
    }
    for (const std::string &v : invalid) {
        INFO("invalid instance " << v);
        CHECK_FALSE(g.accepts(v));
    }
}

Status convert_status(const std::string &schema) {
    std::string gbnf;
    return json_schema_to_gbnf(schema, &gbnf);
}

void check_error(const std::string &schema, loom_status code, const std::string &names) {
    Status st = convert_status(schema);
    INFO(schema << " -> " << st.message());
    CHECK(st.code() == code);
    CHECK_THAT(st.message(), Catch::Contains(names));
}

} // namespace

TEST_CASE("json reader parses values and refuses malformed text with the byte offset", "[json]") {
    JsonValue v;
    REQUIRE(parse_json(R"( {"a": [1, -2.5e3, "x\u00e9\ud83d\ude00\n"], "b": {"c": null, "d": true}} )", &v).is_ok());
    REQUIRE(v.kind == JsonValue::Object);
    const JsonValue *a = v.find("a");
    REQUIRE(a);
    REQUIRE(a->items.size() == 3);
    CHECK(a->items[1].number == -2500.0);
    CHECK(a->items[1].text == "-2.5e3");
    CHECK(a->items[2].text == "x\xc3\xa9\xf0\x9f\x98\x80\n");
    CHECK(write_json(v) == R"({"a":[1,-2.5e3,"x)" "\xc3\xa9\xf0\x9f\x98\x80" R"(\u000a"],"b":{"c":null,"d":true}})");
    struct Bad { const char *text, *why; };
    for (Bad b : {Bad{"", "byte 0"}, Bad{"[1,]", "byte 3"}, Bad{"{\"a\":1,\"a\":2}", "duplicate key 'a'"},
                  Bad{"\"\\ud800\"", "surrogate"}, Bad{"\"\\udc00x\"", "lone low surrogate"},
                  Bad{"\"\xc3\"", "invalid UTF-8"}, Bad{"\"\xed\xa0\x80\"", "invalid UTF-8"}, Bad{"01", "after the value"},
                  Bad{"1.", "digit expected"}, Bad{"\"a\nb\"", "control character"}, Bad{"[1] x", "after the value"},
                  Bad{"nul", "value expected"}, Bad{"{\"a\" 1}", "':' expected"}, Bad{"\"\\x\"", "unknown escape"}}) {
        Status st = parse_json(b.text, &v);
        INFO(b.text << " -> " << st.message());
        CHECK(st.code() == LOOM_ERR_FORMAT);
        CHECK_THAT(st.message(), Catch::Contains(b.why));
    }
    std::string deep(64, '['), deeper(65, '[');
    CHECK(parse_json(deep + std::string(64, ']'), &v).is_ok());
    Status st = parse_json(deeper + std::string(65, ']'), &v);
    CHECK(st.code() == LOOM_ERR_FORMAT);
    CHECK_THAT(st.message(), Catch::Contains("deeper than 64"));
    CHECK(parse_json(std::string(100000, '['), &v).code() == LOOM_ERR_FORMAT);   // no stack overflow
    CHECK(parse_json(std::string(kJsonMaxBytes + 1, ' '), &v).code() == LOOM_ERR_FORMAT);
}

TEST_CASE("objects: required and optional properties in order, no others unless allowed", "[json_schema]") {
    const char *schema = R"({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"},
        "c": {"type": "boolean"}}, "required": ["b"]})";
    check_verdicts(schema,
                   {R"({"b":"x"})", R"({"a":1,"b":"x"})", R"({"b":"x","c":true})", R"({ "a": -3, "b": "", "c": false })",
                    "{\n  \"b\": \"y\"\n}"},
                   {R"({})", R"({"a":1})", R"({"b":1})", R"({"b":"x","d":1})", R"({"b":"x",})", R"({"b":"x"} x)",
                    R"({"b":"x","b":"y"})"});
    check_verdicts(R"({"type": "object"})", {R"({})", R"({"any":[1,{"x":null}],"b":"s"})"}, {R"([])", R"("s")"});
    check_verdicts(R"({"type":"object","properties":{"a":{"type":"null"}},"additionalProperties":false})",
                   {R"({})", R"({"a":null})"}, {R"({"b":null})"});
}

TEST_CASE("additionalProperties true or a schema: other keys, never a declared one", "[json_schema]") {
    check_verdicts(R"({"properties": {"ab": {"const": 1}}, "required": ["ab"], "additionalProperties": true})",
                   {R"({"ab":1})", R"({"ab":1,"a":[true]})", R"({"ab":1,"abc":2,"b":{}})", R"({"ab":1,"":0})"},
                   {R"({"ab":1,"ab":2})", R"({"ab":2})", R"({"x":1})"});
    check_verdicts(R"({"type": "object", "properties": {"k": {"type": "string"}}, "additionalProperties": {"type": "number"}})",
                   {R"({})", R"({"k":"v","x":1.5,"y":-2})", R"({"z":0})"}, {R"({"x":"s"})", R"({"k":1})"});
    check_verdicts(R"({"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}})",
                   {R"({})", R"({"a":1,"b\u0041":2})"}, {R"({"a":-1})"});
}

TEST_CASE("arrays with items, minItems and maxItems", "[json_schema]") {
    check_verdicts(R"({"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 3})",
                   {"[true]", "[true, false, true]", "[ false ]"}, {"[]", "[true,true,true,true]", "[1]", "[true,]"});
    check_verdicts(R"({"type": "array", "maxItems": 0})", {"[]"}, {"[1]"});
    check_verdicts(R"({"type": "array", "minItems": 2})", {"[1,\"a\"]", "[1,2,3,4,5]"}, {"[]", "[1]"});
    check_verdicts(R"({"type": "array", "items": {"type": "array", "items": {"type": "integer"}, "maxItems": 1}})",
                   {"[]", "[[],[1]]"}, {"[[1,2]]", "[[1.5]]"});
}

TEST_CASE("enum, const, type arrays, anyOf and oneOf", "[json_schema]") {
    check_verdicts(R"({"enum": ["a", 1, null, {"k": [1]}, "q\"\\"]})",
                   {R"("a")", "1", "null", R"({"k":[1]})", R"("q\"\\")"}, {R"("b")", "2", R"({"k":[2]})", "true"});
    check_verdicts(R"({"const": "fixed"})", {R"("fixed")"}, {R"("fixe")", R"("fixedx")"});
    check_verdicts(R"({"type": ["string", "null"], "maxLength": 1})", {R"("")", R"("a")", "null"}, {R"("ab")", "0"});
    check_verdicts(R"({"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "string"}}]})",
                   {"3", R"(["x"])"}, {"1.5", "[3]"});
    check_verdicts(R"({"oneOf": [{"const": true}, {"type": "string", "format": "uuid"}]})",
                   {"true", R"("123e4567-e89b-12d3-a456-426614174000")"}, {"false", R"("123e4567")"});
}

TEST_CASE("strings: lengths in characters, escapes, formats", "[json_schema]") {
    check_verdicts(R"({"type": "string", "minLength": 2, "maxLength": 3})",
                   {R"("ab")", R"("abc")", "\"\xc3\xa9\xc3\xa9\"", R"("\n\u00e9")"},
                   {R"("a")", R"("abcd")", "\"\xc3\xa9\"", R"("\ud83d\ude00")", R"("\x")", "\"a\x01\""});
    check_verdicts(R"({"type": "string", "format": "date"})", {R"("2024-02-28")", R"("1999-12-31")", R"("2023-04-30")"},
                   {R"("2024-02-30")", R"("2024-13-01")", R"("2024-04-31")", R"("24-01-01")", R"("2024-1-01")"});
    check_verdicts(R"({"format": "time"})", {R"("12:30:00Z")", R"("23:59:59.123+05:30")", R"("00:00:00-01:00")"},
                   {R"("24:00:00Z")", R"("12:60:00Z")", R"("12:30:00")"});
    check_verdicts(R"({"type": "string", "format": "date-time"})", {R"("2024-01-31T08:15:00Z")"},
                   {R"("2024-01-31 08:15:00Z")", R"("2024-01-31")"});
    check_verdicts(R"({"type": "string", "format": "uuid"})", {R"("123E4567-e89b-12d3-a456-426614174000")"},
                   {R"("123e4567-e89b-12d3-a456-42661417400")", R"("g23e4567-e89b-12d3-a456-426614174000")"});
    check_verdicts(R"({"type": "string", "format": "email"})", {R"("a.b@example.com")", R"("x+y@a-b.co")"},
                   {R"("ab")", R"("a@b")", R"("@b.com")", R"("a@-b.com")"});
}

TEST_CASE("integer ranges are exact: every integer in [-1100, 1100] against arithmetic", "[json_schema]") {
    struct Range { const char *keys; long lo, hi; };
    for (Range r : {Range{R"("minimum": 0, "maximum": 100)", 0, 100}, Range{R"("minimum": -37, "maximum": 512)", -37, 512},
                    Range{R"("minimum": -1000, "maximum": -7)", -1000, -7}, Range{R"("exclusiveMinimum": 9, "exclusiveMaximum": 101)", 10, 100},
                    Range{R"("minimum": 1.5, "maximum": 999.9)", 2, 999}, Range{R"("minimum": 5, "maximum": 5)", 5, 5},
                    Range{R"("minimum": 90)", 90, 1100}, Range{R"("maximum": -95)", -1100, -95},
                    Range{R"("minimum": -3, "exclusiveMinimum": -3)", -2, 1100}, Range{R"("minimum": 0, "maximum": 0)", 0, 0},
                    Range{R"("minimum": 1, "maximum": 1000000)", 1, 1100}}) {
        SchemaGrammar g(std::string(R"({"type": "integer", )") + r.keys + "}");
        INFO(r.keys << "\n" << g.gbnf);
        int wrong = 0;
        for (long v = -1100; v <= 1100; v++) {
            bool in = v >= r.lo && v <= r.hi;
            if (g.accepts(std::to_string(v)) != in) {
                UNSCOPED_INFO("verdict wrong for " << v);
                wrong++;
            }
        }
        CHECK(wrong == 0);
        CHECK_FALSE(g.accepts("-0"));
        CHECK_FALSE(g.accepts("007"));
        CHECK_FALSE(g.accepts("5.0"));
    }
    SchemaGrammar big(R"({"type": "integer", "minimum": -123456789012, "maximum": 98765432109876})");
    CHECK(big.accepts("-123456789012"));
    CHECK_FALSE(big.accepts("-123456789013"));
    CHECK(big.accepts("98765432109876"));
    CHECK_FALSE(big.accepts("98765432109877"));
    CHECK(big.accepts("0"));
}

TEST_CASE("number bounds: only values inside are taken", "[json_schema]") {
    struct Range { const char *keys; double lo, hi; bool lo_ex, hi_ex; };
    const std::vector<std::string> values = {"-3.5", "-3", "-3.0", "-2.99", "-1", "-0.5", "-0", "0", "0.0", "0.25", "1",
                                             "1.0", "1.5", "2", "2.0", "2.000", "2.01", "3", "10", "10.5", "1e1", "-1e0"};
    for (Range r : {Range{R"("minimum": 0, "maximum": 2)", 0, 2, false, false},
                    Range{R"("minimum": -3, "maximum": 1)", -3, 1, false, false},
                    Range{R"("exclusiveMinimum": -3, "exclusiveMaximum": 2)", -3, 2, true, true},
                    Range{R"("minimum": -1)", -1, 1e9, false, false}, Range{R"("maximum": 0)", -1e9, 0, false, false}}) {
        SchemaGrammar g(std::string(R"({"type": "number", )") + r.keys + "}");
        INFO(r.keys << "\n" << g.gbnf);
        for (const std::string &v : values) {
            double x = std::stod(v);
            bool inside = (r.lo_ex ? x > r.lo : x >= r.lo) && (r.hi_ex ? x < r.hi : x <= r.hi);
            INFO(v);
            if (g.accepts(v)) CHECK(inside);   // sound: never a value outside
        }
    }
    SchemaGrammar g(R"({"type": "number", "minimum": 0, "maximum": 2})");
    for (const char *v : {"0", "0.5", "1.99", "2", "2.0"}) CHECK(g.accepts(v));
    SchemaGrammar any(R"({"type": "number"})");
    for (const char *v : {"0", "-0.5", "1e5", "12.5E-3"}) CHECK(any.accepts(v));
    CHECK_FALSE(any.accepts("01"));
    CHECK_FALSE(any.accepts(".5"));
}

TEST_CASE("$ref to $defs and definitions, recursive schemas, nesting", "[json_schema]") {
    const char *tree = R"({"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"},
        "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}}, "required": ["v"]}},
        "$ref": "#/$defs/node"})";
    check_verdicts(tree, {R"({"v":1})", R"({"v":1,"kids":[{"v":2},{"v":3,"kids":[{"v":4}]}]})"},
                   {R"({"v":1,"kids":[{}]})", R"({"kids":[]})"});
    check_verdicts(R"({"definitions": {"a/b": {"enum": [1, 2]}, "c~d": {"type": "null"}},
        "type": "array", "items": {"anyOf": [{"$ref": "#/definitions/a~1b"}, {"$ref": "#/definitions/c~0d"}]}})",
                   {"[1,null,2]"}, {"[3]"});
    check_verdicts(R"({"properties": {"p": {"$ref": "#/properties/q"}, "q": {"type": "string", "maxLength": 1}}, "required": ["p", "q"]})",
                   {R"({"p":"a","q":""})"}, {R"({"p":"ab","q":""})"});
    check_verdicts(R"({"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "object",
        "properties": {"c": {"type": "array", "items": {"type": "object", "properties": {"d": {"type": "boolean"}}}}}}}}}})",
                   {R"({"a":{"b":{"c":[{"d":true},{}]}}})", "{}"}, {R"({"a":{"b":{"c":[{"d":1}]}}})"});
    check_verdicts("true", {"1", "[]", R"({"a":"b"})"}, {"x"});
    check_verdicts("{}", {"null"}, {"nul"});
}

TEST_CASE("unsupported keywords and forms are named; malformed schemas are FORMAT errors", "[json_schema]") {
    check_error(R"({"type": "string", "pattern": "^a+$"})", LOOM_ERR_UNSUPPORTED, "keyword 'pattern'");
    check_error(R"({"properties": {"x": {"allOf": [{}]}}})", LOOM_ERR_UNSUPPORTED, "#/properties/x: keyword 'allOf'");
    check_error(R"({"not": {}})", LOOM_ERR_UNSUPPORTED, "'not'");
    check_error(R"({"type": "number", "multipleOf": 2})", LOOM_ERR_UNSUPPORTED, "'multipleOf'");
    check_error(R"({"type": "object", "minProperties": 1})", LOOM_ERR_UNSUPPORTED, "'minProperties'");
    check_error(R"({"type": "string", "format": "ipv4"})", LOOM_ERR_UNSUPPORTED, "format 'ipv4'");
    check_error(R"({"type": "array", "items": [{}, {}]})", LOOM_ERR_UNSUPPORTED, "tuples");
    check_error(R"({"type": "array", "uniqueItems": true})", LOOM_ERR_UNSUPPORTED, "uniqueItems");
    check_error(R"({"$ref": "https://example.com/s.json"})", LOOM_ERR_UNSUPPORTED, "https://example.com/s.json");
    check_error(R"({"type": "number", "minimum": 0.5})", LOOM_ERR_UNSUPPORTED, "fractional bound");
    check_error(R"({"type": "integer", "maximum": 1e30})", LOOM_ERR_UNSUPPORTED, "beyond 1e18");
    check_error(R"({"type": "string", "minLength": 5000})", LOOM_ERR_UNSUPPORTED, "minLength above 1024");
    check_error(R"({"type": "string", "format": "date", "maxLength": 5})", LOOM_ERR_UNSUPPORTED, "format together");
    check_error(R"({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})", LOOM_ERR_UNSUPPORTED, "grammar is refused");
    check_error(R"({"$defs": {"a": {}}, "$ref": "#/$defs/a", "maxLength": 2})", LOOM_ERR_UNSUPPORTED, "'maxLength' beside $ref");
    check_error(R"({"type": "strin"})", LOOM_ERR_FORMAT, "unknown type 'strin'");
    check_error(R"({"type": "object", "required": "a"})", LOOM_ERR_FORMAT, "#/required");
    check_error(R"({"type": "array", "minItems": 3, "maxItems": 2})", LOOM_ERR_FORMAT, "minItems is above maxItems");
    check_error(R"({"type": "array", "minItems": -1})", LOOM_ERR_FORMAT, "minItems: must be a non-negative integer");
    check_error(R"({"type": "integer", "minimum": 3, "maximum": 2})", LOOM_ERR_FORMAT, "no value lies between");
    check_error(R"({"type": "number", "exclusiveMinimum": 2, "exclusiveMaximum": 2})", LOOM_ERR_FORMAT, "no value");
    check_error(R"({"$ref": "#/$defs/missing"})", LOOM_ERR_FORMAT, "names nothing");
    check_error(R"({"enum": []})", LOOM_ERR_FORMAT, "#/enum");
    check_error("false", LOOM_ERR_FORMAT, "accepts no value");
    check_error("[1]", LOOM_ERR_FORMAT, "must be an object or a boolean");
    check_error(R"({"type": "object",)", LOOM_ERR_FORMAT, "JSON at byte");
    std::string deep;
    for (int i = 0; i < 40; i++) deep += R"({"items":)";
    deep += "{}" + std::string(40, '}');
    CHECK(convert_status(deep).is_ok());
}

TEST_CASE("loom_json_schema_to_grammar: sizes the buffer, reports errors", "[json_schema]") {
    const char *schema = R"({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})";
    size_t size = 0;
    REQUIRE(loom_json_schema_to_grammar(schema, nullptr, 0, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    REQUIRE(size > 0);
    std::string buf(size, '\0');
    size_t size2 = 0;
    REQUIRE(loom_json_schema_to_grammar(schema, buf.data(), buf.size(), &size2) == LOOM_OK);
    CHECK(size2 == size);
    std::string expect;
    REQUIRE(json_schema_to_gbnf(schema, &expect).is_ok());
    CHECK(buf == expect);
    CHECK(loom_json_schema_to_grammar(nullptr, nullptr, 0, &size) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_json_schema_to_grammar(schema, nullptr, 0, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_json_schema_to_grammar(R"({"pattern": "x"})", nullptr, 0, &size) == LOOM_ERR_UNSUPPORTED);
    CHECK_THAT(loom_last_error(), Catch::Contains("'pattern'"));
}
