/*
 * embed_game.c: an NPC that "thinks" inside a game loop without dropping a
 * frame. A fixed 60 Hz loop renders a fake frame (a busy-wait standing in
 * for the renderer), then gives the NPC at most BUDGET_US microseconds of
 * loom_decode_step; the NPC's reply (greedy, like `loom run --temp 0`)
 * advances a slice per frame and streams to stdout. Uses only loom.h.
 *
 *   embed-game MODEL.gguf "LINE OF DIALOGUE" [N_TOKENS] [BUDGET_US] [RENDER_US] [THREADS] [cpu|vulkan|auto] [HZ]
 *
 * stdout: the reply. stderr: one line per frame (frame and think times, in
 * microseconds), then a summary: frames, the longest think slice and its
 * 99th and 90th percentiles, the longest slice while the line (the prompt) was being
 * read and while the reply was, the longest frame, tokens per second of game
 * time. HZ (default 60) 0 runs frames back to back: with BUDGET_US 1 each
 * frame then runs a single piece (loom_decode_step's granularity).
 *
 * Like a game engine, it brings its own workers and its own memory tracker:
 * loom's CPU kernels run on the example's worker pool (THREADS workers, the
 * calling thread one of them) through loom_context_params.parallel_for, and
 * every large block loom allocates goes through a counting allocator
 * (loom_set_allocator) whose totals are printed at exit, after everything
 * is freed, beside loom's memory plan. Built against libloom.a on Linux.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 199309L /* clock_gettime, nanosleep under -std=c11 */
#endif
#include "loom.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#include <malloc.h> /* _aligned_malloc */
#include <windows.h>
static double now_us(void) {
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart * 1e6 / (double)f.QuadPart;
}
static void sleep_us(double us) {
    if (us > 1000) Sleep((DWORD)(us / 1000));
}
#else
#include <time.h>
static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}
static void sleep_us(double us) {
    if (us <= 0) return;
    struct timespec t;
    t.tv_sec = (time_t)(us / 1e6);
    t.tv_nsec = (long)((us - (double)t.tv_sec * 1e6) * 1e3);
    nanosleep(&t, NULL);
}
#endif

#define MAX_FRAMES 1000000

/* ---- the engine's memory tracker (loom_set_allocator) ----------------------- */

typedef struct Tracker {
    atomic_llong allocs, frees, failed;
    atomic_llong live, peak;   /* bytes */
} Tracker;

static void *aligned_block(size_t size, size_t align) {
#if defined(_WIN32)
    return _aligned_malloc(size, align);
#else
    return aligned_alloc(align, (size + align - 1) / align * align);
#endif
}

static void *track_alloc(void *user, size_t size, size_t align) {
    Tracker *t = user;
    void *p = aligned_block(size, align);
    if (!p) {
        atomic_fetch_add(&t->failed, 1);
        return NULL;
    }
    atomic_fetch_add(&t->allocs, 1);
    long long now = atomic_fetch_add(&t->live, (long long)size) + (long long)size;
    long long peak = atomic_load(&t->peak);
    while (now > peak && !atomic_compare_exchange_weak(&t->peak, &peak, now)) {
    }
    return p;
}

