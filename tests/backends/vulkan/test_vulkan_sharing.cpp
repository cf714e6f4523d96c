// Vulkan beside a renderer (loom.h: loom_vulkan_host, loom_vulkan_params):
// models on one host queue share a device and submit under the host's lock
// while the "renderer" submits to the same queue, all clean under the
// validation layer's synchronization and threading checks; models share a
// device loom creates; the abort callback acts between the submissions of
// a graph; a fence wait that runs out returns BACKEND instead of hanging.
// The tiny model is built in memory; without a Vulkan device the executable
// exits 77 (1 under CI=true).
#include <catch2/catch.hpp>

#include "loom.h"
#include "testdata.h"
#include "vk_tiny_model.h"
#include "vulkan/loader.h"
#include "vulkan/vulkan_backend.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// The "game": its own instance, device and queue (loom's Device class with
// the validation layer and synchronization validation: its messenger counts
// every message), a lock it takes around its own submissions, and a render
// thread that keeps submitting to the queue.
struct Host {
    std::unique_ptr<loom::vk::Device> device;
    std::mutex queue_mutex;
    std::atomic<int> locks{0};
    std::atomic<int> inside{0}, overlaps{0};   // holders of the lock at once (must stay 1)
    loom::LogSink log;                         // validation messages go to stderr through it

    static void lock(void *self) {
        auto *h = static_cast<Host *>(self);
        h->queue_mutex.lock();
        if (h->inside.fetch_add(1) != 0) h->overlaps++;
        h->locks++;
    }
    static void unlock(void *self) {
        auto *h = static_cast<Host *>(self);
        h->inside.fetch_sub(1);
        h->queue_mutex.unlock();
    }
    loom_vulkan_host handles() {
        loom_vulkan_host v{};
        v.struct_size = sizeof v;
        v.get_instance_proc_addr = reinterpret_cast<void *>(device->fn().vkGetInstanceProcAddr);
        v.instance = device->instance();
        v.physical_device = device->physical();
        v.device = device->handle();
        v.queue = device->queue();
        v.queue_family_index = device->queue_family();
        v.queue_lock = &Host::lock;
        v.queue_unlock = &Host::unlock;
        v.queue_lock_user_data = this;
        return v;
    }
};

void print_log(void *, loom_log_level level, const char *text) {
    if (level >= LOOM_LOG_WARN) std::fprintf(stderr, "%s\n", text);
}

bool make_host(Host *h) {
    h->log.fn = &print_log;
    loom::vk::DeviceOptions opts;
    opts.validation = true;
    opts.log = &h->log;
    return loom::vk::Device::create(opts, &h->device).is_ok() && h->device->validation_enabled();
}

// The render thread: empty submissions with a fence under the host's lock
// (the fence waited outside it) until told to stop.
void render(Host *h, const std::atomic<bool> *stop, std::atomic<int> *frames) {
    const loom::vk::VkFns &f = h->device->fn();
    VkDevice d = h->device->handle();
    VkFenceCreateInfo fi{};
    fi.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    VkFence fence = VK_NULL_HANDLE;
    if (f.vkCreateFence(d, &fi, nullptr, &fence) != VK_SUCCESS) return;
    while (!stop->load()) {
        Host::lock(h);
        VkResult r = f.vkQueueSubmit(h->device->queue(), 0, nullptr, fence);
        Host::unlock(h);
        if (r != VK_SUCCESS || f.vkWaitForFences(d, 1, &fence, VK_TRUE, UINT64_MAX) != VK_SUCCESS) break;
        f.vkResetFences(d, 1, &fence);
        (*frames)++;
    }
    f.vkDestroyFence(d, fence, nullptr);
}

struct Model {
    std::vector<uint8_t> bytes;
    loom_model *m = nullptr;
    ~Model() { loom_model_free(m); }
};

loom_status load(loom_type wt, const loom_vulkan_params *vp, Model *out) {
    return vktest::load_tiny_model(wt, &out->bytes, &out->m, vp);
}

struct Context {
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    ~Context() {
        loom_batch_free(b);
        loom_context_free(c);
    }
};

