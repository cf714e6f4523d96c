// `loom run`, `bench`, `tokenize`/`detokenize`, `logits` and `gguf info` on
// the tiny synthetic model, as a llama-cli user drives them. Greedy (--temp 0)
// runs are the references: each option is checked against what the plain run
// printed, or against another subcommand (tokenize, detokenize, gguf info).
#include "cli_runner.h"

#include "testdata.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

using clitest::loom;
using clitest::q;
using clitest::Run;
using clitest::scratch;
using clitest::tiny_model;

namespace {

const char kPrompt[] = "Once upon a time";

// The model, on the CPU backend (no Vulkan probe: each run starts faster).
std::string m() { return "-m " + q(tiny_model()) + " --backend cpu"; }

// The greedy continuation of kPrompt (no prompt echoed, trailing newline cut).
std::string greedy(const std::string &extra, int n = 24) {
    const Run r = loom("run " + m() + " -p '" + kPrompt + "' --temp 0 -n " + std::to_string(n) +
                       " --no-display-prompt " + extra);
    INFO(r.err);
    REQUIRE(r.status == 0);
    REQUIRE(!r.out.empty());
    REQUIRE(r.out.back() == '\n');
    return r.out.substr(0, r.out.size() - 1);
}

std::vector<std::string> lines(const std::string &s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

} // namespace

TEST_CASE("run_prompt_from_p_f_and_stdin_agree", "[cli][run]") {
    const std::string text = greedy("");
    const Run echoed = loom("run " + m() + " -p '" + kPrompt + "' --temp 0 -n 24");
    CHECK(echoed.out == std::string(kPrompt) + text + "\n");
    const std::string file = scratch("prompt.txt");
    REQUIRE(testdata::write_file(file, kPrompt, sizeof kPrompt - 1));
    CHECK(loom("run " + m() + " -f " + q(file) + " --temp 0 -n 24").out == echoed.out);
    CHECK(loom("run " + m() + " --temp 0 -n 24", kPrompt).out == echoed.out);
    CHECK(loom("run " + m() + " -f - --temp 0 -n 24", kPrompt).out == echoed.out);
    const Run none = loom("run " + m() + " -f " + q(scratch("none.txt")));
    CHECK(none.status == 1);
    CHECK(none.err == "loom: error: cannot read " + scratch("none.txt") + ": No such file or directory\n");
}

TEST_CASE("run_stop_string_ends_the_text_before_it", "[cli][run]") {
    const std::string text = greedy("", 40);
    REQUIRE(text.size() > 20);
    // A stop string from the middle of the greedy text, wherever the token boundaries fall.
    const std::string stop = text.substr(text.size() / 2, 3);
    const std::string want = text.substr(0, text.find(stop));
    CHECK(greedy("--stop '" + stop + "'", 40) == want);
    CHECK(greedy("--stop 'never-appears' --stop '" + stop + "'", 40) == want);
}

TEST_CASE("run_json_reports_text_counts_and_stop_reason", "[cli][run]") {
    const std::string text = greedy("", 12);
    const Run r = loom("run " + m() + " -p '" + kPrompt + "' --temp 0 -n 12 --json-report");
    REQUIRE(r.status == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(j["text"] == text);
    CHECK(j["prompt"] == kPrompt);
    CHECK(j["stop_reason"] == "length");
    CHECK(j["tokens"]["generated"] == 12);
    const Run ids = loom("tokenize " + m(), kPrompt);
    CHECK(j["tokens"]["prompt"] == lines(ids.out).size());
    CHECK(j["timings"]["generate_tok_s"].get<double>() > 0);
    const std::string stop = text.substr(text.size() / 2, 2);
    const Run s = loom("run " + m() + " -p '" + kPrompt + "' --temp 0 -n 12 --json-report --stop '" + stop + "'");
    const nlohmann::json js = nlohmann::json::parse(s.out);
    CHECK(js["stop_reason"] == "stop");
    CHECK(js["text"] == text.substr(0, text.find(stop)));
}

TEST_CASE("run_logit_bias_bans_and_forces_tokens", "[cli][run]") {
    const std::string first = greedy("", 1);
    const std::vector<std::string> ids = lines(loom("tokenize " + m(), first).out);
    REQUIRE(ids.size() == 1);
    CHECK(greedy("--logit-bias " + ids[0] + "-inf", 1) != first);
    // A large bias forces token 9707; detokenize gives its text.
    const std::string forced = loom("detokenize " + m(), "9707").out;
    CHECK(greedy("--logit-bias 9707+1000", 3) == forced + forced + forced);
    const Run past = loom("run " + m() + " -p x --logit-bias 999999+1");
    CHECK(past.status == 1);
    CHECK(past.err == "loom: error: --logit-bias: token 999999 is past the vocabulary (ids 0..151935)\n");
}

TEST_CASE("run_penalties_change_a_repetitive_greedy_text", "[cli][run]") {
    const std::string plain = greedy("", 40);
    const std::string freq = greedy("--frequency-penalty 50", 40);
    const std::string pres = greedy("--presence-penalty 50", 40);
    CHECK(freq != plain);
    CHECK(pres != plain);
    CHECK(greedy("--presence-penalty 0 --frequency-penalty 0", 40) == plain);
}

TEST_CASE("run_says_when_the_prompt_does_not_fit_the_context", "[cli][run]") {
    std::string prompt;
    for (int i = 0; i < 400; i++) prompt += "apple banana cherry ";
    const size_t n = lines(loom("tokenize " + m(), prompt).out).size();
    REQUIRE(n > 1000);
    const Run r = loom("run " + m() + " -c 1000", prompt);
    CHECK(r.status == 1);
    char want[160];
    std::snprintf(want, sizeof want, "loom: error: the prompt is %zu,%03zu tokens but the context holds 1,000 (raise -c)\n",
                  n / 1000, n % 1000);
    CHECK(r.err == want);
}

TEST_CASE("run_warns_past_the_training_context", "[cli][run]") {
    const Run r = loom("run " + m() + " -p Hi --temp 0 -n 1 -c 40000");
    CHECK(r.status == 0);
    CHECK(r.err == "loom: warning: the context (40,000 tokens) is longer than the model was trained on (32,768); "
                   "text past 32,768 tokens may be poor\n");
    CHECK(loom("run " + m() + " -p Hi --temp 0 -n 1 -c 32768").err.empty());
}

TEST_CASE("run_verbose_shows_the_library_log_lines", "[cli][run]") {
    const Run r = loom("run " + m() + " -p Hi --temp 0 -n 1 --verbose --backend cpu");
    CHECK(r.status == 0);
    CHECK(r.err.find("loom: [info] loaded qwen2 model: 2 layers, 256 embd, 4 heads (2 kv), backend cpu\n") !=
          std::string::npos);
    CHECK(r.err.find("\ngenerate: 1 tokens in ") != std::string::npos);
    // The memory plans of the model and of the context, before they are made.
    CHECK(r.err.find("loom: memory plan of the model (cpu): ") < r.err.find("loaded qwen2 model"));
    CHECK(r.err.find("loom: memory plan of the context (worst case) (cpu): ") != std::string::npos);
    CHECK(r.err.find("loom:   KV cache ") != std::string::npos);
    CHECK(loom("run " + m() + " -p Hi --temp 0 -n 1 --backend cpu").err.empty());
}

TEST_CASE("detokenize_rejects_ids_that_would_narrow_and_grows_its_buffer", "[cli][tokenize]") {
    const Run r = loom("detokenize " + m(), "12 4294967301");
    CHECK(r.status == 1);
    CHECK(r.err == "loom: error: stdin: '4294967301' is not a token id (0..151935)\n");
    // Long pieces (runs of spaces and '=') need more than the first buffer.
    const std::string text = std::string(200, ' ') + "x" + std::string(120, '=') + "\n" + std::string(64, '-');
    const Run ids = loom("tokenize " + m(), text);
    REQUIRE(ids.status == 0);
    const Run back = loom("detokenize " + m(), ids.out);
    CHECK(back.status == 0);
    CHECK(back.out == text);
}

TEST_CASE("logits_rejects_narrowing_ids_and_writes_stdout_for_dash", "[cli][logits]") {
    const Run bad = loom("logits " + m() + " -o " + q(scratch("x.f32")), "1 4294967301");
    CHECK(bad.status == 1);
    CHECK(bad.err == "loom: error: stdin: '4294967301' is not a token id (0..151935)\n");
    const std::string file = scratch("logits.f32");
    REQUIRE(loom("logits " + m() + " -o " + q(file) + " --backend cpu", "9707 11 1879").status == 0);
    const std::vector<uint8_t> want = testdata::read_file(file);
    const Run out = loom("logits " + m() + " -o - --backend cpu", "9707 11 1879");
    CHECK(out.status == 0);
    CHECK(want.size() == 3 * 151936 * 4);
    CHECK(out.out == std::string(want.begin(), want.end()));
}

TEST_CASE("no_repack_reads_the_weights_in_place_with_the_same_logits", "[cli][logits]") {
    // The tiny model's matrices have no repacked layout: in place (--no-repack,
    // -nr) or copied into huge pages, the same kernels read the same bytes.
    const std::string ids = "9707 11 1879 264 882";
    const Run copied = loom("logits " + m() + " -o -", ids);
    REQUIRE(copied.status == 0);
    CHECK(copied.out.size() == 5 * 151936 * 4);
    for (const char *flag : {"--no-repack", "-nr"}) {
        INFO(flag);
        const Run in_place = loom("logits " + m() + " -o - " + flag, ids);
        CHECK(in_place.status == 0);
        CHECK(in_place.out == copied.out);
    }
}

TEST_CASE("gguf_info_names_file_type_parameters_size_and_template", "[cli][gguf]") {
    const Run r = loom("gguf info " + q(tiny_model()));
    REQUIRE(r.status == 0);
    // The parameter count and size are the sums over the tensor table printed below them.
    unsigned long long params = 0, bytes = 0;
    std::istringstream in(r.out.substr(r.out.find("\ntensors:\n") + 10));
    std::string line;
    std::getline(in, line);   // header
    while (std::getline(in, line)) {
        const size_t a = line.find('['), b = line.find(']');
        unsigned long long n = 1;
        std::istringstream dims(line.substr(a + 1, b - a - 1));
        for (std::string d; std::getline(dims, d, ',');) n *= std::stoull(d);
        params += n;
        bytes += std::stoull(line.substr(line.rfind(' ') + 1));
    }
    char want[200];
    std::snprintf(want, sizeof want, "file type:     F16\nparameters:    %.2f M (%llu)\ntensor data:   %.2f MiB (16.00 bits per parameter)\n",
                  double(params) / 1e6, params, double(bytes) / (1 << 20));
    CHECK(r.out.find(want) != std::string::npos);
    CHECK(r.out.find("\nchat template:\n{% for message in messages %}") != std::string::npos);
}

TEST_CASE("bench_json_has_model_size_threads_and_spread", "[cli][bench]") {
    const Run r = loom("bench " + m() + " -p 8 -n 4 -r 3 -t 1 --backend cpu --json");
    INFO(r.err);
    REQUIRE(r.status == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(j["model"] == tiny_model());
    CHECK(j["model_type"] == "F16");
    CHECK(j["threads"] == 1);
    CHECK(j["backend"] == "cpu");
    CHECK(j["model_size"].get<uint64_t>() > 70u << 20);
    for (const char *k : {"pp", "tg"}) {
        const nlohmann::json &t = j[k];
        REQUIRE(t["samples_tok_s"].size() == 3);
        double best = 0, sum = 0;
        for (double v : t["samples_tok_s"]) best = std::max(best, v), sum += v;
        CHECK(t["best_tok_s"].get<double>() == best);
        CHECK(t["mean_tok_s"].get<double>() == Approx(sum / 3));
        CHECK(t["stddev_tok_s"].get<double>() >= 0);
    }
    CHECK(j["pp"]["n"] == 8);
    CHECK(j["tg"]["n"] == 4);
}

TEST_CASE("load_progress_bar_reaches_100_percent_once", "[cli][run]") {
    const char *exe = std::getenv("LOOM_EXE");
    REQUIRE(exe != nullptr);
    CHECK(testdata::run("/usr/bin/python3 " + q(testdata::source_path("cli/progress_pty.py")) + " " + q(exe) + " " +
                        q(tiny_model())) == 0);
}

TEST_CASE("run_batch_size_splits_the_prompt_without_changing_the_text", "[cli][run]") {
    // On the CPU backend a token's row does not depend on the rows decoded with it.
    const std::string text = greedy("--backend cpu", 12);
    CHECK(greedy("--backend cpu -b 1", 12) == text);
    CHECK(greedy("--backend cpu -b 3", 12) == text);
}

TEST_CASE("fim_takes_inline_text_and_the_repository_form", "[cli][fim]") {
    const std::string pre = scratch("pre.py"), suf = scratch("suf.py"), ctx = scratch("util.py");
    const std::string prefix = "def add(a, b):\n    ", suffix = "\n\nprint(add(1, 2))\n", util = "X = 1\n";
    REQUIRE(testdata::write_file(pre, prefix.data(), prefix.size()));
    REQUIRE(testdata::write_file(suf, suffix.data(), suffix.size()));
    REQUIRE(testdata::write_file(ctx, util.data(), util.size()));
    const std::string opt = " -n 8 --backend cpu";
    const Run files = loom("fim " + m() + " --prefix-file " + q(pre) + " --suffix-file " + q(suf) + opt);
    REQUIRE(files.status == 0);
    const Run inline_text = loom("fim " + m() + " --prefix '" + prefix + "' --suffix-file " + q(suf) + opt);
    CHECK(inline_text.out == files.out);
    // The repository form is the documented text (loom.h) that `run` continues the same way.
    const Run repo = loom("fim " + m() + " --repo demo --path main.py --context-file " + q(ctx) + " --prefix '" +
                          prefix + "' --suffix '" + suffix + "'" + opt);
    REQUIRE(repo.status == 0);
    const std::string text = "<|repo_name|>demo\n<|file_sep|>" + ctx + "\n" + util + "<|file_sep|>main.py\n<|fim_prefix|>" +
                             prefix + "<|fim_suffix|>" + suffix + "<|fim_middle|>";
    const std::string file = scratch("repo_prompt.txt");
    REQUIRE(testdata::write_file(file, text.data(), text.size()));
    const Run run = loom("run " + m() + " -f " + q(file) + " --temp 0 --no-display-prompt" + opt);
    CHECK(repo.out + "\n" == run.out);
    const Run bad = loom("fim " + m() + " --prefix a --prefix-file " + q(pre) + " --suffix b");
    CHECK(bad.status == 2);
    CHECK(bad.err.rfind("loom: error: give the prefix (--prefix or --prefix-file) and the suffix (--suffix or --suffix-file)\n", 0) == 0);
}

TEST_CASE("run_says_when_the_context_fills_while_generating", "[cli][run]") {
    const Run r = loom("run " + m() + " -p '" + kPrompt + "' --temp 0 -n 100 -c 16 --no-display-prompt --json-report");
    REQUIRE(r.status == 0);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    CHECK(j["stop_reason"] == "context");
    CHECK(j["tokens"]["prompt"].get<int>() + j["tokens"]["generated"].get<int>() == 17);   // the last one is not decoded
    CHECK(r.err == "loom: note: the context (16 tokens) is full: the text stops here (raise -c)\n");
    // The text is the first tokens of the run with room to spare.
    CHECK(greedy("", 40).rfind(j["text"].get<std::string>(), 0) == 0);
}
