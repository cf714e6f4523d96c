// The Vulkan infrastructure: device listing, suballocation, SPIR-V
// reflection, the on-disk pipeline cache, host-provided handles, abort, and
// the clean failure that lets loom fall back to the CPU without a driver.
#include <catch2/catch.hpp>

#include "vk_fixture.h"

#include "vulkan/memory.h"
#include "vulkan/pipeline.h"
#include "vulkan/shader_table.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

std::string temp_path(const char *name) {
    return std::string(LOOM_BUILD_ROOT) + "/vk_test_" + std::to_string(getpid()) + "_" + name;
}

// Sets an environment variable for one scope.
struct ScopedEnv {
    std::string name, old;
    bool had;
    ScopedEnv(const char *n, const char *value) : name(n) {
        const char *o = std::getenv(n);
        had = o != nullptr;
        if (had) old = o;
        setenv(n, value, 1);
    }
    ~ScopedEnv() {
        if (had) setenv(name.c_str(), old.c_str(), 1);
        else unsetenv(name.c_str());
    }
};

} // namespace

TEST_CASE("lists_devices_including_the_one_in_use") {
    std::vector<loom::vk::DeviceInfo> devs;
    REQUIRE(loom::vk::list_devices(&devs).is_ok());
    REQUIRE(!devs.empty());
    bool found = false;
    for (const auto &d : devs) {
        REQUIRE(!d.name.empty());
        REQUIRE(d.api_version >= VK_API_VERSION_1_1);
        found |= d.name == vktest::device().info().name;
    }
    REQUIRE(found);
}

TEST_CASE("suballocations_are_aligned_disjoint_and_reused") {
    loom::vk::Allocator alloc(vktest::device(), 1 << 20);
    VkDeviceSize align = vktest::device().properties().limits.minStorageBufferOffsetAlignment;
    loom::vk::BufferRange a, b, c, d;
    REQUIRE(alloc.alloc(loom::vk::MemKind::Device, 1000, &a).is_ok());
    REQUIRE(alloc.alloc(loom::vk::MemKind::Device, 5000, &b).is_ok());
    REQUIRE(alloc.alloc(loom::vk::MemKind::Device, 3, &c).is_ok());
    for (auto *r : {&a, &b, &c}) REQUIRE(r->offset % align == 0);
    REQUIRE(a.buffer == b.buffer); // carved from one block
    REQUIRE(a.offset + a.size <= b.offset);
    REQUIRE(b.offset + b.size <= c.offset);
    VkDeviceSize b_offset = b.offset;
    alloc.free(&b);
    REQUIRE(alloc.alloc(loom::vk::MemKind::Device, 4000, &d).is_ok());
    REQUIRE(d.offset == b_offset); // first fit reuses the hole
    loom::vk::BufferRange big;
    REQUIRE(alloc.alloc(loom::vk::MemKind::Device, 3 << 20, &big).is_ok()); // larger than a block: its own block
    REQUIRE(big.size >= (3u << 20));
    for (auto *r : {&a, &c, &d, &big}) alloc.free(r);
    REQUIRE(alloc.bytes_in_use() == 0);
    REQUIRE(vktest::validation_messages() == 0);
}

