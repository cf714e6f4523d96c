// LOOM_ISA_BEGIN("avx2,fma,f16c") ... LOOM_ISA_END: the functions between are
// compiled for that ISA, the rest of the file stays baseline. GCC takes
// `#pragma GCC target`; clang ignores it and needs `#pragma clang attribute`
// (the fuzz build, .ci/fuzz.sh, compiles with clang).
#pragma once

#define LOOM_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define LOOM_ISA_BEGIN(isa) LOOM_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define LOOM_ISA_END LOOM_PRAGMA(clang attribute pop)
#else
#define LOOM_ISA_BEGIN(isa) LOOM_PRAGMA(GCC push_options) LOOM_PRAGMA(GCC target(isa))
#define LOOM_ISA_END LOOM_PRAGMA(GCC pop_options)
#endif
