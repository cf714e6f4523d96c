module loom.dev/loom

go 1.19
