// The AVX-512 level on CPUs with AMX (Sapphire Rapids and later): the
// prompt matmuls (>= kAmxMinActs activation rows) of Q4_0, IQ4_NL (plain
// and repacked rows) and Q8_0 through int8 tile products where cpuid.cpp
// found AMX-INT8 usable (x86_has_amx_int8), and of BF16 through bf16 tile
// products where it found AMX-BF16 (x86_has_amx_bf16; matmul_bf16_amx
// below); every other call and type keeps the AVX-512 level's kernels.
// Every system header comes before the target pragma; the kernel headers
// after it hold only intrinsics code in an anonymous namespace.
//
// The int8 kernels, per block of 32 values, 16 activation rows x 16 weight rows:
//   A (16 x 32 bytes)  the activation rows' Q8_0 qs, loaded in place (stride act_stride);
//   B (8 x 64 bytes)   row p = dword p of the 16 weight rows' signed values,
//                      i.e. the DecBlock::w of x86_gemm512.h (decoded once
//                      per group of 16 rows and chunk of blocks, shared by all
//                      activation tiles);
//   C (16 x 16 int32)  tdpbssd: the exact block dots sum(q_w * q_a).
// The scales differ per block, so C cannot accumulate across blocks: each
// block's C is stored and added to 16 f32 accumulators (zmm, one per
// activation row, lanes = weight rows) as acc = fma(cvt(C), d_w * d_a, acc):
// the same operations, in the same order, as the AVX-512 kernels, so the
// results are bit-identical to theirs (tests/backends/cpu/test_kernels_amx.cpp).
// Two C tiles (blocks b, b+1) let tdpbssd of one block run while the
// previous block's epilogue does (a software pipeline).
//
// Measured (kernel_bench --isa amx --packed 1 --call 256, one thread, CPU
// time, on the project's shared Sapphire Rapids VM, best of runs): ~2x the
// AVX-512 kernel (Q4_0, k = 896, 512 activation rows). The epilogue (16
// cvt + 16 mul + 16 fma a block) and the tile loads / stores share the
// core's ports, so the tile schedule hardly matters: four C tiles
// ping-ponged (stores two blocks after their tdpbssd), one A / B tile pair
// for all blocks, and eight tiles configured all ran within noise of this
// one; epilogues two blocks behind ran 0.85x, prefetching the A rows a few
// blocks ahead 0.75x. Loading block b + 1's A tile before block b's
// tdpbssd (below) gained 1.1-1.3x; two blocks ahead (a third A tile) gained
// nothing more.
#include "cpu/kernels/blocks.h"
#include "cpu/kernels/cpuid.h"
#include "cpu/kernels/packed.h"
#include "cpu/kernels/simd_tables.h"

#include "cpu/kernels/isa_target.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

LOOM_AVX512_BEGIN("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx512bf16,amx-tile,amx-int8,amx-bf16")
#define LOOM_X86_VNNI 1

// Linux only: it alone grants tile state (cpuid.cpp), and GCC's tile
// load/store intrinsics pass the stride as `long`, 32 bits on Windows
// (mingw: an invalid address operand). Elsewhere amx_kernels has none.
#if defined(__linux__)
#define LOOM_AMX_KERNELS 1
#else
#define LOOM_AMX_KERNELS 0
#endif

