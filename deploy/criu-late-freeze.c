/*
 * criu-late-freeze.so — preloaded into CRIU for a live move's dump (berth's stop-and-copy
 * and post-copy moves).
 *
 * A live move keeps its source able to run on until the target runs it, so it dumps with
 * --leave-running, and the processes must stay FROZEN after the dump, not resume. CRIU leaves
 * its freezer cgroup frozen after a dump only when it found it frozen before it started
 * (freeze_processes() records the freezer's origin state; the end of the dump restores it).
 * So berth used to freeze the container (`runc pause`) before it started `runc checkpoint`,
 * and the instance stood frozen through runc's and CRIU's start-up: the RPC handshake, CRIU's
 * kernel probes, its pre-dump setup, the page server's TLS connection (40-80 ms measured).
 *
 * Here the container is frozen at the last moment instead: when CRIU opens the container's
 * freezer state file (BERTH_CRIU_FREEZE_LATE, its full path) for the first time, which it does
 * to freeze the tasks, this library freezes the cgroup itself (writes FROZEN, waits until the
 * kernel says FROZEN), then tells berth (a connection to the unix socket named by
 * BERTH_CRIU_FROZEN_SOCKET, when set) and lets CRIU go on: CRIU finds the cgroup frozen, takes
 * that as its origin state, dumps, and leaves it frozen. Every other open passes through
 * unchanged. cgroup v1's freezer only (cgroup v2's is cgroup.freeze; berth pauses first there).
 *
 * Built by deploy/setup-host into /usr/local/lib/berth/lib; berth preloads it only into the
 * `runc checkpoint` of a live move (runtime/runc.ts). Calls the kernel through the C library's
 * syscall(), so it depends on no particular C library version.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int frozen_once;

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	syscall(SYS_nanosleep, &t, NULL);
}

static int is_frozen(int fd)
{
	char buf[16];
	long n = syscall(SYS_pread64, fd, buf, sizeof(buf), 0L);

	return n >= 6 && memcmp(buf, "FROZEN", 6) == 0;
}

static void tell_berth(void)
{
	const char *at = getenv("BERTH_CRIU_FROZEN_SOCKET");
	struct sockaddr_un sa;
	size_t len;
	int s;

	if (at == NULL || (len = strlen(at)) == 0 || len >= sizeof(sa.sun_path))
		return;
	s = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, at, len);
	if (syscall(SYS_connect, s, &sa, (socklen_t)sizeof(sa)) == 0)
		syscall(SYS_write, s, "frozen\n", 7L);
	syscall(SYS_close, s);
}

/* Freezes the cgroup whose freezer.state is `state_path`; waits up to 10 s for FROZEN. */
static void freeze_now(const char *state_path)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, state_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < 10000; i++) {
		if (i % 100 == 0)
			syscall(SYS_pwrite64, fd, "FROZEN", 6L, 0L);
		if (is_frozen(fd))
			break;
		nap_ms(1);
	}
	syscall(SYS_close, fd);
	tell_berth();
}

static void before_open(const char *path)
{
	const char *want;

	if (frozen_once || path == NULL)
		return;
	want = getenv("BERTH_CRIU_FREEZE_LATE");
	if (want == NULL || strcmp(path, want) != 0)
		return;
	frozen_once = 1;
	freeze_now(path);
}

static long mode_of(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (long)va_arg(ap, int) : 0L;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	long mode;

	va_start(ap, flags);
	mode = mode_of(flags, ap);
	va_end(ap);
	before_open(path);
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	long mode;

	va_start(ap, flags);
	mode = mode_of(flags, ap);
	va_end(ap);
	if (dirfd == AT_FDCWD || path[0] == '/')
		before_open(path);
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...) __attribute__((alias("open64")));
int openat(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat64")));
