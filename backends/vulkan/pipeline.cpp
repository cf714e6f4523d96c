#include "vulkan/pipeline.h"

#include "vulkan/loader.h"
#include "vulkan/shader_table.h"
#include "platform/platform.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace loom::vk {

namespace {

// Writes `data` to `path` (UTF-8) through a temporary file renamed over it.
bool write_whole(const std::string &path, const std::vector<char> &data) {
    const std::string tmp = path + ".tmp";
    FILE *f = platform::fopen_utf8(tmp.c_str(), "wb");
    if (!f) return false;
    const bool written = std::fwrite(data.data(), 1, data.size(), f) == data.size();
    if (std::fclose(f) != 0 || !written) return false;
    return platform::replace_file(tmp, path);
}

} // namespace

Status spirv_layout(const uint32_t *words, size_t n_words, SpirvLayout *out) {
    const uint32_t kMagic = 0x07230203, kOpCapability = 17, kOpDecorate = 71, kCapabilityGroupNonUniform = 61,
                   kDecorationBinding = 33, kDecorationDescriptorSet = 34;
    if (n_words < 5 || words[0] != kMagic) return error(LOOM_ERR_FORMAT, "vulkan: shader is not SPIR-V");
    SpirvLayout layout;
    std::map<uint32_t, uint32_t> set_of, binding_of;   // variable id -> decoration
    for (size_t i = 5; i < n_words;) {
        uint32_t len = words[i] >> 16, op = words[i] & 0xffff;
        if (len == 0 || i + len > n_words) return error(LOOM_ERR_FORMAT, "vulkan: SPIR-V instruction at word %zu overruns", i);
        if (op == kOpCapability && len >= 2 && words[i + 1] == kCapabilityGroupNonUniform) layout.uses_subgroups = true;
        if (op == kOpDecorate && len >= 4 && words[i + 2] == kDecorationBinding) binding_of[words[i + 1]] = words[i + 3];
        if (op == kOpDecorate && len >= 4 && words[i + 2] == kDecorationDescriptorSet) set_of[words[i + 1]] = words[i + 3];
        i += len;
    }
    for (const auto &b : binding_of) {
        const auto s = set_of.find(b.first);
        const uint32_t set = s == set_of.end() ? 0 : s->second;
        if (set == 0) layout.n_buffers = std::max(layout.n_buffers, b.second + 1);
        if (set == 1) layout.reads_iq_grids = true;
    }
    *out = layout;
    return Status::ok();
}

PipelineSet::PipelineSet(const Device &dev, std::string cache_path) : dev_(dev), cache_path_(std::move(cache_path)) {}

PipelineSet::~PipelineSet() {
    const VkFns &f = dev_.fn();
    VkDevice d = dev_.handle();
    for (auto &kv : pipelines_) {
        f.vkDestroyPipeline(d, kv.second->pipeline, nullptr);
        f.vkDestroyPipelineLayout(d, kv.second->layout, nullptr);
        f.vkDestroyDescriptorSetLayout(d, kv.second->set_layout, nullptr);
    }
    if (iq_pool_) f.vkDestroyDescriptorPool(d, iq_pool_, nullptr);   // frees iq_grids_
    if (iq_layout_) f.vkDestroyDescriptorSetLayout(d, iq_layout_, nullptr);
    if (cache_) f.vkDestroyPipelineCache(d, cache_, nullptr);
}

Status PipelineSet::init() {
    std::vector<uint8_t> data; // stays empty when there is no cache file yet
    if (!cache_path_.empty()) (void)platform::read_whole_file(cache_path_, &data);
    VkPipelineCacheCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
    ci.initialDataSize = data.size();
    ci.pInitialData = data.empty() ? nullptr : data.data();
    // A cache from another driver or version is rejected by the driver's
    // header check; an unusable blob must not stop us, so retry empty.
    if (dev_.fn().vkCreatePipelineCache(dev_.handle(), &ci, nullptr, &cache_) != VK_SUCCESS) {
        ci.initialDataSize = 0;
        ci.pInitialData = nullptr;
        LOOM_VK_CHECK(dev_.fn().vkCreatePipelineCache(dev_.handle(), &ci, nullptr, &cache_));
    }
    VkDescriptorSetLayoutBinding b{};
    b.binding = 0;
    b.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    b.descriptorCount = 1;
    b.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    VkDescriptorSetLayoutCreateInfo li{};
    li.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
    li.bindingCount = 1;
    li.pBindings = &b;
    LOOM_VK_CHECK(dev_.fn().vkCreateDescriptorSetLayout(dev_.handle(), &li, nullptr, &iq_layout_));
    return Status::ok();
}

