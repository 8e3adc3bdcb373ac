// Test-only: preloaded into kith by CrashMatrixCLITests (LD_PRELOAD), it
// counts every durability point (fsync, fdatasync, rename, renameat, link,
// linkat: each SQLite commit and each file published) and SIGKILLs the
// process at the one named by KITH_CRASH_AT, just before it
// (KITH_CRASH_WHEN=before) or just after it returns (after). With
// KITH_CRASH_COUNT_FILE set, it writes the running count there, so a clean
// run says how many points an operation has. Nothing else changes.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long target = -1;
static int after = 0;
static const char *count_file = NULL;
static long counter = 0;

__attribute__((constructor)) static void crashpoint_setup(void) {
    const char *at = getenv("KITH_CRASH_AT");
    const char *when = getenv("KITH_CRASH_WHEN");
    if (at) target = atol(at);
    after = when && strcmp(when, "after") == 0;
    count_file = getenv("KITH_CRASH_COUNT_FILE");
}

static void crashpoint_note(long n) {
    if (!count_file) return;
    int fd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    char text[32];
    int length = snprintf(text, sizeof text, "%ld\n", n);
    if (length > 0) (void)!write(fd, text, (size_t)length);
    close(fd);
}

static long crashpoint_enter(void) {
    long n = __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
    crashpoint_note(n);
    if (!after && n == target) kill(getpid(), SIGKILL);
    return n;
}

static void crashpoint_leave(long n) {
    if (after && n == target) kill(getpid(), SIGKILL);
}

#define CRASHPOINT(ret, name, params, args)                      \
    ret name params {                                           \
        static ret (*real) params = NULL;                        \
        if (!real) real = (ret (*) params)dlsym(RTLD_NEXT, #name); \
        long n = crashpoint_enter();                             \
        ret result = real args;                                  \
        crashpoint_leave(n);                                     \
        return result;                                           \
    }

CRASHPOINT(int, fsync, (int fd), (fd))
CRASHPOINT(int, fdatasync, (int fd), (fd))
CRASHPOINT(int, rename, (const char *from, const char *to), (from, to))
CRASHPOINT(int, renameat, (int fromDir, const char *from, int toDir, const char *to), (fromDir, from, toDir, to))
CRASHPOINT(int, link, (const char *from, const char *to), (from, to))
CRASHPOINT(int, linkat, (int fromDir, const char *from, int toDir, const char *to, int flags), (fromDir, from, toDir, to, flags))