TEST_CASE("spirv_reflection_counts_bindings_of_every_embedded_shader") {
    size_t n = 0;
    const loom::vk::ShaderCode *table = loom::vk::shader_table(&n);
    REQUIRE(n > 0);
    loom::vk::SpirvLayout layout;
    for (size_t i = 0; i < n; i++) {
        INFO(table[i].name);
        REQUIRE(loom::vk::spirv_layout(table[i].words, table[i].n_words, &layout).is_ok());
        REQUIRE(layout.n_buffers >= 2);
    }
    const loom::vk::ShaderCode *mmv = loom::vk::find_shader("mul_mat_vec_q4_0");
    REQUIRE(mmv);
    REQUIRE(loom::vk::spirv_layout(mmv->words, mmv->n_words, &layout).is_ok());
    REQUIRE(layout.n_buffers == 4); // weights, x, y, bias
    CHECK(!layout.reads_iq_grids);
    // The IQ1/IQ2/IQ3 variants read their grid table at set 1, which set 0's count leaves out.
    const char *pairs[][2] = {{"mul_mat_vec_iq2_xxs", "mul_mat_vec_q4_k"}, {"mul_mm_iq3_s", "mul_mm_q4_k"},
                              {"get_rows_iq1_m", "get_rows_q4_k"}, {"mul_mat_id_iq2_s", "mul_mat_id_q4_k"}};
    for (const auto &pair : pairs) {
        INFO(pair[0]);
        const loom::vk::ShaderCode *iq = loom::vk::find_shader(pair[0]), *plain = loom::vk::find_shader(pair[1]);
        REQUIRE((iq && plain));
        loom::vk::SpirvLayout iq_layout, plain_layout;
        REQUIRE(loom::vk::spirv_layout(iq->words, iq->n_words, &iq_layout).is_ok());
        CHECK(iq_layout.reads_iq_grids);
        REQUIRE(loom::vk::spirv_layout(plain->words, plain->n_words, &plain_layout).is_ok());
        CHECK(iq_layout.n_buffers == plain_layout.n_buffers);
    }
    const uint32_t junk[6] = {1, 2, 3, 4, 5, 6};
    REQUIRE(loom::vk::spirv_layout(junk, 6, &layout).code() == LOOM_ERR_FORMAT);
    REQUIRE(loom::vk::find_shader("no_such_shader") == nullptr);
}

// The shared-memory sizes against the shaders' own declarations (shaders/*.comp):
// attention: float sc[TILE = 256], red[WG], qs[8 * WG]; mul_mm: float
// As[BK * BM], Bs[BN * (BK + 1)] with BM 64, BN 32, BK 32; rms_norm: float partial[WG].
TEST_CASE("spirv_shared_bytes_follow_the_shaders_declarations") {
    const auto shared = [](const char *name, uint32_t wg) {
        const loom::vk::ShaderCode *c = loom::vk::find_shader(name);
        REQUIRE(c);
        uint64_t bytes = 0;
        bool known = false;
        REQUIRE(loom::vk::spirv_shared_bytes(c->words, c->n_words, {wg}, &bytes, &known).is_ok());
        REQUIRE(known);
        return bytes;
    };
    CHECK(shared("attention_f16", 64) == (256 + 64 + 8 * 64) * 4);
    CHECK(shared("attention_f16", 128) == (256 + 128 + 8 * 128) * 4);
    CHECK(shared("mul_mm_f32", 128) == (32 * 64 + 32 * 33) * 4);
    CHECK(shared("rms_norm", 256) == 256 * 4);
    // Every embedded shader is read, at the workgroup size 64, with every length known.
    size_t n = 0;
    const loom::vk::ShaderCode *table = loom::vk::shader_table(&n);
    for (size_t i = 0; i < n; i++) {
        INFO(table[i].name);
        uint64_t bytes = 0;
        bool known = false;
        REQUIRE(loom::vk::spirv_shared_bytes(table[i].words, table[i].n_words, {64}, &bytes, &known).is_ok());
        CHECK(known);
    }
    const uint32_t junk[6] = {1, 2, 3, 4, 5, 6};
    uint64_t bytes = 0;
    bool known = false;
    REQUIRE(loom::vk::spirv_shared_bytes(junk, 6, {64}, &bytes, &known).code() == LOOM_ERR_FORMAT);
}

TEST_CASE("pipelines_past_the_shared_memory_limit_are_refused_naming_the_numbers") {
    REQUIRE(loom::vk::check_shared_memory("mul_mm_iq1_s", 128, 16384, 16384).is_ok());
    const loom::Status s = loom::vk::check_shared_memory("mul_mm_iq1_s", 128, 16385, 16384);
    REQUIRE(s.code() == LOOM_ERR_UNSUPPORTED);
    REQUIRE(s.message().find("mul_mm_iq1_s") != std::string::npos);
    REQUIRE(s.message().find("16385") != std::string::npos);
    REQUIRE(s.message().find("maxComputeSharedMemorySize") != std::string::npos);
}