Status PipelineSet::bind_iq_grids(const BufferRange &range) {
    const VkFns &f = dev_.fn();
    VkDevice d = dev_.handle();
    std::lock_guard<std::mutex> lock(mutex_);
    if (iq_grids_) return error(LOOM_ERR_INTERNAL, "vulkan: the IQ grids are already bound");
    if (!iq_pool_) {
        VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1};
        VkDescriptorPoolCreateInfo ci{};
        ci.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
        ci.maxSets = 1;
        ci.poolSizeCount = 1;
        ci.pPoolSizes = &size;
        LOOM_VK_CHECK(f.vkCreateDescriptorPool(d, &ci, nullptr, &iq_pool_));
    }
    VkDescriptorSetAllocateInfo ai{};
    ai.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    ai.descriptorPool = iq_pool_;
    ai.descriptorSetCount = 1;
    ai.pSetLayouts = &iq_layout_;
    VkDescriptorSet set = VK_NULL_HANDLE;
    LOOM_VK_CHECK(f.vkAllocateDescriptorSets(d, &ai, &set));
    VkDescriptorBufferInfo info{range.buffer, range.offset, range.size};
    VkWriteDescriptorSet w{};
    w.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    w.dstSet = set;
    w.dstBinding = 0;
    w.descriptorCount = 1;
    w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    w.pBufferInfo = &info;
    f.vkUpdateDescriptorSets(d, 1, &w, 0, nullptr);
    iq_grids_ = set;
    return Status::ok();
}

Status PipelineSet::save_cache() const {
    if (cache_path_.empty() || !cache_) return Status::ok();
    size_t n = 0;
    LOOM_VK_CHECK(dev_.fn().vkGetPipelineCacheData(dev_.handle(), cache_, &n, nullptr));
    std::vector<char> data(n);
    LOOM_VK_CHECK(dev_.fn().vkGetPipelineCacheData(dev_.handle(), cache_, &n, data.data()));
    data.resize(n);
    if (!write_whole(cache_path_, data))
        return error(LOOM_ERR_IO, "vulkan: cannot write the pipeline cache %s", cache_path_.c_str());
    return Status::ok();
}

Status PipelineSet::get(const std::string &name, uint32_t workgroup_size, const std::vector<uint32_t> &consts,
                        const Pipeline **out) {
    std::string key = name + "/" + std::to_string(workgroup_size);
    for (uint32_t c : consts) key += "/" + std::to_string(c);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pipelines_.find(key);
    if (it == pipelines_.end()) {
        auto p = std::make_unique<Pipeline>();
        Status s = create(name, workgroup_size, consts, p.get());
        if (!s) {
            const VkFns &f = dev_.fn();
            if (p->layout) f.vkDestroyPipelineLayout(dev_.handle(), p->layout, nullptr);
            if (p->set_layout) f.vkDestroyDescriptorSetLayout(dev_.handle(), p->set_layout, nullptr);
            return s;
        }
        it = pipelines_.emplace(key, std::move(p)).first;
    }
    *out = it->second.get();
    return Status::ok();
}

