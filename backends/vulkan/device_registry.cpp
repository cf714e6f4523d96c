#include "vulkan/device_registry.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

namespace loom::vk {

namespace {

struct Entry {
    std::weak_ptr<const Device> device;
    std::vector<std::string> requests;   // loom-created: the requests it answers
};

struct Registry {
    std::mutex mutex;
    std::vector<Entry> entries;
};

Registry &registry() {
    static Registry *r = new Registry();   // never destroyed: models may be freed during exit
    return *r;
}

std::string request_key(const DeviceOptions &opts) {
    return std::to_string(opts.device_index) + "/" + opts.device_name + "/" + (opts.validation ? "v" : "-");
}

std::string physical_key(const Device &d, bool validation) {
    return "#" + std::to_string(d.info().index) + "/" + (validation ? "v" : "-");
}

bool same_host_queue(const Device &d, const HostHandles &h) {
    return d.host() && d.host()->device == h.device && d.host()->queue == h.queue;
}

Status check_same_lock(const Device &d, const HostHandles &h) {
    const HostHandles &mine = *d.host();
    if (mine.queue_lock == h.queue_lock && mine.queue_unlock == h.queue_unlock &&
        mine.queue_lock_user_data == h.queue_lock_user_data)
        return Status::ok();
    return error(LOOM_ERR_INVALID_ARGUMENT,
                 "vulkan: this host device and queue are already used by another model with %s queue-lock callbacks "
                 "(queue_lock, queue_unlock and queue_lock_user_data must be the same for every model on a queue)",
                 mine.queue_lock ? "other" : "no");
}

// A live entry for `opts` (pruning dead ones), or nullptr.
std::shared_ptr<const Device> find(Registry &r, const DeviceOptions &opts, const std::string &key) {
    std::shared_ptr<const Device> found;
    for (auto it = r.entries.begin(); it != r.entries.end();) {
        std::shared_ptr<const Device> d = it->device.lock();
        if (!d) {
            it = r.entries.erase(it);
            continue;
        }
        bool match = opts.host ? same_host_queue(*d, *opts.host)
                               : !d->host() && std::find(it->requests.begin(), it->requests.end(), key) != it->requests.end();
        if (match) found = d;
        ++it;
    }
    return found;
}

} // namespace

Status acquire_device(const DeviceOptions &opts, std::shared_ptr<const Device> *out) {
    Registry &r = registry();
    const std::string key = request_key(opts);
    std::lock_guard<std::mutex> lock(r.mutex);
    if (std::shared_ptr<const Device> d = find(r, opts, key)) {
        if (opts.host) LOOM_TRY(check_same_lock(*d, *opts.host));
        d->attach_log(opts.log);
        *out = std::move(d);
        return Status::ok();
    }
    std::unique_ptr<Device> created;
    LOOM_TRY(Device::create(opts, &created));
    std::shared_ptr<const Device> d(std::move(created));
    if (!opts.host) {
        // Another request (index vs default, a name) may have picked the
        // same physical device: then this one is dropped for that one.
        const std::string phys = physical_key(*d, opts.validation);
        for (Entry &e : r.entries) {
            std::shared_ptr<const Device> other = e.device.lock();
            if (!other || other->host() || std::find(e.requests.begin(), e.requests.end(), phys) == e.requests.end())
                continue;
            e.requests.push_back(key);
            other->attach_log(opts.log);
            *out = std::move(other);
            return Status::ok();
        }
        r.entries.push_back(Entry{d, {key, phys}});
    } else {
        r.entries.push_back(Entry{d, {}});
    }
    *out = std::move(d);
    return Status::ok();
}

} // namespace loom::vk
