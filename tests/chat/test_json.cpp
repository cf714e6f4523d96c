// The CLI's strict JSON reader (examples/loom/json.cpp).
#include "json.h"

#include <catch2/catch.hpp>

TEST_CASE("json_reads_escapes_and_surrogate_pairs", "[json]") {
    cli::JsonValue v;
    std::string err;
    REQUIRE(cli::parse_json(R"( [{"role":"user","content":"a\"b\\c\/\n\t\u00e9\u6f22\ud83d\ude42"}, 1.5e2, -0, true, null] )", &v, &err));
    REQUIRE(v.items.size() == 5);
    CHECK(v.items[0].find("content")->string == "a\"b\\c/\n\t\xC3\xA9\xE6\xBC\xA2\xF0\x9F\x99\x82");
    CHECK(v.items[1].number == 150.0);
    CHECK(v.items[3].boolean);
    CHECK(v.items[4].kind == cli::JsonValue::Null);
}

TEST_CASE("json_rejects_malformed_input", "[json]") {
    const char *bad[] = {"", "[1,]", "{\"a\":1,}", "01", "[1 2]", "\"\\ud83d\"", "\"\\ude42\"", "\"\\ud83dx\"",
                         "\"a\nb\"", "\"\\x\"", "'a'", "[1] x", "{a:1}", "\"\xC3\"", "\"\xED\xA0\x80\"", "1.",
                         "-", "tru", "[", "\"\\u12\""};
    for (const char *text : bad) {
        cli::JsonValue v;
        std::string err;
        INFO("input: " << text);
        CHECK_FALSE(cli::parse_json(text, &v, &err));
        CHECK(err.find("line ") == 0);
    }
    std::string deep(200, '[');
    cli::JsonValue v;
    std::string err;
    CHECK_FALSE(cli::parse_json(deep, &v, &err));
}

TEST_CASE("json_quote_round_trips", "[json]") {
    std::string s = "q\"\\\n\r\t\x01 \xE6\xBC\xA2";
    cli::JsonValue v;
    std::string err;
    REQUIRE(cli::parse_json(cli::json_quote(s), &v, &err));
    CHECK(v.string == s);
}
