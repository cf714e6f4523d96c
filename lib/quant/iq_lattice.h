// The lattices behind the IQ1-IQ3 encoders. Each grid of iq_tables.h is a
// set of points whose coordinates take a few levels (IQ2: 3, IQ3: 8, IQ1:
// 3); an encoder rounds a run of values to levels, and when that point is
// not in the grid it picks the best of the grid points nearest to it. The
// nearest points are found once per grid: for every off-grid point of the
// level cube, the grid points within its `nwant` smallest distinct squared
// distances (measured in units 2*level+1), ordered by (distance, index).
// That is llama.cpp's neighbour definition (ggml-quants.c, iq2xs_init_impl,
// iq3xs_init_impl), so an encoder picks the same points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loom {

class IqLattice {
public:
    int dims() const { return dims_; }
    // The key of a point of levels L[0..dims) (each below 2^bits).
    int key(const int8_t *L) const {
        int k = 0;
        for (int i = 0; i < dims_; ++i) k |= int(L[i]) << (bits_ * i);
        return k;
    }
    // The grid index of key, or -1 when the point is not in the grid.
    int index(int key) const { return map_[size_t(key)] >= 0 ? map_[size_t(key)] : -1; }
    // Level of coordinate i of grid point g.
    int level(int g, int i) const { return level_[size_t(g) * size_t(dims_) + size_t(i)]; }
    // For an off-grid key: the neighbour minimising sum w[i] * (scale*q_i - x[i])^2
    // with q_i = values[level] (nullptr: 2*level+1), the first on ties; L gets
    // its levels. Returns its index (0 when no distance compares, as for NaN input).
    int best_neighbour(int key, const float *x, const float *w, float scale, int8_t *L,
                       const float *values = nullptr) const;

    // levels: the byte values of one coordinate in level order (as int8_t).
    template <typename Entry>
    static IqLattice build(const Entry *grid, int size, const int8_t *levels, int n_levels, int bits, int nwant);

private:
    int dims_ = 0, bits_ = 0;
    std::vector<uint8_t> level_;        // [size][dims]
    std::vector<int32_t> map_;          // key -> index, or -(offset + 1) into neighbours_
    std::vector<uint16_t> neighbours_;  // per off-grid key: count, then the indices
    void add_neighbours(int key, int nwant, int size);
};

const IqLattice &iq2xxs_lattice();
const IqLattice &iq2xs_lattice();
const IqLattice &iq2s_lattice();
const IqLattice &iq3xxs_lattice();
const IqLattice &iq3s_lattice();
const IqLattice &iq1s_lattice();

} // namespace loom