static void track_free(void *user, void *p, size_t size, size_t align) {
    Tracker *t = user;
    (void)align;
    atomic_fetch_add(&t->frees, 1);
    atomic_fetch_sub(&t->live, (long long)size);
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

/* ---- the engine's worker pool (loom_context_params.parallel_for) ------------ */

/* n workers: the thread calling parallel_for is worker 0, n - 1 pool threads
 * the others. Each loop's tasks are taken from a shared counter; the caller
 * waits only for the workers that took part (a worker the OS has not woken
 * yet by the time the caller ran out of tasks joins no loop: on a loaded
 * machine a frame must not wait a scheduler tick for it). */
typedef struct Pool {
    pthread_mutex_t mu;
    pthread_cond_t start, finished;
    pthread_t threads[64];
    int n, stop;
    long generation;        /* one per loop */
    int active;             /* pool threads inside the current loop */
    loom_task_fn task;
    void *task_ctx;
    int64_t n_tasks;
    atomic_llong next;      /* the next task index to take */
    long long loops;        /* parallel_for calls (for the summary) */
} Pool;

typedef struct WorkerArg {
    Pool *pool;
    int32_t index;
} WorkerArg;

static WorkerArg g_worker_args[64];

static void run_tasks(Pool *p, int32_t worker) {
    for (;;) {
        const int64_t t = atomic_fetch_add(&p->next, 1);
        if (t >= p->n_tasks) return;
        p->task(p->task_ctx, t, worker);
    }
}

static void *worker_main(void *arg) {
    WorkerArg *w = arg;
    Pool *p = w->pool;
    long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->start, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        if (atomic_load(&p->next) >= p->n_tasks) continue; /* none left: the caller took them */
        p->active++;
        pthread_mutex_unlock(&p->mu);
        run_tasks(p, w->index);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0) pthread_cond_signal(&p->finished);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* loom_parallel_for_fn: every task of the loop, on all workers; returns when all are done. */
static void pool_parallel_for(void *user, int64_t n_tasks, loom_task_fn task, void *task_ctx) {
    Pool *p = user;
    p->loops++;
    if (p->n == 1 || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++) task(task_ctx, t, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->task = task;
    p->task_ctx = task_ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->next, 0);
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    run_tasks(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->active > 0) pthread_cond_wait(&p->finished, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static int pool_start(Pool *p, int n) {
    memset(p, 0, sizeof *p);
    p->n = n < 1 ? 1 : n > 64 ? 64 : n;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->finished, NULL);
    for (int i = 1; i < p->n; i++) {
        g_worker_args[i].pool = p;
        g_worker_args[i].index = i;
        if (pthread_create(&p->threads[i], NULL, worker_main, &g_worker_args[i]) != 0) {
            p->n = i;   /* the threads started so far */
            return 1;
        }
    }
    return 0;
}

static void pool_stop(Pool *p) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->finished);
    pthread_mutex_destroy(&p->mu);
}

/* ---- the NPC: a reply generated one decode slice at a time ---------------- */

typedef struct Npc {
    const loom_model *model;
    loom_context *ctx;
    loom_batch *batch;
    loom_sampler *sampler;
    loom_detokenizer *detok;
    int32_t pos;          /* next position in the cache */
    int n_left;           /* tokens still to sample */
    int n_made;
    int finished;
    int reading_line;     /* the decode in progress is the line itself */
} Npc;

static int fail(const char *what, loom_status st) {
    fprintf(stderr, "embed-game: %s: %s (%s)\n", what, loom_last_error(), loom_status_string(st));
    return 1;
}

static void emit(Npc *npc, int32_t tok) {
    char piece[256];
    size_t n = 0;
    if (loom_detokenizer_push(npc->detok, tok, piece, sizeof piece, &n) == LOOM_OK) fwrite(piece, 1, n, stdout);
    fflush(stdout);
}

/* The decode just finished: sample the next token, print it, begin its decode. */
static loom_status npc_next_token(Npc *npc) {
    int32_t tok = 0;
    loom_status st = loom_sample(npc->sampler, npc->ctx, -1, &tok);
    if (st != LOOM_OK) return st;
    loom_sampler_accept(npc->sampler, tok);
    npc->n_made++;
    npc->reading_line = 0;
    if (loom_token_is_eog(npc->model, tok)) {
        npc->finished = 1;
        return LOOM_OK;
    }
    emit(npc, tok);
    if (--npc->n_left <= 0) {
        npc->finished = 1;
        return LOOM_OK;
    }
    loom_batch_clear(npc->batch);
    if ((st = loom_batch_add(npc->batch, tok, npc->pos++, 0, 1)) != LOOM_OK) return st;
    return loom_decode_begin(npc->ctx, npc->batch);
}

/* Thinks for about budget_us: decode slices, and a new token whenever one completes. */
static loom_status npc_think(Npc *npc, double budget_us) {
    const double start = now_us();
    while (!npc->finished) {
        const double left = budget_us - (now_us() - start);
        if (left <= 0) break;
        int32_t done = 0;
        loom_status st = loom_decode_step(npc->ctx, (int64_t)left, &done);
        if (st != LOOM_OK) return st;
        /* Not done: the next piece would not fit in what is left of this
         * frame (stepping again would run it anyway: a step runs at least one). */
        if (!done) break;
        if ((st = npc_next_token(npc)) != LOOM_OK) return st;
    }
    return LOOM_OK;
}

