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

// LOOM_AVX512_BEGIN(isa) ... LOOM_AVX512_END: LOOM_ISA_BEGIN / _END for the
// AVX-512 files, which also silence the warnings GCC 12 raises inside its
// own AVX-512 intrinsics (_mm512_undefined_*, GCC bug 105593; clang has no
// -Wmaybe-uninitialized).
#if defined(__clang__)
#define LOOM_AVX512_WARNINGS LOOM_PRAGMA(GCC diagnostic ignored "-Wuninitialized")
#else
#define LOOM_AVX512_WARNINGS                                                                                     \
    LOOM_PRAGMA(GCC diagnostic ignored "-Wmaybe-uninitialized") LOOM_PRAGMA(GCC diagnostic ignored "-Wuninitialized")
#endif
#define LOOM_AVX512_BEGIN(isa) LOOM_ISA_BEGIN(isa) LOOM_PRAGMA(GCC diagnostic push) LOOM_AVX512_WARNINGS
#define LOOM_AVX512_END LOOM_PRAGMA(GCC diagnostic pop) LOOM_ISA_END
