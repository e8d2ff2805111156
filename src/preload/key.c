/*
 * key.c: the encrypted modes under rdt-run (preload.h): --psk-file,
 * --key, --peer-key.
 *
 * Each key is read once, at the first socket, from the file the
 * environment names, and kept in this process's memory only; a forked
 * child inherits it with the rest.  Every new rdt socket gets every key
 * given: a pre-shared key, or the static key (which counts on a
 * listener) and the server's public key (which counts on a connection).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"
#include "preload.h"
#include "rdt.h"

struct preload_key {
	const char *env;
	int option;		/* RDT_PSK, RDT_KEY, RDT_PEER_KEY */
	/* 0: not asked for; 1: loaded; else the errno to fail every
	 * socket with. */
	int state;
	uint8_t key[RDT_KEYFILE_KEY_SIZE];
};

static struct preload_key keys[] = {
	{ RDT_PRELOAD_PSK_ENV, RDT_PSK, 0, { 0 } },
	{ RDT_PRELOAD_KEY_ENV, RDT_KEY, 0, { 0 } },
	{ RDT_PRELOAD_PEER_KEY_ENV, RDT_PEER_KEY, 0, { 0 } },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void keys_load(void)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const char *path = getenv(keys[i].env);
		mode_t mode;
		int rv;

		if (path == NULL || *path == '\0')
			continue;
		rv = rdt_keyfile_read(path, keys[i].key, &mode);
		if (rv == 0) {
			keys[i].state = 1;
			continue;
		}
		keys[i].state = rv > 0 ? rv : EINVAL;
		fprintf(stderr, "librdt-preload: %s=%s: %s; its rdt sockets "
			"fail rather than go in clear\n", keys[i].env, path,
			rv > 0 ? strerror(rv) :
				 "not a key file (64 hex digits)");
	}
}

int rdt_preload_key_apply(int fd)
{
	(void)pthread_once(&keys_once, keys_load);
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].state == 0)
			continue;
		if (keys[i].state != 1) {
			errno = keys[i].state;
			return -1;
		}
		if (RDT(rdt_setsockopt(fd, RDT_SOL, keys[i].option,
				       keys[i].key, sizeof(keys[i].key))) != 0)
			return -1;
	}
	return 0;
}
