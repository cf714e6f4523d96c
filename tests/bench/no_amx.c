/* LD_PRELOAD shim for benchmarks only (tests/bench/batched.sh): refuses the
 * Linux AMX permission request, arch_prctl(ARCH_REQ_XCOMP_PERM = 0x1023), so
 * that llama.cpp's ggml finds AMX "not ready" and keeps its other CPU
 * kernels, repacked layouts included. On AMX CPUs llama.cpp's AMX matmul
 * crashes when several sequences decode together (llama-batched-bench
 * -npl 4 segfaults, 2026-12-04), while --no-repack would also drop its
 * AVX-512 repacked kernels. Every other syscall passes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

long syscall(long number, ...) {
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_arch_prctl && a[0] == 0x1023) {
        errno = EPERM;
        return -1;
    }
    static long (*next)(long, ...);
    if (!next) next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    return next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
