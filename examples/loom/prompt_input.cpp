#include "prompt_input.h"

#include "cli.h"


namespace cli {

bool read_prompt(const PromptSource &src, std::string *out, std::string *why) {
    if (src.given_text && !src.file.empty()) return *why = "give -p or -f, not both", false;
    if (src.given_text) return *out = src.text, true;
    std::string reason;
    if (src.file == "-" || (src.file.empty() && !stdin_is_terminal())) {
        if (!read_stdin(out, &reason)) return *why = "cannot read stdin: " + reason, false;
    } else if (!src.file.empty()) {
        if (!read_file(src.file, out, &reason)) return *why = "cannot read " + src.file + ": " + reason, false;
    } else {
        return *why = "no prompt: give -p TEXT, -f FILE, or text on stdin", false;
    }
    return true;
}

} // namespace cli
