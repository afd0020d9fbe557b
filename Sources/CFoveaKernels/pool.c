// The engine's worker threads. Each parallel loop hands its chunks to
// workers that spin for a while after their last chunk before they sleep, so
// back-to-back loops (a layer's transforms, products and pooling; one layer
// after another) start in well under a microsecond. libdispatch's
// concurrentPerform, used before, woke its threads in 12-20 µs (median; p90
// 25-50 µs) after a few microseconds of serial work: a dozen such wake-ups
// made up a noticeable part of one image's 1-2 ms.
//
// Spinning threads yield the core every few microseconds (the submitter
// after a short wait): when another process keeps one of two cores busy, the
// submitter and a worker often share the other, and a plain spin took half of
// it from the thread with work. With a busy loop pinned to one core (in-process
// A/B medians): geron-deep 1024 images 934 -> 800 ms, one image 1.99 -> 1.16
// ms; fovea-emnist training step 149 -> 110 ms, 1024 images 391 -> 236 ms.
// Quiet figures stayed within noise.
//
// One job runs at a time. Its descriptor is published seqlock-style: the
// submitter makes the generation odd, writes the descriptor, then publishes
// the next even generation with chunk index 0 in one 64-bit ticket. Workers
// read the descriptor between two reads of an even, unchanged generation and
// claim chunks by compare-and-swap on the ticket, so a chunk is only ever run
// under the generation its descriptor belongs to, and exactly once.
#include "fovea_kernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <limits.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <sched.h>

#define MAX_WORKERS 255
// How long an idle worker spins before it sleeps.
#define SPIN_NS 200000L

static _Atomic uint64_t ticket;          // generation << 32 | next chunk
static _Atomic long done;                // chunks finished in this job
static _Atomic(fovea_pool_task) job_fn;
static _Atomic(void *) job_ctx;
static _Atomic long job_chunks;
static _Atomic uint32_t wake_seq;        // futex word
static _Atomic int sleepers;
static atomic_flag busy = ATOMIC_FLAG_INIT;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int workers;              // grown under start_lock

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void sleep_on(uint32_t seq) {
#ifdef __linux__
    syscall(SYS_futex, &wake_seq, FUTEX_WAIT_PRIVATE, seq, NULL, NULL, 0);
#else
    (void)seq;
    sched_yield();
#endif
}

static void wake_all(void) {
#ifdef __linux__
    syscall(SYS_futex, &wake_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#endif
}

/// Claims and runs chunks of generation `gen` until none is left.
static void run_chunks(uint32_t gen, fovea_pool_task fn, void *ctx, long chunks) {
    uint64_t t = atomic_load(&ticket);
    for (;;) {
        if ((uint32_t)(t >> 32) != gen) return;
        const long index = (long)(t & 0xffffffffu);
        if (index >= chunks) return;
        if (!atomic_compare_exchange_weak(&ticket, &t, t + 1)) continue;
        fn(ctx, index);
        atomic_fetch_add_explicit(&done, 1, memory_order_release);
        t = atomic_load(&ticket);
    }
}

static void *worker(void *unused) {
    (void)unused;
    // Everything a worker runs is inside a parallel loop: loops nested in
    // it run inline.
    fovea_set_parallel_depth(1);
    uint32_t seen = (uint32_t)(atomic_load(&ticket) >> 32);
    long idle_since = now_ns();
    unsigned spins = 0;
    for (;;) {
        uint64_t t = atomic_load(&ticket);
        uint32_t gen = (uint32_t)(t >> 32);
        if (gen != seen && (gen & 1) == 0) {
            fovea_pool_task fn = atomic_load(&job_fn);
            void *ctx = atomic_load(&job_ctx);
            long chunks = atomic_load(&job_chunks);
            if ((uint32_t)(atomic_load(&ticket) >> 32) != gen) continue;  // rewritten meanwhile
            seen = gen;
            run_chunks(gen, fn, ctx, chunks);
            idle_since = now_ns();
            spins = 0;
            continue;
        }
        if (++spins % 64 != 0) {
            cpu_relax();
            continue;
        }
        if (now_ns() - idle_since < SPIN_NS) {
            // Let a thread that shares this core (the submitter, when the
            // machine is busy) run instead of this spin.
            sched_yield();
            continue;
        }
        // Sleep until a submitter bumps wake_seq. Dekker-style: count as a
        // sleeper, then look at the ticket again, all sequentially
        // consistent, so a job published meanwhile is either seen here or
        // sees this sleeper and wakes it.
        uint32_t seq = atomic_load(&wake_seq);
        atomic_fetch_add(&sleepers, 1);
        t = atomic_load(&ticket);
        gen = (uint32_t)(t >> 32);
        if (gen == seen || (gen & 1) != 0) sleep_on(seq);
        atomic_fetch_sub(&sleepers, 1);
        idle_since = now_ns();
    }
    return NULL;
}

/// Starts workers until there are `wanted`; returns how many there are.
static int ensure_workers(int wanted) {
    if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
    // Every parallel loop asks; only the first few need the lock.
    const int have_now = atomic_load(&workers);
    if (have_now >= wanted) return have_now;
    pthread_mutex_lock(&start_lock);
    while (workers < wanted) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&thread, &attr, worker, NULL);
        pthread_attr_destroy(&attr);
        if (failed) break;
        workers++;
    }
    const int have = workers;
    pthread_mutex_unlock(&start_lock);
    return have;
}

int fovea_pool_run(int threads, long chunks, fovea_pool_task fn, void *ctx) {
    if (chunks <= 0) return 0;
    if (threads < 2 || chunks < 2 || chunks > 0x7fffffffL) return -1;
    if (ensure_workers(threads - 1) < 1) return -1;
    // Another thread's job is running: the caller runs this one inline.
    if (atomic_flag_test_and_set(&busy)) return -1;
    uint64_t t = atomic_load(&ticket);
    const uint32_t gen = (uint32_t)(t >> 32) + 2;
    atomic_store(&ticket, (uint64_t)(gen - 1) << 32);   // odd: being written
    atomic_store(&job_fn, fn);
    atomic_store(&job_ctx, ctx);
    atomic_store(&job_chunks, chunks);
    atomic_store(&done, 0);
    atomic_store(&ticket, (uint64_t)gen << 32);         // published, chunk 0 next
    if (atomic_load(&sleepers) > 0) {
        atomic_fetch_add(&wake_seq, 1);
        wake_all();
    }
    const int depth = fovea_parallel_depth();
    fovea_set_parallel_depth(1);
    run_chunks(gen, fn, ctx, chunks);
    fovea_set_parallel_depth(depth);
    unsigned spins = 0;
    while (atomic_load_explicit(&done, memory_order_acquire) < chunks) {
        // A worker descheduled mid-chunk, or on this core: let it run.
        if (++spins > 64) sched_yield();
        else cpu_relax();
    }
    atomic_flag_clear(&busy);
    return 0;
}
