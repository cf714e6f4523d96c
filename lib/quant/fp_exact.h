// Included first by every codec source: bit-exactness with ggml needs each
// float multiply and add rounded on its own, so forbid fusing a*b+c into an
// FMA even when the build targets a CPU that has one (-march=native).
// (Quantizers choose codes from such sums; NaN payloads also differ.)
#pragma once

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
