package loom

// #include "shim.h"
import "C"

import "context"

// GenerateOptions tune Context.Generate.
type GenerateOptions struct {
	// MaxTokens is the most tokens to sample; < 0: until an
	// end-of-generation token or a full context.
	MaxTokens int
	// IgnoreEOG keeps generating past end-of-generation tokens (as text).
	IgnoreEOG bool
}

// Generation is what Context.Generate did.
type Generation struct {
	Tokens []int32 // the sampled tokens, an end-of-generation token included
	HitEOG bool    // the last token ended the reply (it is not in the KV cache)
}

// Generate decodes prompt on sequence 0 after what the cache already holds,
// then samples up to opts.MaxTokens tokens with s, decoding each kept one,
// and streams their text to onText as it completes (whole UTF-8 characters;
// special tokens give no text). It stops early at an end-of-generation token,
// a full context, an error from onText (returned as is) or ctx being done
// (an error matching ErrCancelled and ctx.Err()). The prompt tokens are
// accepted into s first (for penalties), as `loom run` does.
func (c *Context) Generate(ctx context.Context, s *Sampler, prompt []int32, opts GenerateOptions,
	onText func(text string) error) (Generation, error) {
	var g Generation
	err := s.h.with("sampler", func(sp *C.loom_sampler) error {
		return c.h.with("context", func(cp *C.loom_context) error {
			return c.cancellable(ctx, func() error {
				run := generation{ctx: ctx, c: c, cp: cp, sp: sp, opts: opts, emit: onText, out: &g}
				return run.all(prompt)
			})
		})
	})
	return g, err
}

// generation is one Generate call, run with the sampler and context locked.
type generation struct {
	ctx   context.Context
	c     *Context
	cp    *C.loom_context
	sp    *C.loom_sampler
	bp    *C.loom_batch
	dp    *C.loom_detokenizer
	opts  GenerateOptions
	emit  func(string) error
	out   *Generation
	nPast int
}

func (g *generation) all(prompt []int32) error {
	var msg *C.char
	if err := check(C.lg_batch_new(C.int32_t(g.c.nBatch), &g.bp, &msg), msg); err != nil {
		return err
	}
	defer C.loom_batch_free(g.bp)
	if err := check(C.lg_detokenizer_new(g.c.mp, 0, &g.dp, &msg), msg); err != nil {
		return err
	}
	defer C.loom_detokenizer_free(g.dp)
	var pos C.int32_t
	if err := check(C.lg_kv_seq_pos_max(g.cp, 0, &pos, &msg), msg); err != nil {
		return err
	}
	g.nPast = int(pos) + 1
	err := g.decodePrompt(prompt)
	if err == nil {
		err = g.sampleLoop()
	}
	tail, ferr := detokFlush(g.dp)
	if ferr == nil && tail != "" {
		ferr = g.emit(tail)
	}
	if err == nil {
		err = ferr
	}
	return err
}

// decodePrompt decodes prompt in chunks of the batch size, logits for its
// last token only.
func (g *generation) decodePrompt(prompt []int32) error {
	for _, t := range prompt {
		if err := accept(g.sp, t); err != nil {
			return err
		}
	}
	for i := 0; i < len(prompt); {
		end := i + g.c.nBatch
		if end > len(prompt) {
			end = len(prompt)
		}
		C.loom_batch_clear(g.bp)
		for j := i; j < end; j++ {
			if err := batchAdd(g.bp, prompt[j], g.nPast+j-i, 0, j+1 == len(prompt)); err != nil {
				return err
			}
		}
		if err := decode(g.cp, g.bp); err != nil {
			return err
		}
		g.nPast += end - i
		i = end
	}
	return nil
}

func (g *generation) sampleLoop() error {
	nCtx := int(C.loom_context_n_ctx(g.cp))
	for g.opts.MaxTokens < 0 || len(g.out.Tokens) < g.opts.MaxTokens {
		if err := g.ctx.Err(); err != nil {
			return cancelledBy(err)
		}
		tok, err := sample(g.sp, g.cp, -1)
		if err != nil {
			return err
		}
		if err := accept(g.sp, tok); err != nil {
			return err
		}
		g.out.Tokens = append(g.out.Tokens, tok)
		if !g.opts.IgnoreEOG && C.loom_token_is_eog(g.c.mp, C.int32_t(tok)) != 0 {
			g.out.HitEOG = true
			return nil
		}
		if err := g.push(tok); err != nil {
			return err
		}
		if g.nPast >= nCtx {
			return nil // the cache is full
		}
		C.loom_batch_clear(g.bp)
		if err := batchAdd(g.bp, tok, g.nPast, 0, true); err != nil {
			return err
		}
		if err := decode(g.cp, g.bp); err != nil {
			return err
		}
		g.nPast++
	}
	return nil
}

func (g *generation) push(tok int32) error {
	text, err := detokPush(g.dp, tok)
	if err != nil || text == "" {
		return err
	}
	return g.emit(text)
}
