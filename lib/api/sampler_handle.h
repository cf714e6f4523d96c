// The struct behind loom_sampler, shared by the sampling API and the
// speculative decoding loop (which runs the chain position by position).
#pragma once

#include "sample/sampler.h"

struct loom_sampler {
    loom::SamplerChain chain;
};
