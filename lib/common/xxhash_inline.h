// xxHash compiled into loom: with XXH_INLINE_ALL every XXH function is a
// static inline (renamed XXH_INLINE_*) in each file that includes this, so
// neither libloom.so nor libloom.a defines, exports or references an XXH
// symbol. A host that links its own xxHash cannot clash with loom, and no
// libxxhash is needed at link or run time. The header is xxHash 0.8.1,
// vendored unchanged in lib/third_party (BSD-2-Clause, see its top comment).
#pragma once

#define XXH_INLINE_ALL
#include "third_party/xxhash.h"
