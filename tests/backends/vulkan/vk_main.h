// main() of the Vulkan tests of the C API: Catch2's tests when the loader
// reports a device, else exit 77 (1 under CI=true: testdata::missing).
// Include once, in the file that defines CATCH_CONFIG_RUNNER.
#pragma once

#include "loom.h"
#include "testdata.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <dlfcn.h>

namespace vktest {

inline int run_with_a_device(int argc, char **argv) {
    // The loader dlclose()s drivers and layers at vkDestroyInstance; what they
    // keep until exit then has no module name for LeakSanitizer's
    // suppressions (tests/support/lsan.supp) to match: pinned, they keep it
    // (as vk_fixture.cpp does). Missing libraries are skipped.
    for (const char *lib : {"libvulkan_lvp.so", "libVkLayer_khronos_validation.so", "libVkLayer_MESA_device_select.so"})
        dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    size_t n = 0;
    loom_vulkan_devices(nullptr, 0, &n);   // BUFFER_TOO_SMALL with the count when there are devices
    if (n == 0) {
        std::fprintf(stderr, "no Vulkan device: %s\n", loom_last_error());
        return testdata::missing("a Vulkan device");
    }
    return Catch::Session().run(argc, argv);
}

} // namespace vktest
