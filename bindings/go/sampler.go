package loom

// #include "shim.h"
import "C"

import "runtime"

// SamplerStage is one stage of a sampler chain; stages run in the order
// given to NewSampler, and a pick stage (Greedy or Dist) comes last.
type SamplerStage struct {
	add func(s *C.loom_sampler, msg **C.char) C.loom_status
}

// floatStage is a stage whose add function takes one float.
func floatStage(v float32, add func(s *C.loom_sampler, v C.float, msg **C.char) C.loom_status) SamplerStage {
	return SamplerStage{func(s *C.loom_sampler, msg **C.char) C.loom_status { return add(s, C.float(v), msg) }}
}

// Greedy picks the highest logit (the lowest id among equal ones).
func Greedy() SamplerStage {
	return SamplerStage{func(s *C.loom_sampler, msg **C.char) C.loom_status { return C.lg_sampler_add_greedy(s, msg) }}
}

// Temperature divides the logits by t (0 keeps only the highest).
func Temperature(t float32) SamplerStage {
	return floatStage(t, func(s *C.loom_sampler, v C.float, msg **C.char) C.loom_status {
		return C.lg_sampler_add_temperature(s, v, msg)
	})
}

// TopK keeps the k highest logits.
func TopK(k int) SamplerStage {
	return SamplerStage{func(s *C.loom_sampler, msg **C.char) C.loom_status {
		return C.lg_sampler_add_top_k(s, C.int32_t(k), msg)
	}}
}

// TopP keeps the fewest most likely tokens whose probability reaches p.
func TopP(p float32) SamplerStage {
	return floatStage(p, func(s *C.loom_sampler, v C.float, msg **C.char) C.loom_status {
		return C.lg_sampler_add_top_p(s, v, msg)
	})
}

// MinP keeps tokens at least p times as likely as the most likely one.
func MinP(p float32) SamplerStage {
	return floatStage(p, func(s *C.loom_sampler, v C.float, msg **C.char) C.loom_status {
		return C.lg_sampler_add_min_p(s, v, msg)
	})
}

// Typical is locally typical sampling with mass p.
func Typical(p float32) SamplerStage {
	return floatStage(p, func(s *C.loom_sampler, v C.float, msg **C.char) C.loom_status {
		return C.lg_sampler_add_typical(s, v, msg)
	})
}

// Penalties penalises tokens seen in the last lastN accepted tokens.
func Penalties(lastN int, repeat, frequency, presence float32) SamplerStage {
	return SamplerStage{func(s *C.loom_sampler, msg **C.char) C.loom_status {
		return C.lg_sampler_add_penalties(s, C.int32_t(lastN), C.float(repeat), C.float(frequency), C.float(presence), msg)
	}}
}

// LogitBias adds bias[token] to token's logit (-Inf bans the token).
func LogitBias(bias map[int32]float32) SamplerStage {
	tokens := make([]C.int32_t, 0, len(bias))
	biases := make([]C.float, 0, len(bias))
	for t, b := range bias {
		tokens = append(tokens, C.int32_t(t))
		biases = append(biases, C.float(b))
	}
	return SamplerStage{func(s *C.loom_sampler, msg **C.char) C.loom_status {
		return C.lg_sampler_add_logit_bias(s, first(tokens), first(biases), C.size_t(len(tokens)), msg)
	}}
}

// Dist draws from the remaining tokens with a generator seeded by seed (the
// same seed, chain and logits give the same tokens on every platform).
func Dist(seed uint64) SamplerStage {
	return SamplerStage{func(s *C.loom_sampler, msg **C.char) C.loom_status {
		return C.lg_sampler_add_dist(s, C.uint64_t(seed), msg)
	}}
}

// Sampler is a sampler chain: it picks the next token from logits.
type Sampler struct {
	h handle[C.loom_sampler]
}

// NewSampler builds a chain of stages, e.g. NewSampler(Greedy()) or
// NewSampler(TopK(40), TopP(0.95), Temperature(0.8), Dist(seed)). A chain
// without a pick stage picks greedily.
func NewSampler(stages ...SamplerStage) (*Sampler, error) {
	var out *C.loom_sampler
	var msg *C.char
	if err := check(C.lg_sampler_new(&out, &msg), msg); err != nil {
		return nil, err
	}
	s := &Sampler{}
	s.h.init(out, func(p *C.loom_sampler) { C.loom_sampler_free(p) })
	runtime.SetFinalizer(s, (*Sampler).Close)
	for _, st := range stages {
		if err := check(st.add(out, &msg), msg); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close frees the sampler; later calls do nothing. Always returns nil.
func (s *Sampler) Close() error {
	runtime.SetFinalizer(s, nil)
	s.h.close()
	return nil
}

// Accept records token as generated (or as a prompt token) for the penalties.
func (s *Sampler) Accept(token int32) error {
	return s.h.with("sampler", func(p *C.loom_sampler) error { return accept(p, token) })
}

func accept(p *C.loom_sampler, token int32) error {
	var msg *C.char
	return check(C.lg_sampler_accept(p, C.int32_t(token), &msg), msg)
}

// Reset empties the penalty windows and reseeds the Dist stages.
func (s *Sampler) Reset() {
	_ = s.h.with("sampler", func(p *C.loom_sampler) error { C.loom_sampler_reset(p); return nil })
}

// Sample picks a token from the logits of batch entry i of c's last Decode
// (i = -1: the last entry with logits).
func (s *Sampler) Sample(c *Context, i int) (int32, error) {
	var tok int32
	err := s.h.with("sampler", func(sp *C.loom_sampler) error {
		return c.h.with("context", func(cp *C.loom_context) error {
			var err error
			tok, err = sample(sp, cp, i)
			return err
		})
	})
	return tok, err
}

func sample(sp *C.loom_sampler, cp *C.loom_context, i int) (int32, error) {
	var tok C.int32_t
	var msg *C.char
	err := check(C.lg_sample(sp, cp, C.int32_t(i), &tok, &msg), msg)
	return int32(tok), err
}

// SampleLogits picks a token from logits (not modified).
func (s *Sampler) SampleLogits(logits []float32) (int32, error) {
	var tok C.int32_t
	err := s.h.with("sampler", func(p *C.loom_sampler) error {
		var msg *C.char
		return check(C.lg_sampler_sample_logits(p, (*C.float)(first(logits)), C.int32_t(len(logits)), &tok, &msg), msg)
	})
	return int32(tok), err
}
