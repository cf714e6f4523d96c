// The workgroup (shared) memory a compute shader declares, read from its
// SPIR-V with the specialization constants a pipeline gives it, so a
// pipeline that needs more than the device allows fails with a message
// naming the numbers instead of a driver error (or worse) at creation.
#include "vulkan/pipeline.h"

#include <initializer_list>
#include <unordered_map>

namespace loom::vk {

namespace {

enum : uint32_t {
    kOpTypeBool = 20, kOpTypeInt = 21, kOpTypeFloat = 22, kOpTypeVector = 23, kOpTypeMatrix = 24,
    kOpTypeArray = 28, kOpTypeStruct = 30, kOpTypePointer = 32, kOpConstant = 43, kOpSpecConstant = 50,
    kOpSpecConstantOp = 52, kOpVariable = 59, kOpDecorate = 71,
    kDecorationSpecId = 1, kStorageWorkgroup = 4,
    kIAdd = 128, kISub = 130, kIMul = 132, kUDiv = 134, kShiftRightLogical = 194, kShiftLeftLogical = 196,
};

// A spec-constant op on integers; false for one this reader does not evaluate.
bool eval_op(uint32_t op, uint64_t a, uint64_t b, uint64_t *out) {
    switch (op) {
    case kIAdd: *out = a + b; return true;
    case kISub: *out = a - b; return true;
    case kIMul: *out = a * b; return true;
    case kUDiv: *out = b ? a / b : 0; return b != 0;
    case kShiftRightLogical: *out = b < 64 ? a >> b : 0; return true;
    case kShiftLeftLogical: *out = b < 64 ? a << b : 0; return true;
    default: return false;
    }
}

struct Reader {
    const std::vector<uint32_t> &spec;   // values of SpecId 0, 1, ...
    std::unordered_map<uint32_t, uint32_t> spec_id;   // result id -> SpecId
    std::unordered_map<uint32_t, uint64_t> value;     // integer constants
    std::unordered_map<uint32_t, uint64_t> size;      // sized type -> bytes (no padding)
    std::unordered_map<uint32_t, uint32_t> pointee;   // Workgroup pointer type -> its type
    uint64_t shared = 0;
    bool known = true;

    // Types without a size here (runtime arrays of storage buffers, images,
    // lengths not evaluated) have no entry, nor have types built of them.
    void set_size(uint32_t type, std::initializer_list<uint32_t> parts, uint64_t bytes) {
        for (uint32_t t : parts)
            if (!size.count(t)) return;
        size[type] = bytes;
    }
    uint64_t size_of(uint32_t type) const {
        auto it = size.find(type);
        return it == size.end() ? 0 : it->second;
    }

    void take(uint32_t op, const uint32_t *w, uint32_t len) {
        switch (op) {
        case kOpDecorate:
            if (len >= 4 && w[2] == kDecorationSpecId) spec_id[w[1]] = w[3];
            break;
        case kOpTypeBool: size[w[1]] = 4; break;
        case kOpTypeInt:
        case kOpTypeFloat: size[w[1]] = w[2] / 8; break;
        case kOpTypeVector:
        case kOpTypeMatrix: set_size(w[1], {w[2]}, size_of(w[2]) * w[3]); break;
        case kOpTypeArray: {
            auto n = value.find(w[3]);
            if (n != value.end()) set_size(w[1], {w[2]}, size_of(w[2]) * n->second);
            break;
        }
        case kOpTypeStruct: {
            uint64_t s = 0;
            bool sized = true;
            for (uint32_t i = 2; i < len; i++) {
                sized &= size.count(w[i]) != 0;
                s += size_of(w[i]);
            }
            if (sized) size[w[1]] = s;
            break;
        }
        case kOpTypePointer:
            if (w[2] == kStorageWorkgroup) pointee[w[1]] = w[3];
            break;
        case kOpConstant: value[w[2]] = w[3]; break;
        case kOpSpecConstant: {
            auto id = spec_id.find(w[2]);
            value[w[2]] = id != spec_id.end() && id->second < spec.size() ? spec[id->second] : w[3];
            break;
        }
        case kOpSpecConstantOp: {
            auto a = value.find(w[4]);
            auto b = len > 5 ? value.find(w[5]) : value.end();
            uint64_t r = 0;
            if (a != value.end() && b != value.end() && eval_op(w[3], a->second, b->second, &r)) value[w[2]] = r;
            break;   // not evaluated: an array sized by it makes the total unknown
        }
        case kOpVariable:
            if (len >= 4 && w[3] == kStorageWorkgroup) {
                auto p = pointee.find(w[1]);
                if (p == pointee.end() || !size.count(p->second)) known = false;
                else shared += size_of(p->second);
            }
            break;
        default: break;
        }
    }
};

} // namespace

Status spirv_shared_bytes(const uint32_t *words, size_t n_words, const std::vector<uint32_t> &spec, uint64_t *out,
                          bool *known) {
    const uint32_t kMagic = 0x07230203;
    if (n_words < 5 || words[0] != kMagic) return error(LOOM_ERR_FORMAT, "vulkan: shader is not SPIR-V");
    Reader r{spec, {}, {}, {}, {}, 0, true};
    for (size_t i = 5; i < n_words;) {
        const uint32_t len = words[i] >> 16, op = words[i] & 0xffff;
        if (len == 0 || i + len > n_words) return error(LOOM_ERR_FORMAT, "vulkan: SPIR-V instruction at word %zu overruns", i);
        r.take(op, words + i, len);
        i += len;
    }
    *out = r.shared;
    *known = r.known;
    return Status::ok();
}

Status check_shared_memory(const char *shader, uint32_t workgroup_size, uint64_t bytes, uint32_t limit) {
    if (bytes <= limit) return Status::ok();
    return error(LOOM_ERR_UNSUPPORTED,
                 "vulkan: shader '%s' (workgroup %u) needs %llu bytes of shared memory; this device allows %u "
                 "(maxComputeSharedMemorySize)",
                 shader, workgroup_size, (unsigned long long)bytes, limit);
}

} // namespace loom::vk