bool open_context(loom_model *m, Context *out, loom_abort_fn abort = nullptr, void *abort_data = nullptr) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = p.n_batch = 32;
    p.n_threads = 1;
    p.abort_callback = abort;
    p.abort_user_data = abort_data;
    return loom_context_new(m, &p, &out->c) == LOOM_OK && loom_batch_new(32, &out->b) == LOOM_OK;
}

// Logits of a prompt (every position) and then `steps` single-token decodes;
// empty on a failure (worker threads report by value: Catch2's REQUIRE is
// not thread-safe).
std::vector<float> run(Context &c, int32_t n_vocab, int seed, int steps) {
    std::vector<float> out;
    loom_kv_clear(c.c);
    loom_batch_clear(c.b);
    const int n = 6 + seed;
    for (int i = 0; i < n; i++)
        if (loom_batch_add(c.b, (i * 37 + seed * 11 + 3) % n_vocab, i, 0, 1) != LOOM_OK) return {};
    for (int t = 0; t <= steps; t++) {
        if (t > 0) {
            loom_batch_clear(c.b);
            if (loom_batch_add(c.b, (t * 13 + seed) % n_vocab, n + t - 1, 0, 1) != LOOM_OK) return {};
        }
        if (loom_decode(c.c, c.b) != LOOM_OK) return {};
        for (int i = 0; i < loom_batch_size(c.b); i++) {
            const float *l = nullptr;
            if (loom_get_logits(c.c, i, &l) != LOOM_OK) return {};
            out.insert(out.end(), l, l + n_vocab);
        }
    }
    return out;
}

} // namespace

TEST_CASE("two_models_on_one_host_queue_decode_concurrently_under_synchronization_validation") {
    Host host;
    REQUIRE(make_host(&host));
    const loom_vulkan_host hv = host.handles();
    loom_vulkan_params vp;
    loom_vulkan_default_params(&vp);
    vp.host = &hv;
    vp.ops_per_submission = 8;   // several submissions per decode, interleaved between the models
    Model a, b;
    REQUIRE(load(LOOM_TYPE_F16, &vp, &a) == LOOM_OK);
    REQUIRE(load(LOOM_TYPE_Q8_0, &vp, &b) == LOOM_OK);
    REQUIRE(std::string(loom_model_backend_name(a.m)) == "vulkan");
    const int32_t nv = loom_model_n_vocab(a.m);
    const int kSteps = 4, kReps = 3;
    std::vector<float> want_a, want_b;
    {
        Context ca, cb;
        REQUIRE(open_context(a.m, &ca));
        REQUIRE(open_context(b.m, &cb));
        want_a = run(ca, nv, 1, kSteps);
        want_b = run(cb, nv, 2, kSteps);
        REQUIRE(!want_a.empty());
        REQUIRE(!want_b.empty());
        REQUIRE(want_a != run(cb, nv, 1, kSteps));   // the two models differ
    }
    const int locks_alone = host.locks.load();
    REQUIRE(locks_alone > 2 * (kSteps + 1));         // loom submitted under the host's lock, more than once per decode
    std::atomic<bool> stop{false};
    std::atomic<int> frames{0};
    std::thread renderer(render, &host, &stop, &frames);
    int mismatches[2] = {0, 0};
    auto decode_on = [&](loom_model *m, int seed, const std::vector<float> &want, int *bad) {
        Context c;
        if (!open_context(m, &c)) {
            *bad = -1;
            return;
        }
        for (int rep = 0; rep < kReps; rep++) *bad += run(c, nv, seed, kSteps) != want;
    };
    std::thread ta(decode_on, a.m, 1, std::cref(want_a), &mismatches[0]);
    std::thread tb(decode_on, b.m, 2, std::cref(want_b), &mismatches[1]);
    ta.join();
    tb.join();
    stop = true;
    renderer.join();
    CHECK(mismatches[0] == 0);
    CHECK(mismatches[1] == 0);
    CHECK(frames.load() > 0);
    CHECK(host.overlaps.load() == 0);
    CHECK(host.locks.load() > locks_alone + 2 * kReps * (kSteps + 1));
    CHECK(host.device->validation_messages() == 0);
}

