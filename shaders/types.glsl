// Byte-level access to quantized blocks kept in a storage buffer of uint
// words (no 8/16-bit storage features needed): the including shader defines
// WEIGHT_BINDING; blocks may start at any even byte offset.
#extension GL_EXT_control_flow_attributes : enable

layout(std430, binding = WEIGHT_BINDING) readonly buffer Weights { uint wq[]; };
// Word i of the weights. A shader may define WQ before including this file to
// read blocks from elsewhere (mul_mat_rows: a block copied to registers), so
// decoders read weights only through WQ / the ld_* helpers below.
#ifndef WQ
#define WQ(i) wq[i]
#endif

uint ld_u8(uint off) { return (WQ(off >> 2) >> ((off & 3u) * 8u)) & 0xFFu; }
// off even
uint ld_u16(uint off) { return (WQ(off >> 2) >> ((off & 2u) * 8u)) & 0xFFFFu; }
// off even: the word may straddle two uints
uint ld_u32(uint off) {
    uint i = off >> 2;
    return (off & 2u) == 0u ? WQ(i) : ((WQ(i) >> 16) | (WQ(i + 1u) << 16));
}
float ld_f16(uint off) { return unpackHalf2x16(ld_u16(off)).x; }
float ld_bf16(uint off) { return uintBitsToFloat(ld_u16(off) << 16); }
int sext8(uint b) { return int(b << 24) >> 24; }