namespace loom::cpu {
#if LOOM_AMX_KERNELS
namespace {

#include "cpu/kernels/x86_common.h"
#include "cpu/kernels/x86_skeleton.h"
#include "cpu/kernels/x86_legacy.h"
#include "cpu/kernels/x86_gemm512.h"
#include "cpu/kernels/x86_transpose16.h"

// Calls with fewer activation rows take the AVX-512 kernels: below one
// full A tile the tile unit would multiply zero rows, and the decode
// kernels are bound by the weight stream anyway.
constexpr int64_t kAmxMinActs = 16;
// Blocks per pass: the decoded B tiles of a group (kAmxChunk x 768 bytes =
// 24 KiB) stay in L1 while the activation tiles sweep them.
constexpr int kAmxChunk = 32;
// Activation scales of a panel, [tile][block][16 rows] (16 KiB): panels of
// kAmxScales / (16 * nbc) tiles.
constexpr int64_t kAmxScales = 4096;

// The int8 kernels' tiles: 0, 1 = C (16 x 16 int32), 2, 3 = A (16 rows x
// 32 bytes), 4, 5 = B (8 rows x 64 bytes).
struct alignas(64) TileConfig {
    uint8_t palette = 1, start_row = 0, reserved[14] = {};
    uint16_t colsb[16] = {64, 64, 32, 32, 64, 64};
    uint8_t rows[16] = {16, 16, 16, 16, 8, 8};
};
// The bf16 kernel's tiles: 0-3 = C (16 x 16 f32), 4, 5 = A (16 rows x 32
// bf16), 6, 7 = B (16 rows of 16 bf16 pairs).
struct alignas(64) TileConfigBf16 {
    uint8_t palette = 1, start_row = 0, reserved[14] = {};
    uint16_t colsb[16] = {64, 64, 64, 64, 64, 64, 64, 64};
    uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};

// Configures the calling thread's tiles for the duration of one kernel call
// and releases them at the end, so pool threads do not carry 8 KiB of tile
// state across context switches.
struct TileScope {
    template <class Config = TileConfig>
    explicit TileScope(const Config &cfg = Config{}) {
        _tile_loadconfig(&cfg);
    }
    ~TileScope() { _tile_release(); }
    TileScope(const TileScope &) = delete;
    TileScope &operator=(const TileScope &) = delete;
};

// The activation tile starting at row s of a call with n >= 16 rows: the
// last one starts at n - 16 (overlapping its predecessor) so that no tile
// reads past the rows; skip = rows of it an earlier tile already stored.
struct ActTile {
    int64_t s, skip;
};
inline ActTile act_tile(int64_t j, int64_t n) {
    const int64_t s = j + 16 <= n ? j : n - 16;
    return {s, j - s};
}

// The 16 activation rows' fp16 scales of blocks [b0, b0 + nbc) -> f32, da[b][row].
void tile_scales(const uint8_t *a, size_t as, int64_t b0, int nbc, float *da) {
    const __m512i at = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm512_set1_epi32(int(as)));
    for (int b = 0; b < nbc; ++b) {
        const __m512i h = _mm512_i32gather_epi32(at, a + (b0 + b) * sizeof(BlockQ8_0), 1);
        _mm512_storeu_ps(da + 16 * b, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(h)));
    }
}

// acc[c] (+)= C[c] * (d_w * da[c]) for the 16 rows c of a stored C tile.
__attribute__((always_inline)) inline void epilogue(const int32_t *cbuf, __m512 dw, const float *da,
                                                    __m512 (&acc)[16]) {
#pragma GCC unroll 16
    for (int c = 0; c < 16; ++c) {
        const __m512 f = _mm512_cvtepi32_ps(_mm512_load_si512(cbuf + 16 * c));
        acc[c] = _mm512_fmadd_ps(f, _mm512_mul_ps(dw, _mm512_set1_ps(da[c])), acc[c]);
    }
}

// How a pass's accumulators meet `out`: the first pass stores them, later
// ones either continue from what is there (kResume: one f32 sum over all
// blocks, as matmul_packed512) or add their own sum (kAdd: gemm16's chunks).
enum class Pass { kStore, kResume, kAdd };

