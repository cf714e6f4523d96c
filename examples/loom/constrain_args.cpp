// --grammar-file and --no-display-prompt (see constrain_args.h).
#include "constrain_args.h"

#include "cli.h"

#include <cstring>

namespace cli {

const char *const kConstrainUsage = "[--grammar-file F | --json] [--no-display-prompt]";

// --json: any JSON value whose outer level is an object (RFC 8259 text, with
// at most one newline-and-indent between tokens so output stays compact).
const char *const kJsonGrammar = R"(root     ::= object
value    ::= object | array | string | number | "true" | "false" | "null"
object   ::= "{" sp ( member ( "," sp member )* )? "}"
member   ::= string sp ":" sp value sp
array    ::= "[" sp ( value sp ( "," sp value sp )* )? "]"
string   ::= "\"" ( [^"\\\x00-\x1F\x7F] | "\\" ( ["\\/bfnrt] | "u" hex hex hex hex ) )* "\""
hex      ::= [0-9a-fA-F]
number   ::= "-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )?
sp       ::= ( " " | "\n" " "{0,16} )?
)";

bool take_constrain_arg(int argc, char **argv, int *i, ConstrainOptions *o, bool *bad) {
    const char *a = argv[*i];
    if (!std::strcmp(a, "--no-display-prompt")) {
        o->no_display_prompt = true;
        return true;
    }
    if (!std::strcmp(a, "--json")) {
        o->json = true;
        return true;
    }
    if (!std::strcmp(a, "--grammar-file")) {
        *bad = *i + 1 >= argc;
        if (!*bad) o->grammar_file = argv[++*i];
        return true;
    }
    return false;
}

bool make_constrained_sampler(const loom_model *m, const ConstrainOptions &co, const SamplingOptions &so,
                              loom_sampler **out) {
    std::string gbnf, why;
    if (co.json && !co.grammar_file.empty()) {
        fail("--json and --grammar-file exclude each other");
        return false;
    }
    if (co.json) gbnf = kJsonGrammar;
    if (!co.grammar_file.empty() && !read_file(co.grammar_file, &gbnf, &why)) {
        fail("%s: %s", co.grammar_file.c_str(), why.c_str());
        return false;
    }
    loom_sampler *s = nullptr;
    loom_status st = loom_sampler_new(&s);
    if (st == LOOM_OK && co.active()) st = loom_sampler_add_grammar(s, m, gbnf.c_str(), "root");
    if (st == LOOM_OK) st = add_sampling_stages(so, s);
    if (st != LOOM_OK) {
        fail_status(st, co.json ? "--json" : co.active() ? co.grammar_file.c_str() : "sampler");
        loom_sampler_free(s);
        return false;
    }
    *out = s;
    return true;
}

} // namespace cli
