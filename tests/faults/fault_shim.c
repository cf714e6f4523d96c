/* An LD_PRELOAD shim that makes one allocation or one thread creation fail,
 * for the never-abort sweep (tests/faults/run.sh).
 *
 * It interposes the C allocation functions (malloc, calloc, realloc,
 * posix_memalign, aligned_alloc, memalign, valloc, pvalloc) and every
 * replaceable C++ operator new (plain, array, nothrow, aligned), plus
 * pthread_create. operator new is served here from malloc rather than
 * forwarded: libstdc++'s own operator new would call malloc again (one
 * request counted twice), and ASan's fails with a fatal report instead of
 * throwing. operator delete goes to free to match.
 *
 * Only calls made while armed are counted (fault_shim_arm, which the driver
 * calls around the loom calls it tests), so the process's own start-up and
 * the driver's checks are never failed. Environment:
 *   LOOM_FAULT_ALLOC=N    the Nth armed allocation call returns NULL / throws
 *                         std::bad_alloc (errno ENOMEM); the others succeed
 *   LOOM_FAULT_THREAD=N   the Nth armed pthread_create returns EAGAIN
 *   LOOM_FAULT_TRACE=1    print the stack of the failed call to stderr
 * At exit it writes one line to stderr:
 *   fault_shim: allocs=A threads=T injected=I
 * (armed calls counted, and 1 if the requested failure happened). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHIM_API __attribute__((visibility("default")))

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_alloc_fn)(size_t, size_t);
typedef void *(*valloc_fn)(size_t);
typedef void (*noreturn_fn)(void) __attribute__((noreturn));
typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static struct {
    malloc_fn malloc;
    calloc_fn calloc;
    realloc_fn realloc;
    free_fn free;
    posix_memalign_fn posix_memalign;
    aligned_alloc_fn aligned_alloc;
    aligned_alloc_fn memalign;
    valloc_fn valloc;
    valloc_fn pvalloc;
    pthread_create_fn pthread_create;
    noreturn_fn throw_bad_alloc;
} real;

static atomic_int armed;
static atomic_long alloc_calls, thread_calls;
static atomic_int injected;
static long fail_alloc_at, fail_thread_at;   /* 0: never */
static int trace;

/* dlsym may allocate while the real functions are being looked up: those
 * requests come from this arena and are never freed. */
static _Alignas(64) char boot_arena[16384];
static size_t boot_used;
static int resolving;

static void *boot_alloc(size_t n) {
    size_t at = (boot_used + 63) & ~(size_t)63;
    if (at + n > sizeof boot_arena) return NULL;
    boot_used = at + n;
    return boot_arena + at;
}

static int from_boot(const void *p) {
    return (const char *)p >= boot_arena && (const char *)p < boot_arena + sizeof boot_arena;
}

