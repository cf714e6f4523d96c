// Unicode for the tokenizer: code point classes (letter, number, whitespace),
// UTF-8 decoding with U+FFFD substitution, UTF-8 encoding and NFC.
// Tables are generated from the Unicode Character Database by
// gen_unicode_tables.py into unicode_tables.cpp.
#pragma once

#include "common/utf8.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom {
namespace unicode {

constexpr uint32_t kReplacement = 0xFFFD;

enum : uint8_t {
    kLetter = 1,    // \p{L}
    kNumber = 2,    // \p{N}
    kSpace = 4,     // \s: the White_Space property (U+0085 yes, U+FEFF no)
    kNfcCheck = 8,  // combining class != 0 or NFC_QC No/Maybe
};

extern const uint16_t kFlagsStage1[];
extern const uint8_t kFlagsStage2[];

inline uint8_t flags(uint32_t cp) {
    if (cp < 0x80) {
        // ASCII fast path: letters, digits, \t \n \v \f \r and space.
        if ((cp | 0x20) - 'a' < 26) return kLetter;
        if (cp - '0' < 10) return kNumber;
        if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return kSpace;
        return 0;
    }
    if (cp >= 0x110000) return 0;
    return kFlagsStage2[(size_t(kFlagsStage1[cp >> 8]) << 8) | (cp & 0xFF)];
}

uint8_t combining_class(uint32_t cp);

// Decodes one code point from [p, end) (p < end). Ill-formed input yields
// U+FFFD and consumes its maximal subpart (at least one byte), following the
// Unicode Standard's "substitution of maximal subparts" (as WHATWG decoders
// do). Surrogates (ED A0..BF) and overlongs are ill-formed. *len gets the
// bytes consumed.
uint32_t decode_utf8(const uint8_t *p, const uint8_t *end, size_t *len);

using loom::append_utf8;   // cp as UTF-8 (common/utf8.h)

// Length of a well-formed UTF-8 sequence that starts with `lead`, 0 if no
// sequence can start with it.
size_t utf8_sequence_length(uint8_t lead);

// Decodes all of `text` into *out (cleared first) with U+FFFD substitution.
void decode_utf8(std::string_view text, std::vector<uint32_t> *out);

// True when no code point of cps may change under NFC (the quick check).
bool is_nfc_quick(const std::vector<uint32_t> &cps);

// Normalizes cps to NFC in place (canonical decomposition, canonical
// ordering, canonical composition without exclusions; Hangul algorithmic).
void nfc(std::vector<uint32_t> *cps);

} // namespace unicode
} // namespace loom
