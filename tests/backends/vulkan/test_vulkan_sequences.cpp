// Sequence-aware attention on Vulkan: six sequences decoded together in
// shared batches (prompt chunks next to decode tokens, a shared prefix, a
// hole, a sequence outgrowing its region; tests/model/interleaved_decode)
// give each row the logits of that sequence decoded alone on the same
// backend. Part of the vulkan_threads executable (its main skips without a
// device).
#include <catch2/catch.hpp>

#include "interleaved_decode.h"
#include "reference_forward.h"
#include "tiny_model.h"

#include "loom.h"

#include <string>
#include <vector>

TEST_CASE("vulkan_interleaved_sequences_in_shared_batches_equal_each_sequence_alone") {
    tinymodel::Spec spec;
    spec.weight_type = LOOM_TYPE_F16;
    const std::vector<uint8_t> bytes = tinymodel::build(spec);
    REQUIRE(!bytes.empty());
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = LOOM_BACKEND_VULKAN;
    loom_model *m = nullptr;
    REQUIRE(loom_model_load_from_memory(bytes.data(), bytes.size(), &mp, &m) == LOOM_OK);
    // Tolerances as on CPU (tests/model/test_context.cpp): the rows' matmuls
    // and the softmax blocks of a shared prefix round differently in a batch.
    for (int32_t kv : {LOOM_TYPE_F16, LOOM_TYPE_F32}) {
        std::string err;
        const std::vector<interleaved::RowPair> rows = interleaved::run(m, kv, &err);
        INFO(err);
        REQUIRE(rows.size() == 133);
        const double tolerance = kv == LOOM_TYPE_F16 ? 2e-5 : 1e-6;
        for (const interleaved::RowPair &r : rows) {
            INFO("kv type " << kv << " sequence " << r.seq << " position " << r.pos);
            CHECK(reftest::rel_rms(r.batched, r.alone) < tolerance);
        }
    }
    loom_model_free(m);
}
