// --grammar-file, --json-schema and --json (see constrain_args.h).
#include "constrain_args.h"

#include "cli.h"

#include <cstring>

namespace cli {

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

void add_constrain_options(Options *opts, ConstrainOptions *o) {
    opts->text("--grammar-file", "FILE", &o->grammar_file, "the reply must match this GBNF grammar", "none");
    opts->text("--json-schema", "FILE", &o->json_schema_file, "the reply must be JSON valid against this JSON schema",
               "none");
    opts->flag("--json", &o->json, "the reply is a JSON object (a built-in grammar)");
}

// The grammar stage the options ask for (none when !co.active()); the error
// names the option or file it came from.
static loom_status add_constraint(const loom_model *m, const ConstrainOptions &co, loom_sampler *s, std::string *what) {
    std::string text, why;
    const std::string &file = co.grammar_file.empty() ? co.json_schema_file : co.grammar_file;
    *what = co.json ? "--json" : file;
    if (!file.empty() && !read_file(file, &text, &why)) {
        fail("%s: %s", file.c_str(), why.c_str());
        return LOOM_ERR_IO;
    }
    if (co.json) return loom_sampler_add_grammar(s, m, kJsonGrammar, "root");
    if (!co.grammar_file.empty()) return loom_sampler_add_grammar(s, m, text.c_str(), "root");
    if (!co.json_schema_file.empty()) return loom_sampler_add_json_schema(s, m, text.c_str());
    return LOOM_OK;
}

bool make_constrained_sampler(const loom_model *m, const ConstrainOptions &co, const SamplingOptions &so,
                              loom_sampler **out) {
    if (int(co.json) + int(!co.grammar_file.empty()) + int(!co.json_schema_file.empty()) > 1) {
        fail("--json, --grammar-file and --json-schema exclude each other");
        return false;
    }
    loom_sampler *s = nullptr;
    std::string what = "sampler";
    loom_status st = loom_sampler_new(&s);
    if (st == LOOM_OK) st = add_constraint(m, co, s, &what);
    if (st == LOOM_ERR_IO) {   // already reported with the file's reason
        loom_sampler_free(s);
        return false;
    }
    if (st == LOOM_OK) st = add_sampling_stages(so, s);
    if (st != LOOM_OK) {
        fail_status(st, what.empty() ? "sampler" : what.c_str());
        loom_sampler_free(s);
        return false;
    }
    *out = s;
    return true;
}

} // namespace cli
