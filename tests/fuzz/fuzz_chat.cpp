// Chat template rendering and the FIM prompt builders on any message texts.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Bytes in(data, size);
    const loom_model *m = fuzz::vocab_model();
    static const char *kRoles[] = {"system", "user", "assistant", "tool", "bogus"};
    const int32_t flags = in.take<uint8_t>() & 3;
    std::vector<std::string> texts;
    std::vector<const char *> roles, contents;
    while (in.left() && texts.size() < 16) {
        roles.push_back(kRoles[in.take<uint8_t>() % 5]);
        texts.push_back(in.take_string(200));
    }
    for (const std::string &t : texts) contents.push_back(t.c_str());
    size_t n = 0;
    loom_status st = loom_chat_apply(m, roles.data(), contents.data(), texts.size(), flags, nullptr, 0, &n);
    if (st == LOOM_ERR_BUFFER_TOO_SMALL) {
        std::string out(n, '\0');
        FUZZ_ASSERT(loom_chat_apply(m, roles.data(), contents.data(), texts.size(), flags, &out[0], n, &n) == LOOM_OK);
    }
    const char *a = texts.empty() ? "" : texts[0].c_str(), *b = texts.size() < 2 ? "" : texts[1].c_str();
    st = loom_fim_prompt(m, a, b, nullptr, 0, &n);
    FUZZ_ASSERT(st == LOOM_ERR_BUFFER_TOO_SMALL || st == LOOM_ERR_NOT_FOUND || st == LOOM_OK);
    const size_t files = texts.size() > 2 ? (texts.size() - 2) / 2 : 0;
    std::vector<const char *> paths, bodies;
    for (size_t i = 0; i < files; i++) {
        paths.push_back(texts[2 + 2 * i].c_str());
        bodies.push_back(texts[3 + 2 * i].c_str());
    }
    std::string out(1024, '\0');
    st = loom_fim_repo_prompt(m, "repo", paths.data(), bodies.data(), files, "f.c", a, b, &out[0], out.size(), &n);
    FUZZ_ASSERT(st == LOOM_OK || st == LOOM_ERR_BUFFER_TOO_SMALL || st == LOOM_ERR_NOT_FOUND);
    return 0;
}
