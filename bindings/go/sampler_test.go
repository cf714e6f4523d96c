package loom

import (
	"errors"
	"math"
	"testing"
)

func TestSampleLogitsFollowsTheChain(t *testing.T) {
	logits := []float32{1, 5, 3, 4.5}
	cases := []struct {
		name   string
		stages []SamplerStage
		want   int32
	}{
		{"greedy", []SamplerStage{Greedy()}, 1},
		{"no pick stage", nil, 1},
		{"bias bans the best", []SamplerStage{LogitBias(map[int32]float32{1: float32(math.Inf(-1))}), Greedy()}, 3},
		{"bias lifts the worst", []SamplerStage{LogitBias(map[int32]float32{0: 10}), Greedy()}, 0},
		{"top-1 then draw", []SamplerStage{TopK(1), Dist(7)}, 1},
	}
	for _, c := range cases {
		s, err := NewSampler(c.stages...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := s.SampleLogits(logits)
		s.Close()
		if err != nil || got != c.want {
			t.Errorf("%s: token %d (%v), want %d", c.name, got, err, c.want)
		}
	}
	if _, err := NewSampler(Greedy(), TopK(3)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("a stage after the pick stage: %v", err)
	}
	s, _ := NewSampler(Greedy())
	defer s.Close()
	if _, err := s.SampleLogits(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("no logits: %v", err)
	}
}
