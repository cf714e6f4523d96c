// The main of the Vulkan test executables that build their models in memory
// (no reference needed): without a Vulkan device they exit 77 (skipped), or
// 1 under CI=true (tests/support/testdata.h: missing()).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "loom.h"
#include "testdata.h"

#include <cstdio>
#include <dlfcn.h>

int main(int argc, char **argv) {
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
