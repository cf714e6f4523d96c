//! `Sampler`: a chain of sampling stages ending in a pick (greedy or a
//! seeded draw), built with `Sampler::builder()`.
use crate::context::Context;
use crate::error::{check, Error, Result, Status};
use crate::sys;
use std::ptr::{self, NonNull};

#[derive(Clone, Debug)]
enum Stage {
    Greedy,
    Temperature(f32),
    TopK(i32),
    TopP(f32),
    MinP(f32),
    Typical(f32),
    Penalties { last_n: i32, repeat: f32, frequency: f32, presence: f32 },
    LogitBias(Vec<i32>, Vec<f32>),
    Dist(u64),
}

/// The stages of a sampler, in order; `build` creates the chain (the
/// library checks every argument then: errors come from `build`).
#[derive(Clone, Debug, Default)]
pub struct SamplerBuilder {
    stages: Vec<Stage>,
}

impl SamplerBuilder {
    fn push(mut self, stage: Stage) -> Self {
        self.stages.push(stage);
        self
    }
    /// Pick stage: the highest logit (lowest id among equal ones).
    pub fn greedy(self) -> Self {
        self.push(Stage::Greedy)
    }
    /// Divides logits by `t` (>= 0; 0 keeps only the highest).
    pub fn temperature(self, t: f32) -> Self {
        self.push(Stage::Temperature(t))
    }
    pub fn top_k(self, k: i32) -> Self {
        self.push(Stage::TopK(k))
    }
    pub fn top_p(self, p: f32) -> Self {
        self.push(Stage::TopP(p))
    }
    pub fn min_p(self, p: f32) -> Self {
        self.push(Stage::MinP(p))
    }
    pub fn typical(self, p: f32) -> Self {
        self.push(Stage::Typical(p))
    }
    /// Repetition penalties over the last `last_n` accepted tokens.
    pub fn penalties(self, last_n: i32, repeat: f32, frequency: f32, presence: f32) -> Self {
        self.push(Stage::Penalties { last_n, repeat, frequency, presence })
    }
    /// Adds bias to each (token, bias) pair's logit (-inf bans the token).
    pub fn logit_bias(self, biases: &[(i32, f32)]) -> Self {
        let tokens = biases.iter().map(|b| b.0).collect();
        let values = biases.iter().map(|b| b.1).collect();
        self.push(Stage::LogitBias(tokens, values))
    }
    /// Pick stage: a draw seeded by `seed` (same seed, same tokens everywhere).
    pub fn dist(self, seed: u64) -> Self {
        self.push(Stage::Dist(seed))
    }

    pub fn build(&self) -> Result<Sampler> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::loom_sampler_new(&mut out) })?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "loom_sampler_new gave NULL"))?;
        let sampler = Sampler { ptr }; // freed by Drop if a stage fails
        for stage in &self.stages {
            check(unsafe { add_stage(sampler.ptr.as_ptr(), stage) })?;
        }
        Ok(sampler)
    }
}

unsafe fn add_stage(s: *mut sys::loom_sampler, stage: &Stage) -> i32 {
    match stage {
        Stage::Greedy => sys::loom_sampler_add_greedy(s),
        Stage::Temperature(t) => sys::loom_sampler_add_temperature(s, *t),
        Stage::TopK(k) => sys::loom_sampler_add_top_k(s, *k),
        Stage::TopP(p) => sys::loom_sampler_add_top_p(s, *p),
        Stage::MinP(p) => sys::loom_sampler_add_min_p(s, *p),
        Stage::Typical(p) => sys::loom_sampler_add_typical(s, *p),
        Stage::Penalties { last_n, repeat, frequency, presence } => {
            sys::loom_sampler_add_penalties(s, *last_n, *repeat, *frequency, *presence)
        }
        Stage::LogitBias(tokens, biases) => {
            sys::loom_sampler_add_logit_bias(s, tokens.as_ptr(), biases.as_ptr(), tokens.len())
        }
        Stage::Dist(seed) => sys::loom_sampler_add_dist(s, *seed),
    }
}

pub struct Sampler {
    ptr: NonNull<sys::loom_sampler>,
}

// SAFETY: a loom_sampler may move between threads (used by one at a time).
unsafe impl Send for Sampler {}

impl Sampler {
    pub fn builder() -> SamplerBuilder {
        SamplerBuilder::default()
    }

    /// A chain with one greedy pick.
    pub fn greedy() -> Result<Sampler> {
        Sampler::builder().greedy().build()
    }

    /// Records `token` as generated or prompt (feeds the penalty windows).
    pub fn accept(&mut self, token: i32) -> Result<()> {
        check(unsafe { sys::loom_sampler_accept(self.ptr.as_ptr(), token) })
    }

    /// Empties the penalty windows and reseeds, as if new.
    pub fn reset(&mut self) {
        unsafe { sys::loom_sampler_reset(self.ptr.as_ptr()) }
    }

    /// Picks a token from `logits` (not modified).
    pub fn sample_logits(&mut self, logits: &[f32]) -> Result<i32> {
        let n = i32::try_from(logits.len())
            .map_err(|_| Error::new(Status::InvalidArgument, "more than i32::MAX logits"))?;
        let mut token = 0;
        check(unsafe { sys::loom_sampler_sample_logits(self.ptr.as_ptr(), logits.as_ptr(), n, &mut token) })?;
        Ok(token)
    }

    /// Picks a token from the logits of batch entry `i` of the context's
    /// last decode (-1: the last entry that asked for logits).
    pub fn sample(&mut self, ctx: &Context, i: i32) -> Result<i32> {
        let mut token = 0;
        check(unsafe { sys::loom_sample(self.ptr.as_ptr(), ctx.raw(), i, &mut token) })?;
        Ok(token)
    }
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler").field("ptr", &self.ptr).finish()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        unsafe { sys::loom_sampler_free(self.ptr.as_ptr()) }
    }
}
