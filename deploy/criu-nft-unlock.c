/*
 * criu-nft-unlock.so — preloaded into every CRIU berth runs (runtime/criu-env.ts), so that
 * removing CRIU's network lock no longer waits for the kernel's clean-up of it.
 *
 * CRIU locks the container's network with an nftables table while it dumps and restores
 * ("network-lock nftables", runtime/runc.ts) and removes it at the end: a fresh libnftables
 * context, "delete table inet CRIU-<pid>", the context freed. In a live move both ends are
 * inside the downtime (the dump's, before a lazy dump reports its images ready; the restore's,
 * before the processes resume), and each took 11-12 ms in CRIU's logs. Measured in a scratch
 * network namespace (a C program, libnftables 1.0.6): the delete itself takes 0.3-0.5 ms and
 * packets pass as soon as it returns; freeing the context takes 7-14 ms, because closing its
 * netlink socket, the last reference, makes the kernel finish destroying the deleted table
 * (an RCU grace period). That wait protects nothing of CRIU's.
 *
 * Here, with BERTH_CRIU_NFT_CLOSE_ASIDE=1: a context that ran a "delete table" of a table
 * named CRIU-... is freed as before, but first a detached grandchild (double fork) takes a
 * copy of its netlink sockets (it closes every other descriptor it inherited), so that CRIU's
 * close is not the last one: the grandchild closes them 50 ms later and pays the kernel's
 * wait, with nobody waiting for it. The lock is gone when the delete returns, as before; if no
 * child can be made, the context is freed here as before. Every other call goes to
 * libnftables unchanged.
 *
 * Built by deploy/setup-host into /usr/local/lib/berth/lib. Calls libnftables through dlsym
 * RTLD_NEXT.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct nft_ctx;
typedef int (*run_fn)(struct nft_ctx *, const char *);
typedef void (*free_fn)(struct nft_ctx *);

/* The context that last deleted a lock table (CRIU uses one context per command, one at a time). */
static struct nft_ctx *deleted_lock;

static int enabled(void)
{
	const char *v = getenv("BERTH_CRIU_NFT_CLOSE_ASIDE");

	return v != NULL && strcmp(v, "1") == 0;
}

int nft_run_cmd_from_buffer(struct nft_ctx *nft, const char *buf)
{
	run_fn run = (run_fn)dlsym(RTLD_NEXT, "nft_run_cmd_from_buffer");
	int r;

	if (run == NULL) {
		errno = ENOSYS;
		return -1;
	}
	r = run(nft, buf);
	if (r == 0 && enabled() && buf != NULL && strncmp(buf, "delete table ", 13) == 0 && strstr(buf + 13, "CRIU-") != NULL)
		deleted_lock = nft;
	return r;
}

/* In the grandchild: every descriptor but netlink sockets closed (stderr kept for nothing). */
static void keep_netlink_only(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd, dom;
	socklen_t len;

	if (d == NULL)
		_exit(1);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		len = sizeof(dom);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 && dom == AF_NETLINK)
			continue;
		close(fd);
	}
	closedir(d);
}

void nft_ctx_free(struct nft_ctx *ctx)
{
	free_fn free_next = (free_fn)dlsym(RTLD_NEXT, "nft_ctx_free");
	pid_t child, grandchild;
	int status = 1;

	if (free_next == NULL)
		return;
	if (ctx != NULL && ctx == deleted_lock && enabled()) {
		deleted_lock = NULL;
		child = fork();
		if (child == 0) {
			grandchild = fork();
			if (grandchild == 0) {
				keep_netlink_only();
				usleep(50 * 1000); /* CRIU has closed its copies by then */
				_exit(0);
			}
			_exit(grandchild < 0);
		}
		if (child > 0)
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
		/* Made or not, the context goes now (without a grandchild, with the kernel's wait). */
	}
	free_next(ctx);
}
