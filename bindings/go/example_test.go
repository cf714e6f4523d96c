package loom_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"loom.dev/loom"
)

// The README's example (compiled, not run: it names a model you may not have).
func Example() {
	model, err := loom.LoadModel("qwen2.5-0.5b-instruct-q4_k_m.gguf")
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()
	prompt, _ := model.ApplyChat([]loom.ChatMessage{{Role: "user", Content: "Hi!"}}, loom.AddGenerationPrompt)
	tokens, _ := model.Tokenize(prompt, loom.ParseSpecial)
	ctx, _ := loom.NewContext(model, loom.WithContextSize(2048))
	defer ctx.Close()
	sampler, _ := loom.NewSampler(loom.TopK(40), loom.TopP(0.95), loom.Temperature(0.8), loom.Dist(42))
	defer sampler.Close()
	_, err = ctx.Generate(context.Background(), sampler, tokens, loom.GenerateOptions{MaxTokens: 256},
		func(text string) error { fmt.Print(text); return nil })
	if err != nil {
		log.Fatal(err)
	}
}

// How errors look (the README's second example).
func ExampleError() {
	_, err := loom.LoadModel("missing.gguf")
	fmt.Println(err)
	var e *loom.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status == loom.ErrIO, errors.Is(err, loom.ErrIO))
	}
	// Output:
	// loom: i/o error: cannot open 'missing.gguf': No such file or directory
	// true true
}