static void resolve(void) {
    if (real.malloc || resolving) return;
    resolving = 1;
    real.calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    real.realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real.free = (free_fn)dlsym(RTLD_NEXT, "free");
    real.posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real.aligned_alloc = (aligned_alloc_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real.memalign = (aligned_alloc_fn)dlsym(RTLD_NEXT, "memalign");
    real.valloc = (valloc_fn)dlsym(RTLD_NEXT, "valloc");
    real.pvalloc = (valloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    real.pthread_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
    real.malloc = (malloc_fn)dlsym(RTLD_NEXT, "malloc");   /* last: it marks the table complete */
    resolving = 0;
    /* std::__throw_bad_alloc of the process's libstdc++ (mapped by now: every
     * object is loaded before the first constructor runs). */
    real.throw_bad_alloc = (noreturn_fn)dlsym(RTLD_DEFAULT, "_ZSt17__throw_bad_allocv");
}

static long env_long(const char *name) {
    const char *v = getenv(name);
    return v ? atol(v) : 0;
}

__attribute__((constructor)) static void shim_init(void) {
    resolve();
    fail_alloc_at = env_long("LOOM_FAULT_ALLOC");
    fail_thread_at = env_long("LOOM_FAULT_THREAD");
    trace = env_long("LOOM_FAULT_TRACE") != 0;
    if (trace) {   /* the first backtrace() loads libgcc_s (allocating): do it now */
        void *frames[2];
        backtrace(frames, 2);
    }
}

__attribute__((destructor)) static void shim_report(void) {
    char line[128];
    int n = snprintf(line, sizeof line, "fault_shim: allocs=%ld threads=%ld injected=%d\n", atomic_load(&alloc_calls),
                     atomic_load(&thread_calls), atomic_load(&injected));
    if (n > 0) {
        ssize_t w = write(2, line, (size_t)n);
        (void)w;
    }
}

/* Counting and arming: called by the driver (declared weak there). Only the
 * arming thread's calls count: loom's worker threads allocate nothing, and a
 * new thread's own start-up (glibc, and ASan's pthread_getattr_np, which
 * cannot survive a failure) is not loom's. */
static pthread_t armed_thread;
SHIM_API void fault_shim_arm(int on) {
    armed_thread = pthread_self();
    atomic_store(&armed, on);
}

/* True when this armed call is the one to fail. */
static int should_fail(atomic_long *calls, long fail_at) {
    if (!atomic_load(&armed) || !pthread_equal(pthread_self(), armed_thread)) return 0;
    long n = atomic_fetch_add(calls, 1) + 1;
    if (n != fail_at) return 0;
    atomic_store(&injected, 1);
    if (trace) {   /* backtrace_symbols_fd allocates nothing */
        void *frames[48];
        backtrace_symbols_fd(frames, backtrace(frames, 48), 2);
    }
    return 1;
}

static int fail_alloc(void) { return should_fail(&alloc_calls, fail_alloc_at); }

/* ---- C allocation ------------------------------------------------------- */

SHIM_API void *malloc(size_t n) {
    if (!real.malloc) {
        resolve();
        if (!real.malloc) return boot_alloc(n);
    }
    if (fail_alloc()) {
        errno = ENOMEM;
        return NULL;
    }
    return real.malloc(n);
}

SHIM_API void *calloc(size_t n, size_t size) {
    if (!real.malloc) {
        resolve();
        if (!real.malloc) return boot_alloc(n * size);   /* the arena is zero and never reused */
    }
    if (fail_alloc()) {
        errno = ENOMEM;
        return NULL;
    }
    return real.calloc(n, size);
}

SHIM_API void free(void *p) {
    if (!p || from_boot(p)) return;
    real.free(p);
}

SHIM_API void *realloc(void *p, size_t n) {
    if (from_boot(p)) {   /* move it out of the arena (its size is unknown: copy what fits) */
        void *q = malloc(n);
        if (q) memcpy(q, p, n < (size_t)(boot_arena + sizeof boot_arena - (char *)p) ? n : (size_t)(boot_arena + sizeof boot_arena - (char *)p));
        return q;
    }
    if (fail_alloc()) {
        errno = ENOMEM;
        return NULL;
    }
    return real.realloc(p, n);
}

SHIM_API int posix_memalign(void **out, size_t align, size_t n) {
    if (fail_alloc()) return ENOMEM;
    return real.posix_memalign(out, align, n);
}

SHIM_API void *aligned_alloc(size_t align, size_t n) {
    if (fail_alloc()) {
        errno = ENOMEM;
        return NULL;
    }
    return real.aligned_alloc(align, n);
}

SHIM_API void *memalign(size_t align, size_t n) {
    if (fail_alloc()) {
        errno = ENOMEM;
        return NULL;
    }
    return real.memalign(align, n);
}

SHIM_API void *valloc(size_t n) {
    if (fail_alloc()) {
        errno = ENOMEM;
        return NULL;
    }
    return real.valloc(n);
}

SHIM_API void *pvalloc(size_t n) {
    if (fail_alloc()) {
        errno = ENOMEM;
        return NULL;
    }
    return real.pvalloc(n);
}

/* ---- C++ operator new / delete (Itanium C++ ABI names) ------------------ */

/* A failed throwing new raises std::bad_alloc through libstdc++'s
 * std::__throw_bad_alloc: it unwinds through this C frame (built with
 * -fexceptions) to the caller's handler. */
static void *new_or_throw(void *p) {
    if (p) return p;
    if (!real.throw_bad_alloc) abort();   /* no libstdc++ in the process: cannot happen with loom */
    real.throw_bad_alloc();
}

static void *aligned_new(size_t n, size_t align) {
    void *p = NULL;
    if (align < sizeof(void *)) align = sizeof(void *);
    return posix_memalign(&p, align, n ? n : 1) == 0 ? p : NULL;
}

SHIM_API void *_Znwm(size_t n) { return new_or_throw(malloc(n ? n : 1)); }
SHIM_API void *_Znam(size_t n) { return new_or_throw(malloc(n ? n : 1)); }
SHIM_API void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt) { (void)nt; return malloc(n ? n : 1); }
SHIM_API void *_ZnamRKSt9nothrow_t(size_t n, const void *nt) { (void)nt; return malloc(n ? n : 1); }
SHIM_API void *_ZnwmSt11align_val_t(size_t n, size_t a) { return new_or_throw(aligned_new(n, a)); }
SHIM_API void *_ZnamSt11align_val_t(size_t n, size_t a) { return new_or_throw(aligned_new(n, a)); }
SHIM_API void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *nt) { (void)nt; return aligned_new(n, a); }
SHIM_API void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void *nt) { (void)nt; return aligned_new(n, a); }

SHIM_API void _ZdlPv(void *p) { free(p); }
SHIM_API void _ZdaPv(void *p) { free(p); }
SHIM_API void _ZdlPvm(void *p, size_t n) { (void)n; free(p); }
SHIM_API void _ZdaPvm(void *p, size_t n) { (void)n; free(p); }
SHIM_API void _ZdlPvRKSt9nothrow_t(void *p, const void *nt) { (void)nt; free(p); }
SHIM_API void _ZdaPvRKSt9nothrow_t(void *p, const void *nt) { (void)nt; free(p); }
SHIM_API void _ZdlPvSt11align_val_t(void *p, size_t a) { (void)a; free(p); }
SHIM_API void _ZdaPvSt11align_val_t(void *p, size_t a) { (void)a; free(p); }
SHIM_API void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t a) { (void)n; (void)a; free(p); }
SHIM_API void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t a) { (void)n; (void)a; free(p); }
SHIM_API void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *nt) { (void)a; (void)nt; free(p); }
SHIM_API void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t a, const void *nt) { (void)a; (void)nt; free(p); }

/* ---- threads ------------------------------------------------------------ */

SHIM_API int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
    if (should_fail(&thread_calls, fail_thread_at)) return EAGAIN;
    return real.pthread_create(t, attr, fn, arg);
}
