// Sequence-aware attention on Vulkan: six sequences decoded together in
// shared batches (prompt chunks next to decode tokens, a shared prefix, a
// hole, a sequence outgrowing its region; tests/model/interleaved_decode)
// give each row the logits of that sequence decoded alone on the same
// backend. Part of the vulkan_threads executable (its main skips without a
// device).
#include <catch2/catch.hpp>

#include "interleaved_decode.h"
#include "reference_forward.h"
#include "vk_tiny_model.h"

#include "loom.h"

#include <string>
#include <vector>

TEST_CASE("vulkan_interleaved_sequences_in_shared_batches_equal_each_sequence_alone") {
    std::vector<uint8_t> bytes;
    loom_model *m = nullptr;
    REQUIRE(vktest::load_tiny_model(LOOM_TYPE_F16, &bytes, &m) == LOOM_OK);
    REQUIRE(std::string(loom_model_backend_name(m)) == "vulkan");
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
