// The JSON reader and the JSON schema -> GBNF converter: input = schema text.
// The reader accepts or fails with FORMAT; what it accepts writes back to a
// text that reads to the same writing. The converter gives a grammar that
// parse_gbnf takes, or FORMAT / UNSUPPORTED with a message.
#include "common/json_reader.h"
#include "fuzz_support.h"
#include "grammar/grammar.h"
#include "grammar/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view in(reinterpret_cast<const char *>(data), size);
    loom::JsonValue v;
    loom::Status st = loom::parse_json(in, &v);
    if (st.is_ok()) {
        std::string once = loom::write_json(v);
        loom::JsonValue again;
        FUZZ_ASSERT(loom::parse_json(once, &again).is_ok());
        FUZZ_ASSERT(loom::write_json(again) == once);
    } else {
        FUZZ_ASSERT(st.code() == LOOM_ERR_FORMAT && !st.message().empty());
    }
    std::string gbnf;
    st = loom::json_schema_to_gbnf(in, &gbnf);
    if (!st.is_ok()) {
        FUZZ_ASSERT((st.code() == LOOM_ERR_FORMAT || st.code() == LOOM_ERR_UNSUPPORTED) && !st.message().empty());
        return 0;
    }
    loom::Grammar g;
    FUZZ_ASSERT(loom::parse_gbnf(gbnf, "root", &g).is_ok());
    return 0;
}
