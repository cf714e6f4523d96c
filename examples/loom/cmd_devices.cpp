// loom devices: the Vulkan devices this machine offers, and which one
// --backend auto would use.
#include "cli.h"
#include "common_options.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace {

const char *type_name(int32_t type) {
    switch (type) {
    case LOOM_DEVICE_INTEGRATED_GPU: return "integrated GPU";
    case LOOM_DEVICE_DISCRETE_GPU: return "discrete GPU";
    case LOOM_DEVICE_VIRTUAL_GPU: return "virtual GPU";
    case LOOM_DEVICE_CPU: return "CPU (software)";
    default: return "other";
    }
}

int cmd_devices(int argc, char **argv) {
    cli::CommonOptions common;
    cli::Options opts("loom devices",
                      "Lists the Vulkan devices (index for --device, name, type, memory).\n"
                      "--backend auto uses the first GPU; a software device only with --backend vulkan.");
    cli::add_common_options(&opts, &common);
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    std::printf("cpu: always available\n");
    size_t count = 0;
    loom_status st = loom_vulkan_devices(nullptr, 0, &count);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) {
        std::printf("vulkan: unavailable (%s)\n", loom_last_error());
        return 0;
    }
    std::vector<loom_vulkan_device_info> devs(count);
    for (auto &d : devs) d.struct_size = sizeof d;
    st = loom_vulkan_devices(devs.data(), devs.size(), &count);
    if (st != LOOM_OK) return cli::fail_status(st, "listing Vulkan devices");
    int auto_pick = -1;
    for (const auto &d : devs) {
        bool gpu = d.type == LOOM_DEVICE_DISCRETE_GPU || d.type == LOOM_DEVICE_INTEGRATED_GPU || d.type == LOOM_DEVICE_VIRTUAL_GPU;
        if (gpu && (auto_pick < 0 || (d.type == LOOM_DEVICE_DISCRETE_GPU && devs[size_t(auto_pick)].type != LOOM_DEVICE_DISCRETE_GPU)))
            auto_pick = d.index;
    }
    std::printf("vulkan: %zu device%s\n", count, count == 1 ? "" : "s");
    for (const auto &d : devs) {
        std::printf("  [%d] %s  (%s, Vulkan %u.%u.%u, %.1f GiB device-local, subgroup %u)%s\n", d.index, d.name,
                    type_name(d.type), (d.api_version >> 22) & 0x7f, (d.api_version >> 12) & 0x3ff, d.api_version & 0xfff,
                    double(d.device_local_bytes) / double(1ull << 30), d.subgroup_size,
                    d.index == auto_pick ? "  <- --backend auto" : "");
    }
    if (auto_pick < 0) std::printf("--backend auto: cpu (no Vulkan GPU)\n");
    return 0;
}

} // namespace

LOOM_COMMAND("devices", "list compute devices (CPU, Vulkan) and the one --backend auto picks", cmd_devices);
