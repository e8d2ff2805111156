/*
 * keyfile.h: reading a pre-shared key file (RDT_PSK), shared by the
 * programs that take --psk-file (reliable-cat, rdt-run and the preload
 * library it sets up, rdt-pcap) so that they all accept the same files.
 *
 * The format: 32 bytes as 64 hexadecimal digits, white space anywhere
 * ignored, so that `head -c 32 /dev/urandom | od -An -tx1 > FILE` (or
 * xxd -p) makes one.  Anything else is refused: a key read wrong would
 * show only as a refused connection, far from its cause.
 */
#ifndef RDT_UTIL_KEYFILE_H
#define RDT_UTIL_KEYFILE_H

#include <stdint.h>
#include <sys/types.h>

#define RDT_KEYFILE_KEY_SIZE 32

/* How to make a key file, for error messages (FILE is the reader's). */
#define RDT_KEYFILE_HOWTO "head -c 32 /dev/urandom | od -An -tx1 > FILE"

/*
 * rdt_keyfile_read reads the key in |path| into |key|, and the file's
 * permission bits into |*mode| (for a warning when others can read it).
 * Returns 0, an errno value if the file cannot be read, or -1 if it is
 * not a key file.  |key| is untouched unless it returns 0.
 */
int rdt_keyfile_read(const char *path, uint8_t key[RDT_KEYFILE_KEY_SIZE],
		     mode_t *mode);

/* Non-zero if users other than the owner may read or write a file with
 * permission bits |mode|. */
int rdt_keyfile_exposed(mode_t mode);

#endif
