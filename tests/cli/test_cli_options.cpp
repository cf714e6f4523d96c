// Option errors name the flag and what is wrong; numbers are never narrowed;
// `COMMAND --help` and `loom help COMMAND` print every option with its
// default to stdout. No model is needed: parsing fails before any load.
#include "cli_runner.h"

#include <catch2/catch.hpp>

using clitest::loom;
using clitest::Run;

namespace {

// Whether this build's loom has `serve` (tests/cli/meson.build).
#ifdef LOOM_CLI_HAS_SERVE
constexpr bool kHasServe = true;
#else
constexpr bool kHasServe = false;
#endif

// The first line of stderr.
std::string first_line(const std::string &s) { return s.substr(0, s.find('\n')); }

void expect_usage_error(const std::string &args, const std::string &message) {
    const Run r = loom(args);
    INFO("loom " << args << "\nstderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(first_line(r.err) == "loom: error: " + message);
}

} // namespace

TEST_CASE("unknown_option_names_it_and_suggests_the_nearest", "[cli]") {
    expect_usage_error("run -m x.gguf --tmep 0.5", "--tmep: unknown option (did you mean --temp?)");
    expect_usage_error("chat -m x.gguf --top_k 5", "--top_k: unknown option (did you mean --top-k?)");
    expect_usage_error("run -m x.gguf --bakend cpu", "--bakend: unknown option (did you mean --backend?)");
    expect_usage_error("bench -m x.gguf --json-output", "--json-output: unknown option");
    expect_usage_error("bench -m x.gguf --repetitons 2", "--repetitons: unknown option (did you mean --repetitions?)");
    expect_usage_error("quantize a.gguf b.gguf Q4_K_M --imatirx m.gguf",
                       "--imatirx: unknown option (did you mean --imatrix?)");
    expect_usage_error("quantize a.gguf b.gguf Q4_K_M --output-tensr-type q8_0",
                       "--output-tensr-type: unknown option (did you mean --output-tensor-type?)");
}

TEST_CASE("unknown_option_error_points_to_help", "[cli]") {
    const Run r = loom("run --tmep 1");
    CHECK(r.err == "loom: error: --tmep: unknown option (did you mean --temp?)\n"
                   "usage: loom run -m MODEL [-p PROMPT | -f FILE] [options]\n(see 'loom run --help')\n");
}

TEST_CASE("malformed_numbers_are_named", "[cli]") {
    expect_usage_error("run -m x.gguf --temp abc", "--temp abc: not a number");
    expect_usage_error("run -m x.gguf -n 12x", "-n 12x: not an integer");
    expect_usage_error("run -m x.gguf --top-p nan", "--top-p nan: not a finite number");
    expect_usage_error("run -m x.gguf --temp inf", "--temp inf: not a finite number");
    expect_usage_error("run -m x.gguf --temp", "--temp: needs a value (T)");
}

TEST_CASE("numbers_are_never_narrowed", "[cli]") {
    expect_usage_error("run -m x.gguf -c 4294967300", "-c 4294967300: must be 0..16777216");
    expect_usage_error("chat -m x.gguf -c 99999999999999999999", "-c 99999999999999999999: out of range");
    expect_usage_error("run -m x.gguf -t 4294967297", "-t 4294967297: must be 0..256");
    expect_usage_error("run -m x.gguf --top-k 4294967301", "--top-k 4294967301: must be 0..2147483647");
    expect_usage_error("run -m x.gguf --temp 1e39", "--temp 1e39: out of range");
    expect_usage_error("run -m x.gguf --logit-bias 4294967301+1",
                       "--logit-bias 4294967301+1: token id must be 0..2147483647");
}

TEST_CASE("values_the_library_rejects_are_rejected_up_front", "[cli]") {
    expect_usage_error("run -m x.gguf --temp -1", "--temp -1: must be at least 0");
    expect_usage_error("run -m x.gguf --top-p 0", "--top-p 0: must be in (0, 1]");
    expect_usage_error("run -m x.gguf --top-p 1.5", "--top-p 1.5: must be in (0, 1]");
    expect_usage_error("run -m x.gguf --min-p -0.1", "--min-p -0.1: must be in [0, 1]");
    expect_usage_error("run -m x.gguf --repeat-penalty 0", "--repeat-penalty 0: must be above 0");
    expect_usage_error("chat -m x.gguf --top-k -1", "--top-k -1: must be 0..2147483647");
    expect_usage_error("run -m x.gguf -b 0", "-b 0: must be 1..16777216");
    expect_usage_error("run -m x.gguf --logit-bias 5+inf",
                       "--logit-bias 5+inf: a bias of +inf is not allowed (-inf bans the token)");
    expect_usage_error("run -m x.gguf --logit-bias 5", "--logit-bias 5: expected TOKEN+BIAS or TOKEN-BIAS (e.g. 15043+1, 15043-inf)");
    expect_usage_error("run -m x.gguf --stop ''", "--stop : a stop string cannot be empty");
    expect_usage_error("bench -m x.gguf -r 0", "-r 0: must be 1..1000");
    expect_usage_error("run -m x.gguf --backend gpu", "--backend 'gpu': expected auto, cpu or vulkan");
    expect_usage_error("quantize a.gguf b.gguf Q4_K_M -t 257", "-t 257: must be 0..256");
    expect_usage_error("quantize a.gguf b.gguf Q4_K_M --output-tensor-type q9",
                       "--output-tensor-type q9: not a tensor type (e.g. q8_0, q6_K, f16)");
    expect_usage_error("quantize a.gguf b.gguf Q9", "Q9: not a file type (e.g. Q4_K_M, Q8_0, IQ4_XS, F16)");
    expect_usage_error("quantize a.gguf b.gguf", "missing TYPE");
}

TEST_CASE("unknown_command_suggests_the_nearest", "[cli]") {
    const Run r = loom("rnu -m x.gguf");
    CHECK(r.status == 2);
    CHECK(r.err == "loom: error: unknown command 'rnu' (did you mean 'run'?)\n");
}

TEST_CASE("command_help_goes_to_stdout_with_every_default", "[cli]") {
    const Run r = loom("run --help");
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out.rfind("usage: loom run -m MODEL [-p PROMPT | -f FILE] [options]\n", 0) == 0);
    for (const char *line : {
             "  -n, --n-predict N            tokens to generate; -1: until the end (default: 128)\n",
             "  --temp T                     temperature; 0: greedy (always the likeliest token) (default: 0.8)\n",
             "  --top-k K                    keep the K likeliest tokens; 0: off (default: 40)\n",
             "  --top-p P                    nucleus: keep the likeliest tokens up to mass P; 1: off (default: 0.95)\n",
             "  --min-p P                    keep tokens at least P times as likely as the best; 0: off (default: 0.05)\n",
             "  --seed S                     random seed; -1: from the clock (default: -1)\n",
             "  -b, --batch-size N           prompt tokens per decode step (default: 512)\n"}) {
        INFO(line);
        CHECK(r.out.find(line) != std::string::npos);
    }
    const Run h = loom("help run");
    CHECK(h.status == 0);
    CHECK(h.out == r.out);
    const Run bad = loom("help nosuch");
    CHECK(bad.status == 2);
    CHECK(bad.err == "loom: error: unknown command 'nosuch' (see 'loom help')\n");
}