static int tokenize(const loom_model *m, const char *text, int32_t **out, size_t *n) {
    size_t len = strlen(text);
    loom_status st = loom_tokenize(m, text, len, LOOM_TOKENIZE_PARSE_SPECIAL, NULL, 0, n);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return fail("tokenize", st);
    *out = malloc((*n ? *n : 1) * sizeof **out);
    if (!*out) return 1;
    if ((st = loom_tokenize(m, text, len, LOOM_TOKENIZE_PARSE_SPECIAL, *out, *n, n)) != LOOM_OK) return fail("tokenize", st);
    return *n ? 0 : fail("tokenize (the line has no tokens)", LOOM_ERR_INVALID_ARGUMENT);
}

static int npc_open(Npc *npc, const loom_model *m, const int32_t *tokens, size_t n_tokens, int n_predict, Pool *pool,
                    loom_memory_plan *plan) {
    loom_status st;
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = (uint32_t)(n_tokens + (size_t)n_predict + 1);
    cp.n_batch = (uint32_t)n_tokens;
    cp.n_threads = pool->n;                 /* worker indices 0..n-1 */
    cp.parallel_for = pool_parallel_for;    /* the engine's workers, not loom's threads */
    cp.parallel_for_user_data = pool;
    memset(npc, 0, sizeof *npc);
    npc->model = m;
    npc->n_left = n_predict;
    plan->struct_size = sizeof *plan;
    if ((st = loom_context_estimate(m, &cp, plan)) != LOOM_OK) return fail("context estimate", st);
    if ((st = loom_context_new(m, &cp, &npc->ctx)) != LOOM_OK) return fail("context", st);
    if ((st = loom_batch_new((int32_t)n_tokens, &npc->batch)) != LOOM_OK) return fail("batch", st);
    if ((st = loom_sampler_new(&npc->sampler)) != LOOM_OK || (st = loom_sampler_add_greedy(npc->sampler)) != LOOM_OK)
        return fail("sampler", st);
    if ((st = loom_detokenizer_new(m, 0, &npc->detok)) != LOOM_OK) return fail("detokenizer", st);
    /* The line is the first decode (logits for its last token only), stepped like every other. */
    for (size_t i = 0; i < n_tokens; i++) {
        loom_batch_add(npc->batch, tokens[i], (int32_t)i, 0, i + 1 == n_tokens);
        loom_sampler_accept(npc->sampler, tokens[i]);
    }
    npc->pos = (int32_t)n_tokens;
    npc->reading_line = 1;
    if ((st = loom_decode_begin(npc->ctx, npc->batch)) != LOOM_OK) return fail("decode", st);
    return 0;
}

static void npc_close(Npc *npc) {
    char tail[8];
    size_t n = 0;
    if (npc->detok && loom_detokenizer_flush(npc->detok, tail, sizeof tail, &n) == LOOM_OK) fwrite(tail, 1, n, stdout);
    loom_detokenizer_free(npc->detok);
    loom_sampler_free(npc->sampler);
    loom_batch_free(npc->batch);
    loom_context_free(npc->ctx); /* also drops a decode still in progress */
}

/* ---- the game loop ---------------------------------------------------------- */

