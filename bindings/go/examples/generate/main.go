// generate MODEL PROMPT N prints PROMPT and its greedy continuation of N
// tokens, then a newline: byte for byte what
// `loom run -m MODEL -p PROMPT -n N --temp 0` prints.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"

	"loom.dev/loom"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: generate MODEL PROMPT N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate: N must be an integer:", err)
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], n); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(path, prompt string, n int) error {
	model, err := loom.LoadModel(path)
	if err != nil {
		return err
	}
	defer model.Close()
	tokens, err := model.Tokenize(prompt, loom.ParseSpecial)
	if err != nil {
		return err
	}
	if len(tokens) == 0 {
		return fmt.Errorf("the prompt has no tokens")
	}
	ctx, err := loom.NewContext(model)
	if err != nil {
		return err
	}
	defer ctx.Close()
	sampler, err := loom.NewSampler(loom.Greedy())
	if err != nil {
		return err
	}
	defer sampler.Close()

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	out.WriteString(prompt)
	_, err = ctx.Generate(context.Background(), sampler, tokens, loom.GenerateOptions{MaxTokens: n},
		func(text string) error {
			out.WriteString(text)
			return out.Flush()
		})
	out.WriteString("\n")
	return err
}
