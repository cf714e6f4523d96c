// The grammar stage on a real model (the synthetic tiny Qwen2 with the real
// Qwen2.5 vocabulary and random weights, so every token is a surprise):
// generation under a bounded JSON grammar always ends, and nlohmann-json (an
// independent parser) accepts every output; end-of-generation tokens pass only
// where the grammar may end; accept refuses tokens off the grammar; `loom run
// --grammar-file F --no-display-prompt` prints only text a JSON parser takes;
// under grammars made from JSON schemas (loom_json_schema_to_grammar) every
// output validates against its schema (python3-jsonschema as the judge,
// validate_schema_outputs.py), and so does `loom run --json-schema F`.
#include "loom.h"
#include "testdata.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// A finite JSON language (bounded depth, counts and lengths): generation must
// reach its end, where only end-of-generation tokens are left.
const char *kBoundedJson = R"(root    ::= object
object  ::= "{" ws ( pair ("," ws pair){0,3} )? ws "}"
pair    ::= string ":" ws value
value   ::= inner | array | scalar
inner   ::= "{" ws ( ipair ("," ws ipair){0,2} )? "}"
ipair   ::= string ":" ws scalar
array   ::= "[" ws ( scalar ("," ws scalar){0,3} )? "]"
scalar  ::= string | number | "true" | "false" | "null"
string  ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u00" [0-7] [0-9a-fA-F] ) ){0,6} "\""
number  ::= "-"? ("0" | [1-9] [0-9]{0,5}) ("." [0-9]{1,4})? ([eE] [-+]? [0-9]{1,2})?
ws      ::= [ \n]?
)";

struct Fixture {
    loom_model *model = nullptr;
    Fixture() {
        REQUIRE_REF_OR_SKIP();
        std::string path = testdata::synthetic_model("tiny", 1, 0);
        REQUIRE(!path.empty());
        REQUIRE(loom_model_load(path.c_str(), nullptr, &model) == LOOM_OK);
    }
    ~Fixture() { loom_model_free(model); }
};

std::string piece(const loom_model *m, int32_t id) {
    char buf[256];
    size_t n = 0;
    REQUIRE(loom_token_to_piece(m, id, buf, sizeof buf, &n) == LOOM_OK);
    return std::string(buf, n);
}

int32_t token_of(const loom_model *m, const char *text) {
    int32_t id = -1;
    REQUIRE(loom_token_find(m, text, &id) == LOOM_OK);
    return id;
}

// Samples under the grammar until an end-of-generation token; returns the text.
std::string generate(loom_model *model, const char *grammar, uint64_t seed, int32_t max_tokens) {
    loom_context_params params;
    loom_context_default_params(&params);
    params.n_ctx = 2048;
    loom_context *ctx = nullptr;
    REQUIRE(loom_context_new(model, &params, &ctx) == LOOM_OK);
    loom_batch *batch = nullptr;
    REQUIRE(loom_batch_new(8, &batch) == LOOM_OK);
    loom_sampler *s = nullptr;
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    REQUIRE(loom_sampler_add_grammar(s, model, grammar, "root") == LOOM_OK);
    REQUIRE(loom_sampler_add_temperature(s, 1.0f) == LOOM_OK);
    REQUIRE(loom_sampler_add_dist(s, seed) == LOOM_OK);
    std::string text;
    int32_t token = token_of(model, "JSON"), pos = 0;
    bool ended = false;
    for (; pos < max_tokens && !ended; pos++) {
        loom_batch_clear(batch);
        REQUIRE(loom_batch_add(batch, token, pos, 0, 1) == LOOM_OK);
        REQUIRE(loom_decode(ctx, batch) == LOOM_OK);
        loom_status st = loom_sample(s, ctx, -1, &token);
        INFO(loom_last_error());
        REQUIRE(st == LOOM_OK);
        REQUIRE(loom_sampler_accept(s, token) == LOOM_OK);
        ended = loom_token_is_eog(model, token) != 0;
        if (!ended) text += piece(model, token);
    }
    CHECK(ended);
    loom_sampler_free(s);
    loom_batch_free(batch);
    loom_context_free(ctx);
    return text;
}

} // namespace