static void busy_wait_us(double us) {
    const double end = now_us() + us;
    while (now_us() < end) {
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: embed-game MODEL.gguf LINE [N_TOKENS=32] [BUDGET_US=4000] [RENDER_US=6000] [THREADS=2] "
                        "[cpu|vulkan|auto]\n");
        return 2;
    }
    const int n_predict = argc > 3 ? atoi(argv[3]) : 32;
    const double budget_us = argc > 4 ? atof(argv[4]) : 4000;
    const double render_us = argc > 5 ? atof(argv[5]) : 6000;
    const int threads = argc > 6 ? atoi(argv[6]) : 2;
    const char *backend = argc > 7 ? argv[7] : "auto";
    const double hz = argc > 8 ? atof(argv[8]) : 60;
    const double frame_us = hz > 0 ? 1e6 / hz : 0;
    loom_model *model = NULL;
    int32_t *tokens = NULL;
    size_t n_tokens = 0;
    Npc npc;
    memset(&npc, 0, sizeof npc);
    double *think = malloc(MAX_FRAMES * sizeof *think);
    double *frame_times = malloc(MAX_FRAMES * sizeof *frame_times);
    int rc = 1, frames = 0;
    static Tracker tracker; /* zero: C11 atomics of static storage start at 0 */
    static Pool pool;
    loom_memory_plan model_plan, context_plan;
    memset(&model_plan, 0, sizeof model_plan);
    memset(&context_plan, 0, sizeof context_plan);
    double max_frame = 0, max_line = 0, max_reply = 0;
    loom_status st;

    if (!think || !frame_times) return 1;
    /* The engine's allocator first, before any loom handle exists. */
    loom_allocator alloc;
    memset(&alloc, 0, sizeof alloc);
    alloc.struct_size = sizeof alloc;
    alloc.alloc = track_alloc;
    alloc.free = track_free;
    alloc.user_data = &tracker;
    if ((st = loom_set_allocator(&alloc)) != LOOM_OK) return fail("allocator", st);
    if (pool_start(&pool, threads)) {
        pool_stop(&pool);
        fprintf(stderr, "embed-game: cannot start %d worker threads\n", threads);
        return 1;
    }
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = strcmp(backend, "cpu") == 0 ? LOOM_BACKEND_CPU : strcmp(backend, "vulkan") == 0 ? LOOM_BACKEND_VULKAN
                                                                                                 : LOOM_BACKEND_AUTO;
    model_plan.struct_size = sizeof model_plan;
    if ((st = loom_model_estimate(argv[1], &mp, &model_plan)) != LOOM_OK ||
        (st = loom_model_load(argv[1], &mp, &model)) != LOOM_OK) {
        fail("load", st);
        goto done;
    }
    if (tokenize(model, argv[2], &tokens, &n_tokens) ||
        npc_open(&npc, model, tokens, n_tokens, n_predict, &pool, &context_plan))
        goto done;

    const double t0 = now_us();
    double next_frame = t0;
    while (!npc.finished && frames < MAX_FRAMES) {
        const double frame_start = now_us();
        busy_wait_us(render_us); /* "rendering" */
        const double think_start = now_us();
        const int reading_line = npc.reading_line;
        if ((st = npc_think(&npc, budget_us)) != LOOM_OK) {
            fail("think", st);
            goto done;
        }
        const double end = now_us();
        think[frames] = end - think_start;
        frame_times[frames] = end - frame_start;
        if (reading_line && think[frames] > max_line) max_line = think[frames];
        if (!reading_line && think[frames] > max_reply) max_reply = think[frames];
        if (end - frame_start > max_frame) max_frame = end - frame_start;
        fprintf(stderr, "frame %d: %.0f us (think %.0f us)\n", frames, end - frame_start, think[frames]);
        frames++;
        next_frame += frame_us; /* fixed timestep: wait for the next tick */
        sleep_us(next_frame - now_us());
    }
    printf("\n");
    {
        const double seconds = (now_us() - t0) / 1e6;
        qsort(think, (size_t)frames, sizeof *think, cmp_double);
        const double max_think = frames ? think[frames - 1] : 0;
        const double p99 = frames ? think[(size_t)((frames - 1) * 0.99)] : 0;
        const double p90 = frames ? think[(size_t)((frames - 1) * 0.90)] : 0;
        fprintf(stderr,
                "frames %d; think budget %.0f us: max %.0f us, p99 %.0f us, p90 %.0f us (reading the line: max %.0f us; "
                "replying: max %.0f us); longest frame %.0f us (of %.0f); %d tokens in %.2f s of game time (%.1f tok/s)\n",
                frames, budget_us, max_think, p99, p90, max_line, max_reply, max_frame, frame_us, npc.n_made, seconds,
                seconds > 0 ? npc.n_made / seconds : 0.0);
        qsort(frame_times, (size_t)frames, sizeof *frame_times, cmp_double);
        fprintf(stderr, "frame times (render + think): max %.0f us, p99 %.0f us, p50 %.0f us; %lld loops on %d workers\n",
                frames ? frame_times[frames - 1] : 0, frames ? frame_times[(size_t)((frames - 1) * 0.99)] : 0,
                frames ? frame_times[(size_t)((frames - 1) * 0.50)] : 0, pool.loops, pool.n);
    }
    rc = 0;

done:
    npc_close(&npc);
    free(tokens);
    free(think);
    free(frame_times);
    loom_model_free(model);
    pool_stop(&pool);
    /* Everything is freed: the tracker must be back to zero. */
    fprintf(stderr,
            "memory: tracked peak %lld bytes (plan: model %llu + context %llu host bytes); allocations %lld, "
            "frees %lld, refused %lld, live at exit %lld bytes\n",
            (long long)atomic_load(&tracker.peak), (unsigned long long)model_plan.host,
            (unsigned long long)context_plan.host, (long long)atomic_load(&tracker.allocs),
            (long long)atomic_load(&tracker.frees), (long long)atomic_load(&tracker.failed),
            (long long)atomic_load(&tracker.live));
    loom_set_allocator(NULL);
    return rc;
}