TEST_CASE("models_share_one_device_per_host_queue_and_per_physical_device") {
    Host host;
    REQUIRE(make_host(&host));
    loom::vk::HostHandles h;
    h.get_instance_proc_addr = host.device->fn().vkGetInstanceProcAddr;
    h.instance = host.device->instance();
    h.physical_device = host.device->physical();
    h.device = host.device->handle();
    h.queue = host.device->queue();
    h.queue_family = host.device->queue_family();
    h.queue_lock = &Host::lock;
    h.queue_unlock = &Host::unlock;
    h.queue_lock_user_data = &host;
    loom::VulkanBackendOptions on_host;
    on_host.device.host = &h;
    std::unique_ptr<loom::Backend> b1, b2, b3, own1, own2;
    REQUIRE(loom::create_vulkan_backend(on_host, &b1).is_ok());
    REQUIRE(loom::create_vulkan_backend(on_host, &b2).is_ok());
    REQUIRE(loom::vulkan_backend_device(b1.get()) == loom::vulkan_backend_device(b2.get()));
    REQUIRE(loom::vulkan_backend_device(b1.get())->handle() == host.device->handle());
    // The same queue with another lock would let two models submit at once.
    loom::vk::HostHandles other = h;
    other.queue_lock_user_data = nullptr;
    on_host.device.host = &other;
    loom::Status s = loom::create_vulkan_backend(on_host, &b3);
    REQUIRE(s.code() == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(s.message().find("queue-lock") != std::string::npos);
    // Devices loom creates: one per physical device, whether asked by index or by default.
    loom::VulkanBackendOptions own;
    own.device.validation = true;
    REQUIRE(loom::create_vulkan_backend(own, &own1).is_ok());
    own.device.device_index = loom::vulkan_backend_device(own1.get())->info().index;
    REQUIRE(loom::create_vulkan_backend(own, &own2).is_ok());
    const loom::vk::Device *shared = loom::vulkan_backend_device(own1.get());
    REQUIRE(shared == loom::vulkan_backend_device(own2.get()));
    REQUIRE(shared != loom::vulkan_backend_device(b1.get()));
    own1.reset();   // the device lives on with its last model
    REQUIRE(shared->fn().vkDeviceWaitIdle(shared->handle()) == VK_SUCCESS);
    REQUIRE(shared->validation_messages() == 0);
    REQUIRE(host.device->validation_messages() == 0);
}

TEST_CASE("rejects_half_a_queue_lock_and_negative_vulkan_limits") {
    Host host;
    REQUIRE(make_host(&host));
    loom_vulkan_host hv = host.handles();
    hv.queue_unlock = nullptr;
    loom_vulkan_params vp;
    loom_vulkan_default_params(&vp);
    vp.host = &hv;
    Model m;
    REQUIRE(load(LOOM_TYPE_F16, &vp, &m) == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(std::string(loom_last_error()).find("queue_lock and queue_unlock") != std::string::npos);
    loom_vulkan_default_params(&vp);
    vp.wait_timeout_us = -1;
    REQUIRE(load(LOOM_TYPE_F16, &vp, &m) == LOOM_ERR_INVALID_ARGUMENT);
    loom_vulkan_default_params(&vp);
    vp.ops_per_submission = -1;
    REQUIRE(load(LOOM_TYPE_F16, &vp, &m) == LOOM_ERR_INVALID_ARGUMENT);
}

namespace {
struct AbortAfter {
    std::atomic<int> calls{0};
    int cancel_at = 0;   // the call that returns 1 (0: never)
};
int abort_after(void *p) {
    auto *a = static_cast<AbortAfter *>(p);
    return ++a->calls == a->cancel_at;
}
} // namespace

TEST_CASE("the_abort_callback_cancels_a_decode_between_its_submissions") {
    loom_vulkan_params vp;
    loom_vulkan_default_params(&vp);
    vp.ops_per_submission = 4;
    Model m;
    REQUIRE(load(LOOM_TYPE_F16, &vp, &m) == LOOM_OK);
    const int32_t nv = loom_model_n_vocab(m.m);
    AbortAfter count;   // never aborts: how often one decode asks
    Context ref;
    REQUIRE(open_context(m.m, &ref, &abort_after, &count));
    const std::vector<float> want = run(ref, nv, 3, 0);
    REQUIRE(!want.empty());
    const int asked = count.calls.load();
    REQUIRE(asked > 4);   // asked before each of the graph's submissions (2 layers: about 30 ops)
    for (int at : {2, asked / 2, asked}) {
        INFO("cancelled at call " << at << " of " << asked);
        AbortAfter abort;
        abort.cancel_at = at;
        Context c;
        REQUIRE(open_context(m.m, &c, &abort_after, &abort));
        loom_batch_clear(c.b);
        for (int i = 0; i < 9; i++) REQUIRE(loom_batch_add(c.b, (i * 37 + 3 * 11 + 3) % nv, i, 0, 1) == LOOM_OK);
        REQUIRE(loom_decode(c.c, c.b) == LOOM_ERR_CANCELLED);
        REQUIRE(abort.calls.load() == at);   // stopped at the first 1, part of the graph submitted
        abort.cancel_at = 0;
        REQUIRE(run(c, nv, 3, 0) == want);   // the cache as before: the same logits as never cancelled
    }
}

TEST_CASE("a_fence_wait_that_runs_out_returns_backend_and_the_session_recovers") {
    loom::VulkanBackendOptions opts;
    opts.device.validation = true;
    opts.wait_timeout_us = 20000;
    std::unique_ptr<loom::Backend> b;
    REQUIRE(loom::create_vulkan_backend(opts, &b).is_ok());
    const loom::vk::Device &dev = *loom::vulkan_backend_device(b.get());
    auto get = [&](const char *name) { return dev.fn().vkGetDeviceProcAddr(dev.handle(), name); };
    auto create_event = reinterpret_cast<PFN_vkCreateEvent>(get("vkCreateEvent"));
    auto set_event = reinterpret_cast<PFN_vkSetEvent>(get("vkSetEvent"));
    auto destroy_event = reinterpret_cast<PFN_vkDestroyEvent>(get("vkDestroyEvent"));
    REQUIRE((create_event && set_event && destroy_event));
    VkEventCreateInfo ei{};
    ei.sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO;
    VkEvent gate = VK_NULL_HANDLE;
    REQUIRE(create_event(dev.handle(), &ei, nullptr, &gate) == VK_SUCCESS);
    std::unique_ptr<loom::Session> s;
    REQUIRE(b->new_session(loom::SessionParams(), &s).is_ok());
    loom::Tensor *x = nullptr;
    REQUIRE(s->alloc(LOOM_TYPE_F32, 4, 1, &x).is_ok());
    const float one[4] = {1, 2, 3, 4};
    REQUIRE(s->upload(x, 0, one, sizeof one).is_ok());
    // The graph's command buffer waits for the gate, which nothing sets yet.
    dev.set_test_gate(gate);
    REQUIRE(s->begin_graph().is_ok());
    dev.set_test_gate(VK_NULL_HANDLE);
    REQUIRE(s->add(x, x, x, 1).is_ok());
    const auto t0 = std::chrono::steady_clock::now();
    loom::Status st = s->compute(nullptr);
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(st.code() == LOOM_ERR_BACKEND);
    REQUIRE(st.message().find("did not finish within 20000 us") != std::string::npos);
    REQUIRE(waited < 5.0);
    // Still running: reading the tensor waits again and fails the same way.
    float out[4] = {};
    REQUIRE(s->download(x, 0, out, sizeof out).code() == LOOM_ERR_BACKEND);
    // The device finishes once the gate opens; the session then works as before.
    REQUIRE(set_event(dev.handle(), gate) == VK_SUCCESS);
    REQUIRE(s->download(x, 0, out, sizeof out).is_ok());
    REQUIRE(out[3] == 8.0f);
    REQUIRE(s->begin_graph().is_ok());
    REQUIRE(s->add(x, x, x, 1).is_ok());
    REQUIRE(s->compute(nullptr).is_ok());
    REQUIRE(s->download(x, 0, out, sizeof out).is_ok());
    REQUIRE(out[3] == 16.0f);
    s.reset();
    destroy_event(dev.handle(), gate, nullptr);
    REQUIRE(dev.validation_messages() == 0);
}
