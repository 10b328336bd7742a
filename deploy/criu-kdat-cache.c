/*
 * criu-kdat-cache.so — preloaded into every CRIU berth runs (dumps, restores, page servers,
 * lazy-pages daemons, `criu check`), so that CRIU keeps its "kerndat" cache on this host.
 *
 * Every CRIU run first probes the kernel (kerndat_init, criu/kerndat.c: a child in a new
 * network namespace for nftables, ptrace and vDSO checks, ...): 30-40 ms here, inside the
 * downtime of a live move for the target's restore and its lazy-pages daemon. CRIU keeps the
 * result in /run/criu.kdat and loads it on later runs, but only saves it when that file is on
 * a tmpfs (so it is gone after a reboot): on hosts whose /run is not a tmpfs (this one) it
 * never saves it, and every run probes again. CRIU 4.1.1 also leaves its temporary file
 * /run/criu.kdat.tmp behind in that case, which stops any later save (O_EXCL).
 *
 * Here, with BERTH_CRIU_KDAT set to a file's path (berth gives a root-only folder on a tmpfs,
 * /dev/shm: gone after a reboot, as CRIU requires), CRIU's own cache paths are that file:
 * "/run/criu.kdat" is BERTH_CRIU_KDAT, and its temporary "/run/criu.kdat.tmp" (or
 * "/run/.criu.kdat" of older CRIUs) is BERTH_CRIU_KDAT.<pid>.tmp, so concurrent CRIUs never
 * share one. CRIU's own checks stay as they are (the tmpfs check of the file it saves; the
 * magic numbers and size it checks when it loads one). Only open64/open, openat64/openat,
 * rename and unlink of exactly those paths are redirected; every call goes on to the next
 * definition (a library preloaded after this one, else the C library's), so others stacked
 * with it still see CRIU's calls. Without the variable nothing changes.
 *
 * Built by deploy/setup-host into /usr/local/lib/berth/lib (runtime/criu-env.ts). Calls the
 * next definition through the C library's dlsym (glibc 2.34 and later have it in libc).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "preload-next.h"

#define PATH_ROOM 512 /* BERTH_CRIU_KDAT and its temporary name: a longer one is not redirected */

static int is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* The path CRIU meant, or the one berth gave for it (written into buf). */
static const char *redirect(const char *path, char *buf)
{
	const char *cache = getenv("BERTH_CRIU_KDAT");
	size_t n;
	long pid;
	char digits[24];
	int k = 0;

	if (cache == NULL || cache[0] != '/' || path == NULL)
		return path;
	if (is(path, "/run/criu.kdat"))
		return cache;
	if (!is(path, "/run/criu.kdat.tmp") && !is(path, "/run/.criu.kdat"))
		return path;
	n = strlen(cache);
	if (n + 32 > PATH_ROOM)
		return path;
	memcpy(buf, cache, n);
	buf[n++] = '.';
	pid = syscall(SYS_getpid);
	do {
		digits[k++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0 && k < (int)sizeof(digits));
	while (k > 0)
		buf[n++] = digits[--k];
	memcpy(buf + n, ".tmp", 5);
	return buf;
}

static long mode_of(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (long)va_arg(ap, int) : 0;
}

/*
 * The next definition of a call: another library preloaded after this one (berth stacks
 * criu-late-freeze.so, which watches CRIU's opens too), else the C library's.
 */
typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*unlink_fn)(const char *);
static void *next_open64, *next_openat64, *next_rename, *next_unlink;

/* open64 (at: 0) or openat64 (at: 1, in `dir`), with CRIU's cache paths made berth's. */
static int open_next(int at, int dir, const char *path, int flags, long mode)
{
	char buf[PATH_ROOM];
	const char *p = redirect(path, buf);

	open_fn o;
	openat_fn oat;

	if (!at) {
		o = (open_fn)next_of(&next_open64, "open64");
		return o != NULL ? o(p, flags, (int)mode) : (int)syscall(SYS_openat, AT_FDCWD, p, flags, mode);
	}
	oat = (openat_fn)next_of(&next_openat64, "openat64");
	return oat != NULL ? oat(dir, p, flags, (int)mode) : (int)syscall(SYS_openat, dir, p, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	long mode;

	va_start(ap, flags);
	mode = mode_of(flags, ap);
	va_end(ap);
	return open_next(0, AT_FDCWD, path, flags, mode);
}

int open(const char *path, int flags, ...) __attribute__((alias("open64")));

int openat64(int dir, const char *path, int flags, ...)
{
	va_list ap;
	long mode;

	va_start(ap, flags);
	mode = mode_of(flags, ap);
	va_end(ap);
	return open_next(1, dir, path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...) __attribute__((alias("openat64")));

int rename(const char *from, const char *to)
{
	char a[PATH_ROOM], b[PATH_ROOM];
	const char *x = redirect(from, a), *y = redirect(to, b);
	rename_fn f = (rename_fn)next_of(&next_rename, "rename");

	return f != NULL ? f(x, y) : (int)syscall(SYS_renameat, AT_FDCWD, x, AT_FDCWD, y);
}

int unlink(const char *path)
{
	char buf[PATH_ROOM];
	const char *p = redirect(path, buf);
	unlink_fn f = (unlink_fn)next_of(&next_unlink, "unlink");

	return f != NULL ? f(p) : (int)syscall(SYS_unlinkat, AT_FDCWD, p, 0);
}