// Where the device offers VK_EXT_subgroup_size_control (lavapipe does: 8 to
// 8), loom enables it and creates the subgroup shaders (and only those) to
// require the reported subgroup size, which the session sizes their
// dispatches by; the validation layer checks the create infos.
TEST_CASE("subgroup_shaders_require_the_reported_subgroup_size_where_the_device_allows") {
    const loom::vk::Device &dev = vktest::device();
    const loom::vk::DeviceInfo &info = dev.info();
    INFO(info.name << ": subgroup size " << info.subgroup_size << ", control " << info.subgroup_size_control << " ["
                   << info.min_subgroup_size << ", " << info.max_subgroup_size << "]");
    if (std::getenv("CI")) CHECK(info.subgroup_size_control);   // CI's lavapipe has it
    const bool pinned = info.subgroup_size_control && info.subgroup_size >= info.min_subgroup_size &&
                        info.subgroup_size <= info.max_subgroup_size;
    CHECK(dev.required_subgroup_size() == (pinned ? info.subgroup_size : 0u));
    const loom::vk::ShaderCode *sg = loom::vk::find_shader("mul_mat_vec_sg_q4_0");
    const loom::vk::ShaderCode *plain = loom::vk::find_shader("mul_mat_vec_q4_0");
    REQUIRE((sg && plain));
    loom::vk::SpirvLayout sg_layout, plain_layout;
    REQUIRE(loom::vk::spirv_layout(sg->words, sg->n_words, &sg_layout).is_ok());
    REQUIRE(loom::vk::spirv_layout(plain->words, plain->n_words, &plain_layout).is_ok());
    CHECK(sg_layout.uses_subgroups);
    CHECK(!plain_layout.uses_subgroups);
    loom::vk::PipelineSet set(dev, "");
    REQUIRE(set.init().is_ok());
    const loom::vk::Pipeline *p = nullptr;
    if (info.subgroup_arithmetic) {
        REQUIRE(set.get("mul_mat_vec_sg_q4_0", 64, {64 / std::max(1u, info.subgroup_size)}, &p).is_ok());
        CHECK(p->subgroup_size == dev.required_subgroup_size());
    }
    REQUIRE(set.get("mul_mat_vec_q4_0", 32, {}, &p).is_ok());
    CHECK(p->subgroup_size == 0);
    REQUIRE(vktest::validation_messages() == 0);
}

// An IQ pipeline gets the grid table as its set 1, and none before the table is bound.
TEST_CASE("iq_pipelines_bind_the_grid_table_once_uploaded") {
    loom::vk::PipelineSet set(vktest::device(), "");
    REQUIRE(set.init().is_ok());
    const loom::vk::Pipeline *p = nullptr;
    const loom::Status early = set.get("get_rows_iq2_xs", 64, {}, &p);
    CHECK(early.code() == LOOM_ERR_INTERNAL);
    CHECK(early.message().find("get_rows_iq2_xs") != std::string::npos);
    loom::vk::Allocator alloc(vktest::device());
    loom::vk::BufferRange grids;
    size_t n_words = 0;
    loom::vk::iq_grid_words(&n_words);
    CHECK(n_words == 576 * 4);   // IQ2_XXS 32 + IQ2_XS 64 + IQ2_S 128 + IQ3_XXS 32 + IQ3_S 64 + IQ1_S 256 uvec4s
    REQUIRE(alloc.alloc(loom::vk::MemKind::Host, n_words * 4, &grids).is_ok());
    REQUIRE(set.bind_iq_grids(grids).is_ok());
    CHECK(set.bind_iq_grids(grids).code() == LOOM_ERR_INTERNAL);
    REQUIRE(set.get("get_rows_iq2_xs", 64, {}, &p).is_ok());
    CHECK(p->iq_grids != VK_NULL_HANDLE);
    CHECK(p->n_buffers == 3);
    REQUIRE(set.get("get_rows_q4_0", 64, {}, &p).is_ok());
    CHECK(p->iq_grids == VK_NULL_HANDLE);
    alloc.free(&grids);
    REQUIRE(vktest::validation_messages() == 0);
}