// One activation tile (16 rows from `a`, the first `skip` already stored by
// the tile before) x one decoded group (`rows` of its 16 lanes valid) over
// the nbc blocks of dec (blocks b0.. of the rows); da: the tile's scales.
// The tiles must be configured (TileScope).
void amx_tile(const DecBlock *dec, int nbc, const uint8_t *a, size_t as, int64_t b0, const float *da, float *o,
              size_t os, __mmask16 rows, int64_t skip, Pass mode) {
    __m512 acc[16];
#pragma GCC unroll 16
    for (int c = 0; c < 16; ++c)
        acc[c] = mode == Pass::kResume ? _mm512_maskz_loadu_ps(rows, o + c * os) : _mm512_setzero_ps();
    // Software pipeline: block b's tile product is issued, then block
    // b - 1's stored C goes through the epilogue while the tile unit works.
    alignas(64) int32_t cbuf[2][256];
    const uint8_t *q = a + b0 * sizeof(BlockQ8_0) + offsetof(BlockQ8_0, qs);
    // A rows come from L2 and the tile unit works in order: block b + 1's A
    // tile is loaded before block b's tdpbssd so that its latency overlaps.
    const auto product = [&](int b) {
        const bool next = b + 1 < nbc;
        if (b & 1) {
            _tile_zero(1);
            _tile_loadd(5, dec[b].w, 64);
            if (next) _tile_loadd(2, q + (b + 1) * sizeof(BlockQ8_0), as);
            _tile_dpbssd(1, 3, 5);
            _tile_stored(1, cbuf[1], 64);
        } else {
            _tile_zero(0);
            _tile_loadd(4, dec[b].w, 64);
            if (next) _tile_loadd(3, q + (b + 1) * sizeof(BlockQ8_0), as);
            _tile_dpbssd(0, 2, 4);
            _tile_stored(0, cbuf[0], 64);
        }
    };
    _tile_loadd(2, q, as);
    product(0);
    for (int b = 1; b < nbc; ++b) {
        product(b);
        epilogue(cbuf[(b - 1) & 1], dec[b - 1].d, da + 16 * (b - 1), acc);
    }
    epilogue(cbuf[(nbc - 1) & 1], dec[nbc - 1].d, da + 16 * (nbc - 1), acc);
#pragma GCC unroll 16
    for (int c = 0; c < 16; ++c) {
        if (c < skip) continue;
        __m512 v = acc[c];
        if (mode == Pass::kAdd) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(rows, o + c * os));
        _mm512_mask_storeu_ps(o + c * os, rows, v);
    }
}

// The tile loop of both layouts. Decode(g, b0, nbc, dec) fills dec with
// blocks [b0, b0 + nbc) of the group of 16 rows at row g (rows past n_rows
// zero); pass(b0) says how that pass meets out. n_act >= 16.
// Stack: dec 24 KiB + scales 16 KiB + 2 KiB of C tiles (~44 KiB with
// amx_tile's frame); noinline so that the fallback calls to the AVX-512
// kernels (up to ~40 KiB) do not sit on top of it.
template <class Decode, class PassOf>
__attribute__((noinline)) void amx_matmul(int64_t nb, int64_t n_rows, const uint8_t *a, size_t as, int64_t n_act, float *out, size_t os,
                const Decode &decode, const PassOf &pass) {
    alignas(64) DecBlock dec[kAmxChunk];
    alignas(64) float da[kAmxScales];
    TileScope tiles;
    for (int64_t b0 = 0; b0 < nb; b0 += kAmxChunk) {
        const int nbc = nb - b0 < kAmxChunk ? int(nb - b0) : kAmxChunk;
        const Pass mode = pass(b0);
        const int64_t panel = 16 * (kAmxScales / (16 * nbc)); // activation rows per panel
        for (int64_t j0 = 0; j0 < n_act; j0 += panel) {
            const int64_t j1 = n_act - j0 < panel ? n_act : j0 + panel;
            for (int64_t j = j0; j < j1; j += 16) {
                const ActTile t = act_tile(j, n_act);
                tile_scales(a + t.s * as, as, b0, nbc, da + (j - j0) * nbc);
            }
            for (int64_t g = 0; g < n_rows; g += kPackRows) {
                const int nr = n_rows - g < kPackRows ? int(n_rows - g) : int(kPackRows);
                decode(g, b0, nbc, dec);
                // tileloadd's asm (GCC's intrinsic) reads dec without telling the compiler
                __asm__ volatile("" ::: "memory");
                for (int64_t j = j0; j < j1; j += 16) {
                    const ActTile t = act_tile(j, n_act);
                    amx_tile(dec, nbc, a + t.s * as, as, b0, da + (j - j0) * nbc, out + t.s * os + g, os,
                             __mmask16((1u << nr) - 1), t.skip, mode);
                }
            }
        }
    }
}

