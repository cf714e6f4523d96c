// Grid lattices and their neighbour tables (see iq_lattice.h). Built on
// first use, once per process (function-local statics: thread-safe).
#include "quant/fp_exact.h"
#include "quant/iq_lattice.h"
#include "quant/iq_tables.h"

#include <algorithm>
#include <cfloat>
#include <cstring>

namespace loom {

namespace {
constexpr int32_t kOutsideCube = INT32_MIN; // a key with a level no encoder produces
} // namespace

template <typename Entry>
IqLattice IqLattice::build(const Entry *grid, int size, const int8_t *levels, int n_levels, int bits, int nwant) {
    IqLattice t;
    t.dims_ = int(sizeof(Entry));
    t.bits_ = bits;
    t.level_.resize(size_t(size) * sizeof(Entry));
    t.map_.assign(size_t(1) << (bits * t.dims_), kOutsideCube);
    for (int g = 0; g < size; ++g) {
        int8_t bytes[sizeof(Entry)];
        std::memcpy(bytes, &grid[g], sizeof bytes);
        int8_t L[sizeof(Entry)];
        for (int i = 0; i < t.dims_; ++i)
            L[i] = int8_t(std::find(levels, levels + n_levels, bytes[i]) - levels);
        std::memcpy(&t.level_[size_t(g) * sizeof(Entry)], L, sizeof L);
        t.map_[size_t(t.key(L))] = g;
    }
    for (size_t k = 0; k < t.map_.size(); ++k) {
        if (t.map_[k] != kOutsideCube) continue;
        bool in_cube = true;
        for (int i = 0; i < t.dims_; ++i) in_cube = in_cube && int((k >> (bits * i)) & ((1u << bits) - 1)) < n_levels;
        if (in_cube) t.add_neighbours(int(k), nwant, size);
    }
    return t;
}

void IqLattice::add_neighbours(int key, int nwant, int size) {
    int pos[8];
    for (int i = 0; i < dims_; ++i) pos[i] = 2 * ((key >> (bits_ * i)) & ((1 << bits_) - 1)) + 1;
    std::vector<int> d2(size_t(size), 0);
    int nearest[4], n_nearest = 0; // the nwant smallest distinct distances, ascending
    for (int g = 0; g < size; ++g) {
        int d = 0;
        for (int i = 0; i < dims_; ++i) {
            const int diff = 2 * level(g, i) + 1 - pos[i];
            d += diff * diff;
        }
        d2[size_t(g)] = d;
        if (std::find(nearest, nearest + n_nearest, d) != nearest + n_nearest) continue;
        if (n_nearest == nwant && d >= nearest[n_nearest - 1]) continue;
        if (n_nearest < nwant) ++n_nearest;
        int j = n_nearest - 1; // insert, dropping the largest when full
        for (; j > 0 && nearest[j - 1] > d; --j) nearest[j] = nearest[j - 1];
        nearest[j] = d;
    }
    map_[size_t(key)] = -int32_t(neighbours_.size() + 1);
    const size_t count_at = neighbours_.size();
    neighbours_.push_back(0);
    for (int j = 0; j < n_nearest; ++j)
        for (int g = 0; g < size; ++g)
            if (d2[size_t(g)] == nearest[j]) neighbours_.push_back(uint16_t(g));
    neighbours_[count_at] = uint16_t(neighbours_.size() - count_at - 1);
}

int IqLattice::best_neighbour(int key, const float *x, const float *w, float scale, int8_t *L,
                              const float *values) const {
    const int32_t m = map_[size_t(key)];
    int best = 0;
    if (m < 0 && m != kOutsideCube) {
        const uint16_t *list = &neighbours_[size_t(-(m + 1))];
        float best_d2 = FLT_MAX;
        for (int j = 1; j <= list[0]; ++j) {
            float d2 = 0.0f;
            for (int i = 0; i < dims_; ++i) {
                const int l = level(list[j], i);
                const float diff = scale * (values ? values[l] : float(2 * l + 1)) - x[i];
                d2 += w[i] * diff * diff;
            }
            if (d2 < best_d2) best_d2 = d2, best = list[j];
        }
    }
    for (int i = 0; i < dims_; ++i) L[i] = int8_t(level(best, i));
    return best;
}

namespace {
const int8_t kIq2Levels[3] = {0x08, 0x19, 0x2b};
const int8_t kIq3xxsLevels[8] = {4, 12, 20, 28, 36, 44, 52, 62};
const int8_t kIq3sLevels[8] = {1, 3, 5, 7, 9, 11, 13, 15};
const int8_t kIq1Levels[3] = {-1, 0, 1};
} // namespace

// nwant as llama.cpp: 2 for IQ2_XXS/IQ2_XS and IQ3_XXS, 1 for IQ2_S, 3 for IQ3_S and IQ1.
const IqLattice &iq2xxs_lattice() {
    static const IqLattice t = IqLattice::build(kIq2xxsGrid, 256, kIq2Levels, 3, 2, 2);
    return t;
}
const IqLattice &iq2xs_lattice() {
    static const IqLattice t = IqLattice::build(kIq2xsGrid, 512, kIq2Levels, 3, 2, 2);
    return t;
}
const IqLattice &iq2s_lattice() {
    static const IqLattice t = IqLattice::build(kIq2sGrid, 1024, kIq2Levels, 3, 2, 1);
    return t;
}
const IqLattice &iq3xxs_lattice() {
    static const IqLattice t = IqLattice::build(kIq3xxsGrid, 256, kIq3xxsLevels, 8, 3, 2);
    return t;
}
const IqLattice &iq3s_lattice() {
    static const IqLattice t = IqLattice::build(kIq3sGrid, 512, kIq3sLevels, 8, 3, 3);
    return t;
}
const IqLattice &iq1s_lattice() {
    static const IqLattice t = IqLattice::build(kIq1sGrid, 2048, kIq1Levels, 3, 2, 3);
    return t;
}

} // namespace loom
