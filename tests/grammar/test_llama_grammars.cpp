// Every .gbnf file in llama.cpp's grammars/ folder (read from the reference
// checkout, ~/.cache/llref/src/grammars, or $LLREF_HOME/src/grammars) parses,
// and a sample text of each of the common ones is accepted and a broken one is not.
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <dirent.h>
#include <map>
#include <string>

using namespace loom;

namespace {

std::string grammars_dir() {
    const char *home = std::getenv("LLREF_HOME");
    std::string base = home ? home : std::string(std::getenv("HOME") ? std::getenv("HOME") : "") + "/.cache/llref";
    return base + "/src/grammars";
}

std::map<std::string, std::string> read_grammars() {
    std::map<std::string, std::string> out;
    std::string dir = grammars_dir();
    DIR *d = opendir(dir.c_str());
    if (!d && !testdata::ref_available()) testdata::exit_missing("llama.cpp's grammars/ folder (" + dir + ")");
    if (!d) d = opendir(dir.c_str());
    if (!d) testdata::exit_missing("llama.cpp's grammars/ folder (" + dir + ")");
    while (dirent *e = readdir(d)) {
        std::string name = e->d_name;
        if (name.size() > 5 && name.substr(name.size() - 5) == ".gbnf") {
            std::vector<uint8_t> bytes = testdata::read_file(dir + "/" + name);
            out[name] = std::string(bytes.begin(), bytes.end());
        }
    }
    closedir(d);
    return out;
}

bool accepts(const std::string &gbnf, const std::string &text) {
    Grammar g;
    REQUIRE(parse_gbnf(gbnf, "root", &g).is_ok());
    GrammarMatcher m(std::move(g));
    return m.can_end(m.step_all(m.start(), text));
}

} // namespace

TEST_CASE("llama.cpp's grammar files parse and match their languages", "[grammar]") {
    auto files = read_grammars();
    for (const char *need : {"json.gbnf", "json_arr.gbnf", "arithmetic.gbnf", "list.gbnf", "chess.gbnf", "c.gbnf",
                             "english.gbnf", "japanese.gbnf"})
        CHECK(files.count(need) == 1);
    for (const auto &[name, text] : files) {
        Grammar g;
        Status st = parse_gbnf(text, "root", &g);
        INFO(name << ": " << st.message());
        CHECK(st.is_ok());
    }
    CHECK(accepts(files["json.gbnf"], "{\"a\": [1, {\"b\": \"c\"}], \"d\": -1.5e3}"));
    CHECK_FALSE(accepts(files["json.gbnf"], "{\"a\": [1,]}"));
    CHECK(accepts(files["json_arr.gbnf"], "[\n{\"a\": 1},\n{\"b\": true}\n]"));
    CHECK(accepts(files["arithmetic.gbnf"], "(1+y)*2=x\n"));
    CHECK_FALSE(accepts(files["arithmetic.gbnf"], "x=(1+\n"));
    CHECK(accepts(files["list.gbnf"], "- milk\n- eggs\n"));
    CHECK_FALSE(accepts(files["list.gbnf"], "milk\n"));
    CHECK(accepts(files["chess.gbnf"], "1. e4 e5\n2. Nf3 Nc6\n"));
}