// Blocks [b0, b0 + nbc) of a repacked group (packed.h) -> signed values in
// B-tile order: nibble vector p's low nibbles are dword p (values 4p..4p+3)
// of the 16 rows, its high nibbles dword 4 + p (values 16+4p..).
template <bool kTable>
void decode_packed(const uint8_t *group, int64_t nb, int64_t b0, int nbc, DecBlock *dec) {
    const __m512i table = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i *>(kIq4nlValues)));
    const __m512i m = _mm512_set1_epi8(0x0F), eight = _mm512_set1_epi8(8);
    for (int b = 0; b < nbc; ++b) {
        const uint8_t *nib = group + pack_nib_offset(b0 + b);
        DecBlock &o = dec[b];
        for (int p = 0; p < 4; ++p) {
            const __m512i v = _mm512_loadu_si512(nib + 64 * p);
            const __m512i lo = _mm512_and_si512(v, m), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
            o.w[p] = kTable ? _mm512_shuffle_epi8(table, lo) : _mm512_sub_epi8(lo, eight);
            o.w[p + 4] = kTable ? _mm512_shuffle_epi8(table, hi) : _mm512_sub_epi8(hi, eight);
        }
        o.d = _mm512_cvtph_ps(
            _mm256_loadu_si256(reinterpret_cast<const __m256i *>(group + pack_scale_offset(b0 + b, nb))));
    }
}

