/*
 * criu-tls-packet.so — preloaded into the `criu page-server --tls` of a stop-and-copy live
 * move's target (runtime/page-server.ts).
 *
 * CRIU 4.1's tls_recv_data_to_fd (criu/tls.c) takes every TLS record of the pages with
 * gnutls_record_recv_packet into the same variable, writes it out, and deinits only the last
 * packet when the whole transfer is done: every other record (16 KiB each) stays allocated.
 * A page server that received 512 MB of pages held ~410 MB of them (its maximum RSS), and
 * each record landed in fresh heap memory the kernel had to fault in and zero: 0.58-0.61 s of
 * system time against ~0.3 s once the records are given back (session 13, by hand), while the
 * instance is frozen.
 *
 * Here, a call to gnutls_record_recv_packet that puts a new packet into the caller's variable
 * deinits the one this library last saw there (the caller has lost it, as CRIU has);
 * a call that leaves the variable as it was (an error before any record: GnuTLS does not
 * touch it) frees nothing, and CRIU's own gnutls_packet_deinit of that packet then goes
 * through here and is forgotten. Only a caller that keeps one packet at a time in one
 * variable, as CRIU's loop does, may be given this library: berth preloads it into its page
 * servers only.
 *
 * Built by deploy/setup-host into /usr/local/lib/berth/lib. Calls GnuTLS through dlsym
 * RTLD_NEXT (glibc 2.34 and later have dlsym in libc).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/types.h>
#include "preload-next.h"

typedef void *packet_t;
typedef ssize_t (*recv_packet_fn)(void *session, packet_t *packet);
typedef void (*deinit_fn)(packet_t packet);

static void *held; /* the packet last put into the caller's variable, not yet deinited */
static void *next_recv, *next_deinit;

void gnutls_packet_deinit(packet_t packet)
{
	deinit_fn deinit = (deinit_fn)next_of(&next_deinit, "gnutls_packet_deinit");

	if (packet != NULL && packet == held)
		held = NULL;
	if (deinit != NULL)
		deinit(packet);
}

ssize_t gnutls_record_recv_packet(void *session, packet_t *packet)
{
	recv_packet_fn recv = (recv_packet_fn)next_of(&next_recv, "gnutls_record_recv_packet");
	deinit_fn deinit = (deinit_fn)next_of(&next_deinit, "gnutls_packet_deinit");
	void *before = held;
	ssize_t ret;

	if (recv == NULL)
		return -50; /* GNUTLS_E_INVALID_REQUEST: no GnuTLS below this library */
	ret = recv(session, packet);
	if (packet == NULL || *packet == before)
		return ret; /* the caller still holds that packet */
	if (before != NULL && deinit != NULL)
		deinit(before);
	held = *packet;
	return ret;
}
