/*
 * criu-pipe-clamp.so — preloaded into CRIU for a live move's lazy dump (berth's post-copy).
 *
 * CRIU's lazy page server (page_server_serve -> pipe_read_dest_init, criu/page-pipe.c)
 * makes a "tee" pipe and asks for a buffer of PIPE_MAX_SIZE pages (819 x 4 KiB = 3,354,624
 * bytes). Above fs.pipe-max-size (1 MiB by default) the kernel grants that only to a process
 * with CAP_SYS_RESOURCE, which no process on some hosts can have (it is outside the bounding
 * set). CRIU 4.1.1 ignores the failure before it opens its /dev/null sink, so the first page
 * the lazy-pages daemon asks for fails ("page-pipe: splice: -1: Bad file descriptor", "Lazy
 * pages transfer FAILED") and post-copy cannot work there.
 *
 * Here, that one request (F_SETPIPE_SZ of exactly 819 pages), when refused with EPERM, is
 * made again at fs.pipe-max-size, which is enough: no page-pipe buffer of CRIU's is larger
 * than that limit. Every other call passes through unchanged (CRIU's own page pipes grow
 * step by step and treat a refusal as "start another buffer": left alone).
 *
 * Built by deploy/setup-host into /usr/local/lib/berth/lib; berth sets LD_PRELOAD to it for
 * `runc checkpoint --lazy-pages` only (runtime/runc.ts). Calls the kernel through the C
 * library's syscall(), so it depends on no particular C library version.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CRIU_TEE_PIPE_BYTES (819L * 4096L)

static long pipe_max_size(void)
{
	char buf[32];
	long n = 0, v = 0;
	int fd = (int)syscall(SYS_open, "/proc/sys/fs/pipe-max-size", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1048576;
	n = syscall(SYS_read, fd, buf, sizeof(buf));
	syscall(SYS_close, fd);
	for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (buf[i] - '0');
	return v > 0 ? v : 1048576;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg, r;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	r = syscall(SYS_fcntl, fd, cmd, arg);
	if (r < 0 && errno == EPERM && cmd == F_SETPIPE_SZ && arg == CRIU_TEE_PIPE_BYTES)
		r = syscall(SYS_fcntl, fd, cmd, pipe_max_size());
	return (int)r;
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