TEST_CASE("pipeline_cache_persists_to_disk_and_survives_garbage") {
    std::string path = temp_path("pipelines.bin");
    std::remove(path.c_str());
    {
        loom::vk::PipelineSet set(vktest::device(), path);
        REQUIRE(set.init().is_ok());
        const loom::vk::Pipeline *p = nullptr;
        REQUIRE(set.get("rms_norm", 64, {}, &p).is_ok());
        REQUIRE(p->n_buffers == 3);
        REQUIRE(set.save_cache().is_ok());
    }
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    REQUIRE(in.good());
    REQUIRE(in.tellg() > 16);
    {
        loom::vk::PipelineSet set(vktest::device(), path); // loads the blob
        REQUIRE(set.init().is_ok());
        const loom::vk::Pipeline *p = nullptr;
        REQUIRE(set.get("rms_norm", 64, {}, &p).is_ok());
    }
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << "not a pipeline cache";
    }
    {
        loom::vk::PipelineSet set(vktest::device(), path);
        REQUIRE(set.init().is_ok());
        const loom::vk::Pipeline *p = nullptr;
        REQUIRE(set.get("add", 64, {}, &p).is_ok());
        REQUIRE(set.get("no_such_shader", 64, {}, &p).code() == LOOM_ERR_NOT_FOUND);
    }
    std::remove(path.c_str());
    REQUIRE(vktest::validation_messages() == 0);
}

TEST_CASE("abort_callback_cancels_a_graph_and_the_session_stays_usable") {
    std::unique_ptr<loom::Session> s;
    REQUIRE(vktest::backend().new_session(loom::SessionParams(), &s).is_ok());
    loom::Tensor *a = nullptr;
    REQUIRE(s->alloc(LOOM_TYPE_F32, 4, 1, &a).is_ok());
    const float one[4] = {1, 2, 3, 4};
    REQUIRE(s->upload(a, 0, one, sizeof one).is_ok());
    REQUIRE(s->begin_graph().is_ok());
    REQUIRE(s->add(a, a, a, 1).is_ok());
    REQUIRE(s->compute([] { return true; }).code() == LOOM_ERR_CANCELLED);
    REQUIRE(s->begin_graph().is_ok());
    REQUIRE(s->add(a, a, a, 1).is_ok());
    REQUIRE(s->compute([] { return false; }).is_ok());
    float out[4];
    REQUIRE(s->download(a, 0, out, sizeof out).is_ok());
    REQUIRE(out[3] >= 8.0f); // doubled at least once
    REQUIRE(vktest::validation_messages() == 0);
}

TEST_CASE("runs_on_a_host_applications_own_device_and_queue") {
    // The "host application": a device it created and keeps owning.
    std::unique_ptr<loom::vk::Device> host;
    REQUIRE(loom::vk::Device::create(loom::vk::DeviceOptions(), &host).is_ok());
    loom::vk::HostHandles h;
    h.get_instance_proc_addr = host->fn().vkGetInstanceProcAddr;
    h.instance = host->instance();
    h.physical_device = host->physical();
    h.device = host->handle();
    h.queue = host->queue();
    h.queue_family = host->queue_family();
    {
        loom::VulkanBackendOptions opts;
        opts.device.host = &h;
        std::unique_ptr<loom::Backend> b;
        REQUIRE(loom::create_vulkan_backend(opts, &b).is_ok());
        std::unique_ptr<loom::Session> s;
        REQUIRE(b->new_session(loom::SessionParams(), &s).is_ok());
        const float w[6] = {1, 2, 3, 4, 5, 6}, x[3] = {1, 0, -1};
        loom::Tensor *W = nullptr, *X = nullptr, *Y = nullptr;
        REQUIRE(b->create_weight(LOOM_TYPE_F32, 3, 2, w, &W).is_ok());
        REQUIRE(s->alloc(LOOM_TYPE_F32, 3, 1, &X).is_ok());
        REQUIRE(s->alloc(LOOM_TYPE_F32, 2, 1, &Y).is_ok());
        REQUIRE(s->upload(X, 0, x, sizeof x).is_ok());
        REQUIRE(s->begin_graph().is_ok());
        REQUIRE(s->matmul(Y, W, X, nullptr, 1).is_ok());
        REQUIRE(s->compute(nullptr).is_ok());
        float y[2];
        REQUIRE(s->download(Y, 0, y, sizeof y).is_ok());
        REQUIRE(y[0] == -2.0f);
        REQUIRE(y[1] == -2.0f);
    }
    // loom destroyed nothing of the host's: its device still works.
    REQUIRE(host->fn().vkDeviceWaitIdle(host->handle()) == VK_SUCCESS);
}

