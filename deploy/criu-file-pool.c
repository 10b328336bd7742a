/*
 * criu-file-pool.so — preloaded into the CRIU of a live move's dump (berth's stop-and-copy to
 * a page server, and post-copy's lazy dump), whose ~50 image files are made while the
 * instance is frozen.
 *
 * Making a regular file costs ~0.35 ms on this host's ext4 (renaming one costs ~6 us, opening
 * an existing empty one ~10 us): ~18 ms of each live move's downtime went to CRIU creating its
 * images (session 12). berth makes empty files ahead, outside the downtime, in a pool folder
 * on the same file system (BERTH_CRIU_FILE_POOL, BERTH_CRIU_FILE_POOL_SIZE files named 0, 1,
 * 2, ...), and names the images folder they are for (BERTH_CRIU_FILE_POOL_FOR).
 *
 * Here, an openat/openat64 with O_CREAT of a plain name (no "/") in that images folder (the
 * directory descriptor is that folder: same device and inode) whose file does not exist yet
 * takes the next file of the pool instead: renamed into place (renameat2 RENAME_NOREPLACE, so
 * nothing there is ever replaced), then opened with CRIU's flags without O_CREAT/O_EXCL, and
 * given the mode CRIU asked for (less the umask), as a new file would have. Anything else, a
 * pool used up, or any failure on the way: the call goes on unchanged. Every call goes on to
 * the next definition (dlsym RTLD_NEXT), so the libraries stacked after this one still see
 * CRIU's opens; it must come BEFORE criu-late-freeze.so in LD_PRELOAD (that one's openat goes
 * straight to the kernel: a library after it would never see a call). Without the variables
 * nothing changes.
 *
 * Built by deploy/setup-host into /usr/local/lib/berth/lib (runtime/runc.ts preloads it).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "preload-next.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define POOL_MAX 4096 /* names tried at most */

typedef int (*openat_fn)(int, const char *, int, ...);
static void *next_openat64;
static int taken; /* the next pool name to try (atomic) */

static int open_next(int dir, const char *path, int flags, long mode)
{
	openat_fn oat = (openat_fn)next_of(&next_openat64, "openat64");

	return oat != NULL ? oat(dir, path, flags, (int)mode) : (int)syscall(SYS_openat, dir, path, flags, mode);
}

/* Whether `dir` is the images folder the pool is for. */
static int is_images_dir(int dir)
{
	const char *images = getenv("BERTH_CRIU_FILE_POOL_FOR");
	struct stat a, b;

	if (images == NULL || images[0] != '/' || dir < 0)
		return 0;
	if (fstat(dir, &a) != 0 || stat(images, &b) != 0)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A pool file renamed to `path` in `dir` and opened, or -1 (errno untouched) when none could be. */
static int from_pool(int dir, const char *path, int flags, long mode)
{
	const char *pool = getenv("BERTH_CRIU_FILE_POOL");
	const char *size = getenv("BERTH_CRIU_FILE_POOL_SIZE");
	char from[4096];
	struct stat st;
	int saved = errno, fd, n, limit;
	mode_t mask;

	limit = size != NULL ? atoi(size) : 0;
	if (limit > POOL_MAX)
		limit = POOL_MAX;
	if (pool == NULL || pool[0] != '/' || limit <= 0 || path == NULL || path[0] == '\0' || strchr(path, '/') != NULL)
		return -1;
	if (__atomic_load_n(&taken, __ATOMIC_RELAXED) >= limit)
		return -1; /* used up */
	if ((flags & O_TMPFILE) == O_TMPFILE || !is_images_dir(dir))
		return -1;
	if (fstatat(dir, path, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
		errno = saved;
		return -1;
	}
	for (;;) {
		n = __atomic_fetch_add(&taken, 1, __ATOMIC_RELAXED);
		if (n >= limit || snprintf(from, sizeof(from), "%s/%d", pool, n) >= (int)sizeof(from))
			break;
		if (syscall(SYS_renameat2, AT_FDCWD, from, dir, path, RENAME_NOREPLACE) == 0) {
			fd = open_next(dir, path, flags & ~(O_CREAT | O_EXCL), 0);
			if (fd < 0)
				return fd; /* the file is there now; CRIU sees why it cannot open it */
			mask = umask(0);
			umask(mask);
			if (fchmod(fd, (mode_t)mode & ~mask & 07777) != 0) {
				close(fd);
				break;
			}
			errno = saved;
			return fd;
		}
		if (errno != ENOENT)
			break; /* another file system, the name there meanwhile: made as usual */
		/* that name was taken (by another process of this dump): try the next */
	}
	errno = saved;
	return -1;
}

int openat64(int dir, const char *path, int flags, ...)
{
	va_list ap;
	long mode = 0;
	int fd;

	va_start(ap, flags);
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		mode = (long)va_arg(ap, int);
	va_end(ap);
	if (flags & O_CREAT) {
		fd = from_pool(dir, path, flags, mode);
		if (fd >= 0)
			return fd;
	}
	return open_next(dir, path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...) __attribute__((alias("openat64")));
