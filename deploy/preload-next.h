/*
 * preload-next.h — for berth's preloaded CRIU helpers (deploy/criu-*.c): the next definition
 * of a symbol (dlsym RTLD_NEXT, glibc 2.34 and later have dlsym in libc), looked up once into
 * `slot`. Threads racing here look it up twice: harmless. setup-host rebuilds every helper
 * when this file changes (its hash is part of each helper's).
 */
#ifndef BERTH_PRELOAD_NEXT_H
#define BERTH_PRELOAD_NEXT_H

#include <dlfcn.h>
#include <stddef.h>

static void *next_of(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (f == NULL) {
		f = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

#endif
