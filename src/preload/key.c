/*
 * key.c: the encrypted mode under rdt-run --psk-file (preload.h).
 *
 * The key is read once, at the first socket, from the file the
 * environment names, and kept in this process's memory only; a forked
 * child inherits it with the rest.
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

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static uint8_t key[RDT_KEYFILE_KEY_SIZE];
/* 0: no key asked for; 1: the key is loaded; else the errno to fail
 * every socket with. */
static int key_state;

static void key_load(void)
{
	const char *path = getenv(RDT_PRELOAD_PSK_ENV);
	mode_t mode;
	int rv;

	if (path == NULL || *path == '\0')
		return;
	rv = rdt_keyfile_read(path, key, &mode);
	if (rv == 0) {
		key_state = 1;
		return;
	}
	key_state = rv > 0 ? rv : EINVAL;
	fprintf(stderr, "librdt-preload: %s=%s: %s; its rdt sockets fail "
		"rather than go in clear\n", RDT_PRELOAD_PSK_ENV, path,
		rv > 0 ? strerror(rv) : "not a key file (64 hex digits)");
}

int rdt_preload_key_apply(int fd)
{
	(void)pthread_once(&key_once, key_load);
	if (key_state == 0)
		return 0;
	if (key_state != 1) {
		errno = key_state;
		return -1;
	}
	return RDT(rdt_setsockopt(fd, RDT_SOL, RDT_PSK, key, sizeof(key)));
}