TEST_CASE("every_command_help_lists_the_global_options", "[cli]") {
    std::vector<std::string> commands = {"run", "chat", "fim", "bench", "logits", "tokenize", "detokenize", "gguf",
                                         "chat-template", "devices", "perplexity", "quantize"};
    if (kHasServe) commands.push_back("serve");
    for (const std::string &cmd : commands) {
        const Run r = loom(std::string(cmd) + " --help");
        INFO(cmd << "\n" << r.out << r.err);
        CHECK(r.status == 0);
        CHECK(r.err.empty());
        CHECK(r.out.find("global options:\n") != std::string::npos);
        for (const char *opt : {"\n  -t, --threads N ", "\n  -c, --ctx-size N ", "\n  --verbose ",
                                "\n  --backend auto|cpu|vulkan ", "\n  --device N ", "\n  --precision exact|fast "})
            CHECK(r.out.find(opt) != std::string::npos);
    }
}

TEST_CASE("serve_options_are_checked_like_the_others", "[cli]") {
    if (!kHasServe) return;   // a build without `loom serve` (-Dserve=disabled, Windows)
    expect_usage_error("serve -m x.gguf --prot 8080", "--prot: unknown option (did you mean --port?)");
    expect_usage_error("serve -m x.gguf --port 70000", "--port 70000: must be 0..65535");
    expect_usage_error("serve -m x.gguf -c 4294967300", "-c 4294967300: must be 0..16777216");
    expect_usage_error("serve -m x.gguf -np 0", "-np 0: must be 1..256");
    expect_usage_error("serve --port 8080", "-m MODEL is required");
}
