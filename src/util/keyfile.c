/*
 * keyfile.c: the pre-shared key file format (keyfile.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "keyfile.h"

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int rdt_keyfile_read(const char *path, uint8_t key[RDT_KEYFILE_KEY_SIZE],
		     mode_t *mode)
{
	uint8_t out[RDT_KEYFILE_KEY_SIZE];
	char text[1024];
	size_t n, digits = 0;
	struct stat st;
	FILE *f = fopen(path, "re");
	int rv = 0;

	if (f == NULL)
		return errno;
	n = fread(text, 1, sizeof(text), f);
	if (ferror(f) || fstat(fileno(f), &st) < 0)
		rv = errno ? errno : EIO;
	else if (!feof(f))
		rv = -1;	/* too long to be a key */
	fclose(f);
	for (size_t i = 0; rv == 0 && i < n; i++) {
		int v = hex_value((unsigned char)text[i]);

		if (v < 0) {
			/* strchr would find the NUL that ends its string. */
			if (text[i] == '\0' || !strchr(" \t\r\n", text[i]))
				rv = -1;
			continue;
		}
		if (digits < 2 * RDT_KEYFILE_KEY_SIZE)
			out[digits / 2] = (uint8_t)(digits % 2 ?
				out[digits / 2] | v : v << 4);
		digits++;
	}
	if (rv == 0 && digits != 2 * RDT_KEYFILE_KEY_SIZE)
		rv = -1;
	if (rv == 0) {
		memcpy(key, out, sizeof(out));
		*mode = st.st_mode;
	}
	explicit_bzero(text, sizeof(text));
	explicit_bzero(out, sizeof(out));
	return rv;
}

int rdt_keyfile_exposed(mode_t mode)
{
	return (mode & (S_IRWXG | S_IRWXO)) != 0;
}
