// How the 256 codes of a super-block are laid out in bytes, shared by the
// K-quants and TQ2_0. For value v of the block:
//   2-bit plane: byte (v/128)*32 + v%32, bits 2*((v%128)/32)
//   bit plane:   byte v%32, bit v/32
//   4-bit plane: byte (v/64)*32 + v%32, high nibble when v%64 >= 32
// The put_* functions OR into a zeroed plane.
#pragma once

#include <cstdint>

namespace loom {

inline int crumb(const uint8_t *plane, int v) { return (plane[(v / 128) * 32 + v % 32] >> (2 * ((v % 128) / 32))) & 3; }
inline void put_crumb(uint8_t *plane, int v, int c) {
    plane[(v / 128) * 32 + v % 32] |= uint8_t((c & 3) << (2 * ((v % 128) / 32)));
}

inline int hbit(const uint8_t *plane, int v) { return (plane[v % 32] >> (v / 32)) & 1; }
inline void put_hbit(uint8_t *plane, int v, int bit) { plane[v % 32] |= uint8_t((bit & 1) << (v / 32)); }

inline int nibble(const uint8_t *plane, int v) { return (plane[(v / 64) * 32 + v % 32] >> (4 * ((v % 64) / 32))) & 0xf; }
inline void put_nibble(uint8_t *plane, int v, int q) {
    plane[(v / 64) * 32 + v % 32] |= uint8_t((q & 0xf) << (4 * ((v % 64) / 32)));
}

} // namespace loom
