/*
 * criu-lazy-connect.so — preloaded into a post-copy move's `runc restore --lazy-pages` (its
 * CRIU), so that the restore can start beside its `criu lazy-pages` daemon instead of after it.
 *
 * CRIU's restore connects once to the daemon's unix socket (<work>/lazy-pages.socket,
 * prepare_lazy_pages_socket in criu/uffd.c) and fails when nothing listens there yet, so berth
 * used to wait for the socket before it started runc: the daemon's start (~8-40 ms here) came
 * on top of runc's and CRIU's own, all inside the move's downtime.
 *
 * Here, a connect() to a unix socket whose path is BERTH_CRIU_LAZY_SOCKET (as CRIU gives it:
 * "lazy-pages.socket", in its work folder) that fails because
 * the socket is not there yet (ENOENT) or not listening yet (ECONNREFUSED) is tried again
 * every millisecond, until it succeeds, BERTH_CRIU_LAZY_WAIT_MS pass (default 10000), or the
 * process BERTH_CRIU_LAZY_DAEMON_PID (the daemon's watchdog) has ended (watched through a
 * pidfd, so a zombie or a reused pid does not count as alive): then the last error is
 * returned, as CRIU would have had it at once. Any other connect passes through unchanged.
 * Without BERTH_CRIU_LAZY_SOCKET nothing changes.
 *
 * Built by deploy/setup-host into /usr/local/lib/berth/lib (runtime/runc.ts restoreLazy).
 * Calls the kernel through the C library's syscall().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long number(const char *s, long fallback)
{
	long v = 0;

	int digits = 0;

	if (s == NULL || *s == 0)
		return fallback;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || ++digits > 12)
			return fallback;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static long now_ms(void)
{
	struct timespec t;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int is_the_socket(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
	const char *want = getenv("BERTH_CRIU_LAZY_SOCKET");
	size_t n, room;

	if (want == NULL || *want == 0 || sa == NULL || len <= sizeof(sa_family_t) || un->sun_family != AF_UNIX)
		return 0;
	room = len - sizeof(sa_family_t);
	n = strlen(want);
	return n < sizeof(un->sun_path) && n <= room && strncmp(un->sun_path, want, n) == 0 && (n == room || un->sun_path[n] == 0);
}

/*
 * Whether the watched process has ended: its pidfd (opened once: a later process with the
 * same pid cannot pass for it) polls readable once it exited, zombie or reaped; without
 * pidfds, kill(pid, 0).
 */
static int gone(long pid, int *pidfd)
{
	struct pollfd p;

	if (pid <= 0)
		return 0;
	if (*pidfd == -2) {
		*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (*pidfd < 0 && errno == ESRCH)
			return 1;
	}
	if (*pidfd < 0)
		return syscall(SYS_kill, pid, 0) != 0 && errno == ESRCH;
	p.fd = *pidfd;
	p.events = POLLIN;
	p.revents = 0;
	return syscall(SYS_poll, &p, 1, 0) > 0;
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	long r = syscall(SYS_connect, fd, sa, len);
	long until, daemon;
	int err, pidfd = -2;

	if (r == 0 || (errno != ENOENT && errno != ECONNREFUSED) || !is_the_socket(sa, len))
		return (int)r;
	err = errno;
	until = now_ms() + number(getenv("BERTH_CRIU_LAZY_WAIT_MS"), 10000);
	daemon = number(getenv("BERTH_CRIU_LAZY_DAEMON_PID"), 0);
	while (now_ms() < until) {
		struct timespec ms = { 0, 1000000L };

		if (gone(daemon, &pidfd))
			break;
		syscall(SYS_nanosleep, &ms, NULL);
		r = syscall(SYS_connect, fd, sa, len);
		if (r == 0) {
			if (pidfd >= 0)
				syscall(SYS_close, pidfd);
			return 0;
		}
		err = errno;
		if (err != ENOENT && err != ECONNREFUSED)
			break;
	}
	if (pidfd >= 0)
		syscall(SYS_close, pidfd);
	errno = err;
	return -1;
}