TEST_CASE("fails_cleanly_without_a_driver_or_loader_so_loom_can_fall_back") {
    {
        ScopedEnv icd("VK_ICD_FILENAMES", "/nonexistent/loom_icd.json");
        ScopedEnv drivers("VK_DRIVER_FILES", "/nonexistent/loom_icd.json");
        std::unique_ptr<loom::Backend> b;
        loom::Status s = loom::create_vulkan_backend(loom::VulkanBackendOptions(), &b);
        REQUIRE(!s.is_ok());
        REQUIRE((s.code() == LOOM_ERR_UNSUPPORTED || s.code() == LOOM_ERR_BACKEND));
        REQUIRE(s.message().find("vulkan") != std::string::npos);
    }
    {
        ScopedEnv loader("LOOM_VULKAN_LOADER", "/nonexistent/libvulkan.so.1");
        std::unique_ptr<loom::Backend> b;
        loom::Status s = loom::create_vulkan_backend(loom::VulkanBackendOptions(), &b);
        REQUIRE(s.code() == LOOM_ERR_UNSUPPORTED);
        REQUIRE(s.message().find("cannot open the loader") != std::string::npos);
    }
}

TEST_CASE("selects_devices_by_index_and_name_and_rejects_unknown_ones") {
    loom::vk::DeviceOptions by_name;
    by_name.device_name = vktest::device().info().name.substr(0, 4);
    std::unique_ptr<loom::vk::Device> d;
    REQUIRE(loom::vk::Device::create(by_name, &d).is_ok());
    REQUIRE(d->info().name.find(by_name.device_name) != std::string::npos);
    loom::vk::DeviceOptions by_index;
    by_index.device_index = 0;
    REQUIRE(loom::vk::Device::create(by_index, &d).is_ok());
    REQUIRE(d->info().index == 0);
    by_index.device_index = 999;
    REQUIRE(loom::vk::Device::create(by_index, &d).code() == LOOM_ERR_NOT_FOUND);
    loom::vk::DeviceOptions bad_name;
    bad_name.device_name = "no device is called this";
    REQUIRE(loom::vk::Device::create(bad_name, &d).code() == LOOM_ERR_NOT_FOUND);
}

// The guard every other test relies on: the messenger really sees the layer.
TEST_CASE("validation_messenger_counts_invalid_usage") {
    loom::vk::DeviceOptions opts;
    opts.validation = true;
    loom::LogSink quiet; // the deliberate error should not clutter the output
    opts.log = &quiet;
    std::unique_ptr<loom::vk::Device> d;
    REQUIRE(loom::vk::Device::create(opts, &d).is_ok());
    REQUIRE(d->validation_enabled());
    REQUIRE(d->validation_messages() == 0);
    VkBufferCreateInfo bi{};
    bi.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    bi.size = 0; // invalid: VUID-VkBufferCreateInfo-size-00912
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    VkBuffer buf = VK_NULL_HANDLE;
    if (d->fn().vkCreateBuffer(d->handle(), &bi, nullptr, &buf) == VK_SUCCESS && buf)
        d->fn().vkDestroyBuffer(d->handle(), buf, nullptr);
    REQUIRE(d->validation_messages() > 0);
}
