// `loom tokenize` and `loom detokenize`: text <-> token ids through the
// model's tokenizer (vocab-only load: no weights are read).
#include "cli.h"
#include "common_options.h"
#include "infer_common.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct TokOptions {
    std::string model;
    bool no_special = false, no_nfc = false;
    cli::CommonOptions common;
};

// The options of tokenize (`tokenize`) or detokenize.
cli::Options declare(TokOptions *o, bool tokenize) {
    cli::Options opts(tokenize ? "loom tokenize -m MODEL [options] < TEXT" : "loom detokenize -m MODEL [options] < IDS",
                      tokenize ? "Text on stdin -> token ids on stdout, one per line (the model's tokenizer only)."
                               : "Token ids on stdin (whitespace-separated) -> text on stdout.");
    opts.text("-m, --model", "FILE", &o->model, "the GGUF model (only its vocabulary is read; required)");
    opts.flag("--no-special", &o->no_special,
              tokenize ? "treat special-token texts (<|im_start|>) as plain text" : "print special tokens as nothing");
    if (tokenize) opts.flag("--no-nfc", &o->no_nfc, "skip NFC normalization");
    cli::add_common_options(&opts, &o->common);
    return opts;
}

int load_vocab(const cli::Options &opts, const TokOptions &o, cli::ModelHandle *model) {
    if (o.model.empty()) return opts.usage_error("-m MODEL is required");
    loom_status st = cli::load_model(o.model, true, model);
    return st == LOOM_OK ? 0 : cli::fail_status(st, o.model.c_str());
}

int tokenize_main(int argc, char **argv) {
    TokOptions o;
    cli::Options opts = declare(&o, true);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    cli::ModelHandle model;
    if (int rc = load_vocab(opts, o, &model)) return rc;
    std::string text, why;
    if (!cli::read_stdin(&text, &why)) return cli::fail("cannot read stdin: %s", why.c_str());
    int32_t flags = (o.no_special ? 0 : LOOM_TOKENIZE_PARSE_SPECIAL) | (o.no_nfc ? LOOM_TOKENIZE_NO_NFC : 0);
    loom_status st;
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

// Pushes one id; grows `buf` to the size the library asks for and retries.
loom_status push_token(loom_detokenizer *d, int32_t id, std::vector<char> *buf, size_t *size) {
    loom_status st = loom_detokenizer_push(d, id, buf->data(), buf->size(), size);
    if (st != LOOM_ERR_BUFFER_TOO_SMALL) return st;
    buf->resize(*size);
    return loom_detokenizer_push(d, id, buf->data(), buf->size(), size);
}

// The next whitespace-separated id on stdin: 1 read, 0 end of input, -1 not an id in range.
int next_id(const loom_model *m, int32_t *id) {
    char word[32];
    if (std::scanf("%31s", word) != 1) return 0;
    long long v = 0;
    std::string why;
    if (!cli::parse_integer_text(word, &v, &why) || v < 0 || v >= loom_model_n_vocab(m)) {
        cli::fail("stdin: '%s' is not a token id (0..%d)", word, loom_model_n_vocab(m) - 1);
        return -1;
    }
    *id = int32_t(v);
    return 1;
}

int detokenize_main(int argc, char **argv) {
    TokOptions o;
    cli::Options opts = declare(&o, false);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    cli::ModelHandle model;
    if (int rc = load_vocab(opts, o, &model)) return rc;
    loom_detokenizer *d = nullptr;
    loom_status st = loom_detokenizer_new(model.m, o.no_special ? 0 : LOOM_DETOKENIZE_RENDER_SPECIAL, &d);
    if (st != LOOM_OK) return cli::fail_status(st, "detokenizer");
    std::vector<char> buf(16);   // grows to what the library asks for
    size_t size = 0;
    int32_t id = 0;
    int rc = 0, got;
    while ((got = next_id(model.m, &id)) == 1) {
        if ((st = push_token(d, id, &buf, &size)) != LOOM_OK) {
            rc = cli::fail_status(st, "detokenize");
            break;
        }
        std::fwrite(buf.data(), 1, size, stdout);
    }
    if (got < 0) rc = 1;
    if (rc == 0) {
        st = loom_detokenizer_flush(d, buf.data(), buf.size(), &size);
        if (st == LOOM_ERR_BUFFER_TOO_SMALL) {
            buf.resize(size);
            st = loom_detokenizer_flush(d, buf.data(), buf.size(), &size);
        }
        if (st == LOOM_OK) std::fwrite(buf.data(), 1, size, stdout);
        else rc = cli::fail_status(st, "detokenize");
    }
    loom_detokenizer_free(d);
    return rc;
}

} // namespace

LOOM_COMMAND("tokenize", "text on stdin -> token ids (one per line)", tokenize_main);
LOOM_COMMAND("detokenize", "token ids on stdin -> text", detokenize_main);
