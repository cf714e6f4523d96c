// `loom tokenize` and `loom detokenize`: text <-> token ids through the
// model's tokenizer (vocab-only load: no weights are read).
#include "cli.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct ModelCloser {
    loom_model *m = nullptr;
    ~ModelCloser() { loom_model_free(m); }
};

loom_status load_vocab(const char *path, loom_model **out) {
    loom_model_params p;
    loom_model_default_params(&p);
    p.vocab_only = 1;
    return loom_model_load(path, &p, out);
}

// All of stdin with fread (much faster than stream iterators on large text).
bool read_all_stdin(std::string *out) {
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) out->append(buf, n);
    return !std::ferror(stdin);
}

const char kTokenizeUsage[] = "loom tokenize -m MODEL [--no-special] [--no-nfc]  (text on stdin -> ids, one per line)";
const char kDetokenizeUsage[] = "loom detokenize -m MODEL [--no-special]  (ids on stdin -> text on stdout)";

// Parses -m MODEL and the boolean switches in `names`; false on bad usage.
bool parse_args(int argc, char **argv, const char **model, const std::vector<const char *> &names, std::vector<bool> *on) {
    on->assign(names.size(), false);
    for (int i = 1; i < argc; ++i) {
        if ((!std::strcmp(argv[i], "-m") || !std::strcmp(argv[i], "--model")) && i + 1 < argc) {
            *model = argv[++i];
            continue;
        }
        size_t k = 0;
        while (k < names.size() && std::strcmp(argv[i], names[k]) != 0) ++k;
        if (k == names.size()) return false;
        (*on)[k] = true;
    }
    return *model != nullptr;
}

int tokenize_main(int argc, char **argv) {
    const char *path = nullptr;
    std::vector<bool> on;
    if (!parse_args(argc, argv, &path, {"--no-special", "--no-nfc"}, &on)) return cli::usage(kTokenizeUsage);
    ModelCloser model;
    loom_status st = load_vocab(path, &model.m);
    if (st != LOOM_OK) return cli::fail_status(st, path);
    std::string text;
    if (!read_all_stdin(&text)) return cli::fail("cannot read stdin");
    int32_t flags = (on[0] ? 0 : LOOM_TOKENIZE_PARSE_SPECIAL) | (on[1] ? LOOM_TOKENIZE_NO_NFC : 0);
    // Most text has fewer tokens than bytes; retry once with the exact size otherwise.
    std::vector<int32_t> ids(text.size() / 2 + 16);
    size_t n = 0;
    st = loom_tokenize(model.m, text.data(), text.size(), flags, ids.data(), ids.size(), &n);
    if (st == LOOM_ERR_BUFFER_TOO_SMALL) {
        ids.resize(n);
        st = loom_tokenize(model.m, text.data(), text.size(), flags, ids.data(), ids.size(), &n);
    }
    if (st != LOOM_OK) return cli::fail_status(st, "tokenize");
    std::string out;
    out.reserve(n * 7);
    for (size_t i = 0; i < n; ++i) out += std::to_string(ids[i]) + '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

int detokenize_main(int argc, char **argv) {
    const char *path = nullptr;
    std::vector<bool> on;
    if (!parse_args(argc, argv, &path, {"--no-special"}, &on)) return cli::usage(kDetokenizeUsage);
    ModelCloser model;
    loom_status st = load_vocab(path, &model.m);
    if (st != LOOM_OK) return cli::fail_status(st, path);
    loom_detokenizer *d = nullptr;
    st = loom_detokenizer_new(model.m, on[0] ? 0 : LOOM_DETOKENIZE_RENDER_SPECIAL, &d);
    if (st != LOOM_OK) return cli::fail_status(st, "detokenizer");
    std::vector<char> buf(4096);
    size_t size = 0;
    long id;
    int rc = 0;
    while (std::scanf("%ld", &id) == 1) {
        st = loom_detokenizer_push(d, int32_t(id), buf.data(), buf.size(), &size);
        if (st != LOOM_OK) {
            rc = cli::fail_status(st, "detokenize");
            break;
        }
        std::fwrite(buf.data(), 1, size, stdout);
    }
    if (rc == 0 && !std::feof(stdin)) rc = cli::fail("stdin: expected token ids separated by whitespace");
    if (rc == 0 && loom_detokenizer_flush(d, buf.data(), buf.size(), &size) == LOOM_OK) std::fwrite(buf.data(), 1, size, stdout);
    loom_detokenizer_free(d);
    return rc;
}

} // namespace

LOOM_COMMAND("tokenize", "text on stdin -> token ids (one per line)", tokenize_main);
LOOM_COMMAND("detokenize", "token ids on stdin -> text", detokenize_main);
