// Compute pipelines made from the embedded SPIR-V: descriptor layouts come
// from the SPIR-V itself (its storage-buffer bindings), the workgroup size and
// per-variant constants are specialization constants (id 0 = workgroup size,
// ids 1.. = the caller's), and every pipeline goes through one VkPipelineCache
// that can persist on disk.
#pragma once

#include "vulkan/device.h"
#include "vulkan/memory.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace loom::vk {

// Every shader declares its push constants within this many bytes.
constexpr uint32_t kPushConstantBytes = 128;

struct Pipeline {
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    uint32_t n_buffers = 0;        // storage buffers at bindings 0..n_buffers-1 of set 0
    uint32_t workgroup_size = 0;
    // The subgroup size the pipeline was created to require (full subgroups):
    // Device::required_subgroup_size for shaders with subgroup operations, else 0.
    uint32_t subgroup_size = 0;
    // Set 1 of the shaders of IQ1/IQ2/IQ3 types: the IQ grid table
    // (PipelineSet::bind_iq_grids), bound by every dispatch. Null otherwise.
    VkDescriptorSet iq_grids = VK_NULL_HANDLE;
};

// What a pipeline needs to know of its SPIR-V module, read in one pass.
struct SpirvLayout {
    uint32_t n_buffers = 0;        // descriptor bindings of set 0 (highest Binding + 1)
    bool reads_iq_grids = false;   // declares set 1 (the IQ grid table)
    bool uses_subgroups = false;   // declares the GroupNonUniform capability
};
// Errors: FORMAT (not SPIR-V, or an instruction overruns the module).
Status spirv_layout(const uint32_t *words, size_t n_words, SpirvLayout *out);

// Bytes of workgroup (shared) memory a SPIR-V module declares with the
// specialization constants `spec` (SpecId 0, 1, ...; others at their
// defaults): element sizes times array lengths, without padding, so never
// more than the driver needs. *known is false when an array length is a
// spec-constant expression this reader does not evaluate (the sum then
// leaves that array out). Errors: FORMAT (not SPIR-V). spirv_shared.cpp.
Status spirv_shared_bytes(const uint32_t *words, size_t n_words, const std::vector<uint32_t> &spec, uint64_t *out,
                          bool *known);
// UNSUPPORTED naming the shader and the numbers when bytes > limit
// (VkPhysicalDeviceLimits::maxComputeSharedMemorySize).
Status check_shared_memory(const char *shader, uint32_t workgroup_size, uint64_t bytes, uint32_t limit);

class PipelineSet {
public:
    // cache_path: a file to load the pipeline cache from and save it to ("" = memory only).
    PipelineSet(const Device &dev, std::string cache_path);
    ~PipelineSet();
    PipelineSet(const PipelineSet &) = delete;
    PipelineSet &operator=(const PipelineSet &) = delete;

    Status init();
    // The pipeline of shader `name` with `workgroup_size` and extra constants
    // (ids 1, 2, ...), made on first use. Thread-safe. Errors: NOT_FOUND (no such shader), BACKEND.
    Status get(const std::string &name, uint32_t workgroup_size, const std::vector<uint32_t> &consts,
               const Pipeline **out);
    // Writes the pipeline cache to cache_path (no-op without a path). Errors: IO.
    Status save_cache() const;
    // The IQ grid table (shader_table.h's iq_grid_words, uploaded by the
    // backend into `range`), bound as set 1 of every pipeline whose shader
    // reads it; once, before the first such pipeline (get() refuses one
    // before). The range must outlive the set. Errors: BACKEND.
    Status bind_iq_grids(const BufferRange &range);
    bool has_iq_grids() const { return iq_grids_ != VK_NULL_HANDLE; }

private:
    Status create(const std::string &name, uint32_t workgroup_size, const std::vector<uint32_t> &consts,
                  Pipeline *p);

    const Device &dev_;
    std::string cache_path_;
    VkPipelineCache cache_ = VK_NULL_HANDLE;
    std::mutex mutex_;             // sessions on several threads share the set
    std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
    VkDescriptorSetLayout iq_layout_ = VK_NULL_HANDLE;   // set 1: one storage buffer
    VkDescriptorPool iq_pool_ = VK_NULL_HANDLE;
    VkDescriptorSet iq_grids_ = VK_NULL_HANDLE;
};

} // namespace loom::vk
