/*
 * criu-tcp-push.so — preloaded into CRIU for a dump to a page server (berth's live moves).
 *
 * CRIU's page-server client keeps its TCP socket corked for the whole session (TCP_CORK at
 * connect, "corked by default with sporadic NODELAY-s") and, since the closing command of
 * disconnect_from_page_server lost its TCP_NODELAY push, that last small segment waits for
 * the kernel's 200 ms cork timeout before the server sees it and answers: every dump to a
 * page server ends 0.2 s late, with the instance frozen (measured: node-agent design.md).
 *
 * Here, setting TCP_CORK on turns Nagle off instead (TCP_NODELAY), and clearing it does
 * nothing: every write goes out as it is made. Any other option passes through unchanged.
 * Built by deploy/setup-host into /usr/local/lib/berth/lib; berth sets LD_PRELOAD to it for
 * `runc checkpoint --page-server` only (runtime/runc.ts). Calls the kernel directly, so it
 * depends on no particular C library version.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	if (level == IPPROTO_TCP && name == TCP_CORK && value != NULL && len == sizeof(int)) {
		int on = 1;

		if (*(const int *)value == 0)
			return 0;
		return (int)syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_NODELAY, &on, (socklen_t)sizeof(on));
	}
	return (int)syscall(SYS_setsockopt, fd, level, name, value, len);
}