// matmul_packed of Q4_0 (kTable false) / IQ4_NL. One sum over all blocks
// per output (kResume), as matmul_packed512 in its prepared form (up to
// kPackBlockChunk blocks) and its signed form (up to kPackSChunk).
template <bool kTable>
void matmul_packed_amx(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                       int64_t n_act, float *out, size_t out_stride) {
    if (n_act < kAmxMinActs) {
        const MatmulKernels *fb = avx512_kernels(kTable ? LOOM_TYPE_IQ4_NL : LOOM_TYPE_Q4_0);
        fb->matmul_packed(k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
        return;
    }
    const auto *wb = static_cast<const uint8_t *>(w);
    const int64_t nb = k / kQK;
    amx_matmul(
        nb, n_rows, static_cast<const uint8_t *>(act), act_stride, n_act, out, out_stride,
        [&](int64_t g, int64_t b0, int nbc, DecBlock *dec) { decode_packed<kTable>(wb + g * w_stride, nb, b0, nbc, dec); },
        [](int64_t b0) { return b0 == 0 ? Pass::kStore : Pass::kResume; });
}

// matmul of GGUF rows (any n_rows): gemm16's decode (x86_gemm512.h) and
// its chunks of kGemmChunk blocks, each added to out (kAdd).
template <class T, loom_type kType>
void matmul_rows_amx(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                     int64_t n_act, float *out, size_t out_stride) {
    static_assert(kAmxChunk == kGemmChunk, "the same passes as gemm16");
    if (n_act < kAmxMinActs) {
        avx512_kernels(kType)->matmul(k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
        return;
    }
    const auto *wb = static_cast<const uint8_t *>(w);
    amx_matmul(
        k / kQK, n_rows, static_cast<const uint8_t *>(act), act_stride, n_act, out, out_stride,
        [&](int64_t g, int64_t b0, int nbc, DecBlock *dec) {
            const int n = n_rows - g < kPackRows ? int(n_rows - g) : int(kPackRows);
            decode16<T>(wb + g * w_stride, w_stride, n, b0, nbc, dec);
        },
        [](int64_t b0) { return b0 == 0 ? Pass::kStore : Pass::kAdd; });
}

// BF16 weights x bf16 activations (the act rows of x86_avx512bf16.cpp) on
// bf16 tiles, for 16-row multiples of both activation and weight rows, k a
// multiple of 32; the rest of a call (its last n_act % 16 activation rows,
// its last n_rows % 16 weight rows, or all of it) takes the AVX512_BF16
// kernel. Per 32 values of k:
//   A (16 x 64 bytes)  16 activation rows' 32 bf16, loaded in place;
//   B (16 x 64 bytes)  row p = the pair p (values 2p, 2p+1) of each of 16
//                      weight rows: the 16 x 16 dword transpose of the rows'
//                      64 bytes (bf16_b_tiles), made once per group of 16
//                      rows and chunk of kBf16Chunk blocks and shared by
//                      every activation tile;
//   C (16 x 16 f32)    tdpbf16ps adds each pair's two products (exact in
//                      f32) to C in f32, so C sums the whole chunk in the
//                      tile: no per-block epilogue (unlike the int8 tiles).
// 2 x 2 C tiles (32 activation rows x 32 weight rows) per pass over a
// chunk; C goes to `out` after each chunk and comes back for the next.
// The sums differ from the AVX512_BF16 kernel's only by f32 summation order
// (tdpbf16ps also rounds to nearest even and flushes denormals to zero).
constexpr int kBf16Chunk = 16;   // blocks per chunk: B tiles of 2 groups = 32 KiB (L1)

// B tiles of blocks [b0, b0 + nbc) of the 16 weight rows at w (row stride ws).
void bf16_b_tiles(const uint8_t *w, size_t ws, int64_t b0, int nbc, uint8_t *bt) {
    for (int b = 0; b < nbc; ++b) {
        __m512 r[16];
        for (int n = 0; n < 16; ++n) r[n] = _mm512_loadu_ps(reinterpret_cast<const float *>(w + n * ws + (b0 + b) * 64));
        transpose16(r);
        for (int p = 0; p < 16; ++p) _mm512_store_ps(reinterpret_cast<float *>(bt + b * 1024 + p * 64), r[p]);
    }
}

// NA (1-2) activation tiles at a (row stride as; at the chunk's first
// value) x NG (1-2) groups of B tiles (bt0, bt1) over nbc blocks, into C at
// o (out + first activation row * os + first weight row): zero first, or
// resumed from o.
template <int NA, int NG>
void bf16_tile_pass(const uint8_t *a, size_t as, const uint8_t *bt0, const uint8_t *bt1, int nbc, float *o,
                    size_t os, bool first) {
    const size_t cs = os * sizeof(float);
    float *o1 = o + 16 * os;
    if (first) {
        _tile_zero(0);
        if (NG == 2) _tile_zero(1);
        if (NA == 2) _tile_zero(2);
        if (NA == 2 && NG == 2) _tile_zero(3);
    } else {
        _tile_loadd(0, o, cs);
        if (NG == 2) _tile_loadd(1, o + 16, cs);
        if (NA == 2) _tile_loadd(2, o1, cs);
        if (NA == 2 && NG == 2) _tile_loadd(3, o1 + 16, cs);
    }
    for (int b = 0; b < nbc; ++b) {
        _tile_loadd(4, a + b * 64, as);
        if (NA == 2) _tile_loadd(5, a + 16 * as + b * 64, as);
        _tile_loadd(6, bt0 + b * 1024, 64);
        if (NG == 2) _tile_loadd(7, bt1 + b * 1024, 64);
        _tile_dpbf16ps(0, 4, 6);
        if (NG == 2) _tile_dpbf16ps(1, 4, 7);
        if (NA == 2) _tile_dpbf16ps(2, 5, 6);
        if (NA == 2 && NG == 2) _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, o, cs);
    if (NG == 2) _tile_stored(1, o + 16, cs);
    if (NA == 2) _tile_stored(2, o1, cs);
    if (NA == 2 && NG == 2) _tile_stored(3, o1 + 16, cs);
}

// The tile part: n_rows and n_act multiples of 16, k of 32.
__attribute__((noinline)) void bf16_amx_tiles(int64_t k, const uint8_t *w, size_t ws, int64_t n_rows,
                                              const uint8_t *a, size_t as, int64_t n_act, float *out, size_t os) {
    static const TileConfigBf16 cfg;
    alignas(64) uint8_t bt[2][kBf16Chunk * 1024];
    TileScope tiles(cfg);
    const int64_t nb = k / 32, groups = n_rows / 16, act_tiles = n_act / 16;
    for (int64_t b0 = 0; b0 < nb; b0 += kBf16Chunk) {
        const int nbc = nb - b0 < kBf16Chunk ? int(nb - b0) : kBf16Chunk;
        for (int64_t g = 0; g < groups; g += 2) {
            const bool two = g + 1 < groups;
            bf16_b_tiles(w + 16 * g * ws, ws, b0, nbc, bt[0]);
            if (two) bf16_b_tiles(w + 16 * (g + 1) * ws, ws, b0, nbc, bt[1]);
            // tileloadd's asm (GCC's intrinsic) reads bt without telling the compiler
            __asm__ volatile("" ::: "memory");
            for (int64_t t = 0; t < act_tiles; t += 2) {
                const uint8_t *at = a + 16 * t * as + b0 * 64;
                float *o = out + 16 * t * os + 16 * g;
                const bool pair = t + 1 < act_tiles;
                if (pair && two) bf16_tile_pass<2, 2>(at, as, bt[0], bt[1], nbc, o, os, b0 == 0);
                else if (pair) bf16_tile_pass<2, 1>(at, as, bt[0], nullptr, nbc, o, os, b0 == 0);
                else if (two) bf16_tile_pass<1, 2>(at, as, bt[0], bt[1], nbc, o, os, b0 == 0);
                else bf16_tile_pass<1, 1>(at, as, bt[0], nullptr, nbc, o, os, b0 == 0);
            }
        }
    }
}

void matmul_bf16_amx(int64_t k, const void *w, size_t w_stride, int64_t n_rows, const void *act, size_t act_stride,
                     int64_t n_act, float *out, size_t out_stride) {
    const MatmulKernels *fb = avx512bf16_kernels(LOOM_TYPE_BF16);
    const int64_t n16 = k % 32 == 0 ? n_rows / 16 * 16 : 0, a16 = n_act / 16 * 16;
    if (n16 == 0 || a16 == 0) {
        fb->matmul(k, w, w_stride, n_rows, act, act_stride, n_act, out, out_stride);
        return;
    }
    const auto *wb = static_cast<const uint8_t *>(w);
    const auto *ab = static_cast<const uint8_t *>(act);
    bf16_amx_tiles(k, wb, w_stride, n16, ab, act_stride, a16, out, out_stride);
    if (a16 < n_act)
        fb->matmul(k, wb, w_stride, n16, ab + a16 * act_stride, act_stride, n_act - a16, out + a16 * out_stride,
                   out_stride);
    if (n16 < n_rows)
        fb->matmul(k, wb + n16 * w_stride, w_stride, n_rows - n16, ab, act_stride, n_act, out + n16, out_stride);
}

// The tables: the AVX-512 level's entries with the AMX matmuls.
MatmulKernels with_amx(loom_type t, decltype(MatmulKernels::matmul) plain, decltype(MatmulKernels::matmul) packed) {
    MatmulKernels k = *avx512_kernels(t);
    k.matmul = plain;
    if (packed) k.matmul_packed = packed;
    return k;
}

} // namespace

const MatmulKernels *amx_kernels(loom_type t) {
    static const MatmulKernels q4_0 = with_amx(LOOM_TYPE_Q4_0, matmul_rows_amx<KQ4_0, LOOM_TYPE_Q4_0>, matmul_packed_amx<false>);
    static const MatmulKernels iq4_nl =
        with_amx(LOOM_TYPE_IQ4_NL, matmul_rows_amx<KIQ4_NL, LOOM_TYPE_IQ4_NL>, matmul_packed_amx<true>);
    static const MatmulKernels q8_0 = with_amx(LOOM_TYPE_Q8_0, matmul_rows_amx<KQ8_0, LOOM_TYPE_Q8_0>, nullptr);
    static const bool int8 = x86_has_amx_int8(), bf16 = x86_has_amx_bf16();
    switch (t) {
    case LOOM_TYPE_Q4_0: return int8 ? &q4_0 : nullptr;
    case LOOM_TYPE_IQ4_NL: return int8 ? &iq4_nl : nullptr;
    case LOOM_TYPE_Q8_0: return int8 ? &q8_0 : nullptr;
    case LOOM_TYPE_BF16: {
        if (!bf16) return nullptr;
        static const MatmulKernels bf16_table = [] {
            MatmulKernels k = *avx512bf16_kernels(LOOM_TYPE_BF16);   // its bf16 activation rows
            k.matmul = matmul_bf16_amx;
            return k;
        }();
        return &bf16_table;
    }
    default: return nullptr;
    }
}
#else
const MatmulKernels *amx_kernels(loom_type) { return nullptr; }
#endif

} // namespace loom::cpu

LOOM_AVX512_END
