#!/usr/bin/env python3
"""Reference xoshiro256** seeded by splitmix64 (the algorithms as published by
Blackman & Vigna), written independently of lib/sample/rng.h. Prints the
first outputs for the seeds test_sampler.cpp pins:
    python3 tests/sample/xoshiro_ref.py"""
M = (1 << 64) - 1


def splitmix64(x):
    while True:
        x = (x + 0x9E3779B97F4A7C15) & M
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        yield z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


def xoshiro(seed):
    g = splitmix64(seed)
    s = [next(g) for _ in range(4)]
    while True:
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        yield result


for seed in (0, 42, 0xFFFFFFFFFFFFFFFF):
    g = xoshiro(seed)
    print(hex(seed), ", ".join("0x%016xull" % next(g) for _ in range(4)))
