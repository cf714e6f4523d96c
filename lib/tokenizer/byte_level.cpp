// The GPT-2 byte <-> code point table (see byte_level.h).
#include "tokenizer/byte_level.h"

#include "tokenizer/unicode.h"

namespace loom {

namespace {

bool printable_as_itself(uint32_t b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct ByteTable {
    uint32_t to_cp[256];
    uint8_t remapped[68];  // U+0100 + n stands for byte remapped[n]
    ByteTable() {
        uint32_t next = 0x100;
        for (uint32_t b = 0; b < 256; ++b) {
            if (printable_as_itself(b)) {
                to_cp[b] = b;
            } else {
                remapped[next - 0x100] = uint8_t(b);
                to_cp[b] = next++;
            }
        }
    }
};

const ByteTable &table() {
    static const ByteTable t;  // immutable after first use (thread-safe static init)
    return t;
}

} // namespace

uint32_t byte_to_code_point(uint8_t b) { return table().to_cp[b]; }

int byte_from_code_point(uint32_t cp) {
    if (cp < 0x100) return printable_as_itself(cp) ? int(cp) : -1;
    if (cp >= 0x100 + 68) return -1;
    return table().remapped[cp - 0x100];
}

std::string byte_level_decode(std::string_view piece) {
    std::string out;
    out.reserve(piece.size());
    const uint8_t *p = reinterpret_cast<const uint8_t *>(piece.data()), *end = p + piece.size();
    while (p < end) {
        size_t len;
        uint32_t cp = unicode::decode_utf8(p, end, &len);
        int b = byte_from_code_point(cp);
        if (b >= 0 && cp != unicode::kReplacement) out.push_back(char(b));
        else out.append(reinterpret_cast<const char *>(p), len);
        p += len;
    }
    return out;
}

} // namespace loom