TEST_CASE("constrained generation on a random model always gives parseable JSON", "[grammar][parity]") {
    Fixture f;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        std::string text = generate(f.model, kBoundedJson, seed, 1500);
        INFO("seed " << seed << ": " << text);
        nlohmann::json j;
        REQUIRE_NOTHROW(j = nlohmann::json::parse(text));
        REQUIRE(j.is_object());
        CHECK(j.size() <= 4);
        for (const auto &kv : j.items()) {
            CHECK(kv.key().size() <= 6 * 4);   // at most 6 characters of up to 4 bytes
            if (kv.value().is_object()) CHECK(kv.value().size() <= 3);
            if (kv.value().is_array()) CHECK(kv.value().size() <= 4);
        }
    }
}

TEST_CASE("end-of-generation is allowed exactly where the grammar may end", "[grammar][parity]") {
    Fixture f;
    const int32_t n_vocab = loom_model_n_vocab(f.model);
    int32_t eog = token_of(f.model, "<|im_end|>");
    REQUIRE(loom_token_is_eog(f.model, eog));
    std::vector<float> logits(size_t(n_vocab), 0.0f);
    logits[size_t(eog)] = 100.0f;   // the model wants to stop
    int32_t a = token_of(f.model, "ab"), c = token_of(f.model, "c");
    logits[size_t(a)] = 50.0f;
    logits[size_t(c)] = 40.0f;
    loom_sampler *s = nullptr;
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    REQUIRE(loom_sampler_add_grammar(s, f.model, "root ::= \"ab\" \"c\"?\n", nullptr) == LOOM_OK);
    int32_t tok = -1;
    REQUIRE(loom_sampler_sample_logits(s, logits.data(), n_vocab, &tok) == LOOM_OK);
    CHECK(tok == a);   // not eog: the grammar cannot end yet
    CHECK(loom_sampler_accept(s, eog) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_accept(s, c) == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(loom_sampler_accept(s, a) == LOOM_OK);
    REQUIRE(loom_sampler_sample_logits(s, logits.data(), n_vocab, &tok) == LOOM_OK);
    CHECK(tok == eog);   // "ab" is complete: the end wins over "c"
    REQUIRE(loom_sampler_accept(s, c) == LOOM_OK);
    logits[size_t(eog)] = -5.0f;
    REQUIRE(loom_sampler_sample_logits(s, logits.data(), n_vocab, &tok) == LOOM_OK);
    CHECK(loom_token_is_eog(f.model, tok));   // nothing else is left (any end token)
    CHECK(tok != eog);                        // and <|im_end|> now has a lower logit than <|endoftext|>
    loom_sampler_reset(s);
    REQUIRE(loom_sampler_sample_logits(s, logits.data(), n_vocab, &tok) == LOOM_OK);
    CHECK(tok == a);
    loom_sampler_free(s);
}

TEST_CASE("a token splitting a UTF-8 character is allowed and the rest must complete it", "[grammar][parity]") {
    Fixture f;
    const int32_t n_vocab = loom_model_n_vocab(f.model);
    // "é" is C3 A9; find a token that is the lone lead byte and one that is the lone continuation.
    int32_t lead = -1, cont = -1;
    for (int32_t id = 0; id < n_vocab && (lead < 0 || cont < 0); id++) {
        std::string p = piece(f.model, id);
        if (p == "\xc3") lead = id;
        if (p == "\xa9") cont = id;
    }
    REQUIRE(lead >= 0);
    REQUIRE(cont >= 0);
    loom_sampler *s = nullptr;
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    REQUIRE(loom_sampler_add_grammar(s, f.model, "root ::= [é-ê] \"!\"\n", nullptr) == LOOM_OK);
    std::vector<float> logits(size_t(n_vocab), 0.0f);
    logits[size_t(lead)] = 10.0f;
    int32_t tok = -1;
    REQUIRE(loom_sampler_sample_logits(s, logits.data(), n_vocab, &tok) == LOOM_OK);
    CHECK(tok == lead);
    REQUIRE(loom_sampler_accept(s, lead) == LOOM_OK);
    logits[size_t(cont)] = 5.0f;
    REQUIRE(loom_sampler_sample_logits(s, logits.data(), n_vocab, &tok) == LOOM_OK);
    CHECK(tok == cont);   // the lead is banned now; only the continuation completes "é"
    REQUIRE(loom_sampler_accept(s, cont) == LOOM_OK);
    CHECK(loom_sampler_accept(s, token_of(f.model, "?")) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_accept(s, token_of(f.model, "!")) == LOOM_OK);
    loom_sampler_free(s);
}

TEST_CASE("loom_sampler_add_grammar reports malformed grammars and bad arguments", "[grammar][parity]") {
    Fixture f;
    loom_sampler *s = nullptr;
    REQUIRE(loom_sampler_new(&s) == LOOM_OK);
    CHECK(loom_sampler_add_grammar(s, f.model, "root ::= (\"a\"\n", nullptr) == LOOM_ERR_FORMAT);
    CHECK_THAT(loom_last_error(), Catch::Contains("line 1, column 10"));
    CHECK(loom_sampler_add_grammar(s, f.model, "x ::= \"a\"\n", "start") == LOOM_ERR_FORMAT);
    CHECK_THAT(loom_last_error(), Catch::Contains("'start'"));
    CHECK(loom_sampler_add_grammar(s, nullptr, "root ::= \"a\"\n", nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_add_grammar(s, f.model, nullptr, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_sampler_add_grammar(nullptr, f.model, "root ::= \"a\"\n", nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(loom_sampler_add_greedy(s) == LOOM_OK);
    CHECK(loom_sampler_add_grammar(s, f.model, "root ::= \"a\"\n", nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    loom_sampler_free(s);
}

TEST_CASE("loom run --grammar-file prints only grammatical text", "[grammar][parity]") {
    REQUIRE_REF_OR_SKIP();
    std::string model = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!model.empty());
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    std::string gfile = testdata::scratch_dir() + "/bounded_json.gbnf";
    REQUIRE(testdata::write_file(gfile, kBoundedJson, std::strlen(kBoundedJson)));
    for (int seed = 1; seed <= 3; seed++) {
        int status = -1;
        std::string out = testdata::capture("'" + std::string(exe) + "' run -m '" + model + "' -p 'JSON:' -n 1500 -t 1 --seed " +
                                                std::to_string(seed) + " --temp 1 --top-k 0 --top-p 1 --min-p 0 --grammar-file '" +
                                                gfile + "' --no-display-prompt 2>/dev/null",
                                            &status);
        INFO("seed " << seed << ": " << out);
        REQUIRE(status == 0);
        REQUIRE(!out.empty());
        REQUIRE(out.back() == '\n');   // run ends its output with a newline
        out.pop_back();
        CHECK_NOTHROW(nlohmann::json::parse(out));
    }
    int status = -1;
    std::string err = testdata::capture("'" + std::string(exe) + "' run -m '" + model +
                                            "' -p x --grammar-file /nonexistent/g.gbnf 2>&1",
                                        &status);
    CHECK(status == 1);
    CHECK_THAT(err, Catch::Contains("/nonexistent/g.gbnf"));
}

namespace {

// Bounded schemas (so that random sampling ends) covering what the converter
// supports; additionalProperties other than false has no bound on its keys,
// so it is left to test_json_schema.cpp.
const char *const kPropertySchemas[] = {
    R"({"type": "object", "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 8},
        "age": {"type": "integer", "minimum": 0, "maximum": 120}, "email": {"type": "string", "format": "email"},
        "tags": {"type": "array", "items": {"enum": ["a", "b", 3, null]}, "maxItems": 3}},
        "required": ["name", "age"], "additionalProperties": false})",
    R"({"type": "array", "items": {"type": "number", "minimum": -5, "exclusiveMaximum": 5}, "minItems": 1, "maxItems": 4})",
    R"({"type": "object", "properties": {"v": {"anyOf": [{"type": "integer", "minimum": -3, "maximum": 3},
        {"type": "string", "minLength": 1, "maxLength": 4}, {"type": "null"}]},
        "w": {"oneOf": [{"type": "boolean"}, {"const": {"k": [1, "x"]}}]}}, "required": ["v", "w"]})",
    R"({"$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer", "exclusiveMinimum": -1000,
        "maximum": 99999}, "y": {"type": "integer"}}, "required": ["x", "y"]}},
        "type": "object", "properties": {"a": {"$ref": "#/$defs/point"}, "b": {"$ref": "#/$defs/point"}},
        "required": ["a"]})",
    R"({"type": "object", "properties": {"when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"}, "at": {"type": "string", "format": "time"},
        "id": {"type": "string", "format": "uuid"}, "note": {"type": ["string", "null"], "maxLength": 3}},
        "required": ["when", "day", "at", "id", "note"]})",
    R"({"type": "object", "properties": {"id": {"type": "integer", "minimum": 10, "maximum": 12},
        "on": {"type": ["boolean", "null"]}, "sub": {"type": "object", "properties": {"q": {"enum": [1, 2]}},
        "additionalProperties": false}}, "required": ["sub"]})",
    R"({"definitions": {"leaf": {"enum": [true, "leaf", 0.5]}}, "type": "array", "maxItems": 3,
        "items": {"type": "array", "items": {"$ref": "#/definitions/leaf"}, "minItems": 2, "maxItems": 2}})",
    R"({"type": "object", "properties": {"p": {"type": "number", "minimum": 0, "maximum": 1},
        "n": {"type": "integer", "minimum": -1000000, "maximum": -999990}, "s": {"type": "string", "maxLength": 2},
        "c": {"const": "fixed"}}, "required": ["p", "n", "s", "c"]})",
};

