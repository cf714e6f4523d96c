// What the CPU and the OS support, from cpuid and xgetbv.
#pragma once

#include "cpu/kernels.h"

namespace loom::cpu {

// The highest ISA level usable here (no environment override).
Isa probe_isa();

} // namespace loom::cpu