Status PipelineSet::create(const std::string &name, uint32_t workgroup_size, const std::vector<uint32_t> &consts,
                           Pipeline *p) {
    const VkFns &f = dev_.fn();
    VkDevice d = dev_.handle();
    const ShaderCode *code = find_shader(name.c_str());
    if (!code) return error(LOOM_ERR_NOT_FOUND, "vulkan: no embedded shader '%s'", name.c_str());
    SpirvLayout layout;
    LOOM_TRY(spirv_layout(code->words, code->n_words, &layout));
    const bool reads_iq_grids = layout.reads_iq_grids;
    p->n_buffers = layout.n_buffers;
    if (reads_iq_grids && !iq_grids_)
        return error(LOOM_ERR_INTERNAL, "vulkan: shader '%s' reads the IQ grids, which are not uploaded yet", name.c_str());
    p->iq_grids = reads_iq_grids ? iq_grids_ : VK_NULL_HANDLE;
    p->workgroup_size = workgroup_size;
    std::vector<uint32_t> values{workgroup_size};
    values.insert(values.end(), consts.begin(), consts.end());
    uint64_t shared = 0;
    bool known = true;
    LOOM_TRY(spirv_shared_bytes(code->words, code->n_words, values, &shared, &known));
    LOOM_TRY(check_shared_memory(name.c_str(), workgroup_size, shared,
                                 dev_.properties().limits.maxComputeSharedMemorySize));

    std::vector<VkDescriptorSetLayoutBinding> bindings(p->n_buffers);
    for (uint32_t i = 0; i < p->n_buffers; i++) {
        bindings[i] = {};
        bindings[i].binding = i;
        bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        bindings[i].descriptorCount = 1;
        bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo li{};
    li.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
    li.bindingCount = p->n_buffers;
    li.pBindings = bindings.data();
    LOOM_VK_CHECK(f.vkCreateDescriptorSetLayout(d, &li, nullptr, &p->set_layout));

    VkPushConstantRange pc{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes};
    VkPipelineLayoutCreateInfo pli{};
    pli.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
    const VkDescriptorSetLayout layouts[2] = {p->set_layout, iq_layout_};
    pli.setLayoutCount = reads_iq_grids ? 2 : 1;
    pli.pSetLayouts = layouts;
    pli.pushConstantRangeCount = 1;
    pli.pPushConstantRanges = &pc;
    LOOM_VK_CHECK(f.vkCreatePipelineLayout(d, &pli, nullptr, &p->layout));

    std::vector<VkSpecializationMapEntry> entries(values.size());
    for (uint32_t i = 0; i < values.size(); i++) entries[i] = {i, uint32_t(i * sizeof(uint32_t)), sizeof(uint32_t)};
    VkSpecializationInfo spec{uint32_t(entries.size()), entries.data(), values.size() * sizeof(uint32_t), values.data()};

    VkShaderModuleCreateInfo mi{};
    mi.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
    mi.codeSize = code->n_words * sizeof(uint32_t);
    mi.pCode = code->words;
    VkShaderModule module = VK_NULL_HANDLE;
    LOOM_VK_CHECK(f.vkCreateShaderModule(d, &mi, nullptr, &module));

    VkComputePipelineCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
    ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = module;
    ci.stage.pName = "main";
    ci.stage.pSpecializationInfo = &spec;
    // Shaders with subgroup operations run at the subgroup size the session
    // sized their dispatch for (Device::required_subgroup_size), in full
    // subgroups where the workgroup is a whole number of them.
    VkPipelineShaderStageRequiredSubgroupSizeCreateInfoEXT size{};
    size.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO_EXT;
    const uint32_t sg = dev_.required_subgroup_size();
    if (sg && layout.uses_subgroups) {
        size.requiredSubgroupSize = sg;
        ci.stage.pNext = &size;
        if (workgroup_size % sg == 0) ci.stage.flags |= VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT_EXT;
        p->subgroup_size = sg;
    }
    ci.layout = p->layout;
    VkResult r = f.vkCreateComputePipelines(d, cache_, 1, &ci, nullptr, &p->pipeline);
    f.vkDestroyShaderModule(d, module, nullptr);
    if (r != VK_SUCCESS)
        return error(LOOM_ERR_BACKEND, "vulkan: creating pipeline '%s' failed: %s", name.c_str(), result_name(r));
    return Status::ok();
}

} // namespace loom::vk
