// The structs behind the public opaque handles. Only lib/api and the
// subsystems' own API files include this.
#pragma once

#include "common/log.h"
#include "gguf/gguf.h"

#include <memory>
#include <mutex>

namespace loom {
class Tokenizer;        // lib/tokenizer/tokenizer.h
class Model;            // lib/model/model.h
struct GrammarTables;   // lib/sample/sampler.h
} // namespace loom

// A borrowed or owned view of a GGUF file (loom_gguf_open / loom_model_gguf).
struct loom_gguf {
    std::shared_ptr<loom::GgufFile> file;
};

struct loom_model {
    loom::LogSink log;
    loom_gguf gguf;                              // the file the model came from
    std::unique_ptr<loom::Tokenizer> tokenizer;  // null if the file has no vocabulary
    std::unique_ptr<loom::Model> model;          // null for vocab-only files
    int32_t n_ctx_train = 0;                     // from the metadata at load; 0 if unknown
    // The grammar stages' vocabulary tables, made at the first grammar
    // sampler (api_sample.cpp) and shared by all: a model is used from many threads.
    mutable std::mutex grammar_mu;
    mutable std::shared_ptr<const loom::GrammarTables> grammar_tables;
    ~loom_model();                               // defined in lib/api/api_model.cpp
};