std::string schema_grammar(const char *schema) {
    size_t size = 0;
    REQUIRE(loom_json_schema_to_grammar(schema, nullptr, 0, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    std::string gbnf(size, '\0');
    INFO(schema << ": " << loom_last_error());
    REQUIRE(loom_json_schema_to_grammar(schema, gbnf.data(), gbnf.size(), &size) == LOOM_OK);
    return gbnf;
}

// validate_schema_outputs.py over `cases`; returns its exit status (77: skipped).
int validate_outputs(const nlohmann::json &cases, const std::string &name) {
    std::string file = testdata::scratch_dir() + "/" + name + ".json";
    std::string text = cases.dump();
    REQUIRE(testdata::write_file(file, text.data(), text.size()));
    int status = -1;
    std::string out = testdata::capture("/usr/bin/python3 '" + testdata::source_path("grammar/validate_schema_outputs.py") +
                                            "' '" + file + "' 2>&1",
                                        &status);
    INFO(out);
    if (status == 77) testdata::exit_missing("python3-jsonschema");
    CHECK(status == 0);
    return status;
}

} // namespace

TEST_CASE("outputs under JSON-schema grammars validate against their schemas", "[grammar][parity][json_schema]") {
    Fixture f;
    nlohmann::json cases = nlohmann::json::array();
    for (const char *schema : kPropertySchemas) {
        std::string gbnf = schema_grammar(schema);
        nlohmann::json outputs = nlohmann::json::array();
        for (uint64_t seed = 1; seed <= 4; seed++) outputs.push_back(generate(f.model, gbnf.c_str(), seed, 800));
        cases.push_back({{"schema", nlohmann::json::parse(schema)}, {"outputs", outputs}});
    }
    validate_outputs(cases, "schema_outputs");
}

TEST_CASE("loom run --json-schema prints only text valid against the schema", "[grammar][parity][json_schema]") {
    REQUIRE_REF_OR_SKIP();
    std::string model = testdata::synthetic_model("tiny", 1, 0);
    REQUIRE(!model.empty());
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    const char *schema = kPropertySchemas[0];
    std::string sfile = testdata::scratch_dir() + "/person.schema.json";
    REQUIRE(testdata::write_file(sfile, schema, std::strlen(schema)));
    nlohmann::json outputs = nlohmann::json::array();
    for (int seed = 1; seed <= 2; seed++) {
        int status = -1;
        std::string out = testdata::capture("'" + std::string(exe) + "' run -m '" + model + "' -p 'JSON:' -n 800 -t 1 --seed " +
                                                std::to_string(seed) + " --temp 1 --json-schema '" + sfile +
                                                "' --no-display-prompt 2>/dev/null",
                                            &status);
        REQUIRE(status == 0);
        REQUIRE(!out.empty());
        out.pop_back();   // run's final newline
        outputs.push_back(out);
    }
    validate_outputs(nlohmann::json::array({{{"schema", nlohmann::json::parse(schema)}, {"outputs", outputs}}}), "run_schema");
    std::string bad = testdata::scratch_dir() + "/bad.schema.json";
    REQUIRE(testdata::write_file(bad, "{\"pattern\": \"a\"}", 16));
    int status = -1;
    std::string err = testdata::capture("'" + std::string(exe) + "' run -m '" + model + "' -p x --json-schema '" + bad + "' 2>&1",
                                        &status);
    CHECK(status == 1);
    CHECK_THAT(err, Catch::Contains("'pattern'"));
}
