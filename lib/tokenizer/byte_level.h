// GPT-2 byte-level encoding: every byte is stored in the vocabulary as one
// printable code point (bytes 0x21..0x7E, 0xA1..0xAC, 0xAE..0xFF as
// themselves, the other 68 bytes as U+0100 + n in byte order), so "Ġ" (U+0120)
// stands for the space byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loom {

// The code point byte `b` is stored as.
uint32_t byte_to_code_point(uint8_t b);

// The byte a stored code point stands for, or -1 if it is not a byte-level code point.
int byte_from_code_point(uint32_t cp);

// Decodes a stored piece into raw bytes. Code points that are not byte-level
// (never in a well-formed gpt2 vocabulary) are copied as their UTF-8 bytes.
std::string byte_level_decode(std::string_view piece);

} // namespace loom
