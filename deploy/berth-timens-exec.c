/*
 * berth-timens-exec — runs a command in the time namespace of the container's init.
 *
 * A container CRIU restored (a live move, a stateful start) runs in a time namespace of its
 * own, which keeps its monotonic clocks going on from the dump. runc 1.1 joins every namespace
 * of init on `runc exec` except that one, so a process exec'd there would live outside it, and
 * CRIU cannot dump such a process tree again ("Can't restore sub-task in NS (cflags 80)" on the
 * next live move). runc itself cannot simply run inside that namespace either: it reads init's
 * start time from /proc, which the namespace's offsets shift, and then takes the container for
 * stopped.
 *
 * So berth (runtime/runc.ts) hands this static program to the exec'd process as a file
 * descriptor (`runc exec --preserve-fds`) and makes it the process's first argument
 * (/proc/self/fd/N): inside the container it joins /proc/1/ns/time (init's), then executes the
 * real command. Where it may not (a privileged container without CAP_SYS_ADMIN over the
 * namespace) it runs the command where it is and says so on stderr. Built by deploy/setup-host
 * into /usr/local/lib/berth/lib/berth-timens-exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: berth-timens-exec COMMAND [ARG...]\n");
		return 127;
	}
	/* Started as /proc/self/fd/N: that descriptor (this program's file, from the host) must
	 * not reach the command, or CRIU could not dump the process (a file outside the
	 * container's mounts). */
	if (strncmp(argv[0], "/proc/self/fd/", 14) == 0)
		fcntl(atoi(argv[0] + 14), F_SETFD, FD_CLOEXEC);
	fd = open("/proc/1/ns/time", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (setns(fd, CLONE_NEWTIME) != 0)
			fprintf(stderr, "berth: %s runs outside the instance's time namespace (setns: %s)\n", argv[1], strerror(errno));
		close(fd);
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "exec: \"%s\": %s\n", argv[1], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
