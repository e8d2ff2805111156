/*
 * seal.h: the encrypted mode's protection of datagrams (PROTOCOL.md 11).
 *
 * With a pre-shared key, every datagram but the listener's stateless
 * answers (RETRY, RESET REFUSED/UNKNOWN/AUTH) travels sealed: version 2 in
 * its first byte, a clear prefix (the header, and for INIT and ACCEPT the
 * sender's connection ID, so that the receiver can find the key and the
 * nonce), then the rest of the version 1 datagram but its CRC, encrypted
 * with ChaCha20-Poly1305 (IETF), the 16-byte tag, and a CRC32C of all
 * that.  The clear prefix is the associated data.  Keys come from the pre-shared key
 * with keyed BLAKE2b; nonces from packet numbers, which are never reused.
 *
 * Pure: no randomness, no state; the connection and the listener keep
 * the keys.
 */
#ifndef RDT_CORE_SEAL_H
#define RDT_CORE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define RDT_PROTO_VERSION_SEALED 2
#define RDT_SEAL_KEY_SIZE 32
#define RDT_SEAL_TAG_SIZE 16

/*
 * The key that seals |type|'s datagrams (RDT_PKT_INIT or RDT_PKT_ACCEPT)
 * before the connection has keys of its own.  Their nonce is the
 * sender's connection ID and the packet number's low 32 bits: unique as
 * long as two connections never draw the same 64-bit ID.
 */
void rdt_seal_handshake_key(const uint8_t psk[RDT_SEAL_KEY_SIZE],
			    uint8_t type, uint8_t key[RDT_SEAL_KEY_SIZE]);

/*
 * The key of one direction of the connection between |client_cid| and
 * |server_cid| (the client's if |from_server| is 0).  Both IDs are
 * random, so every connection has keys of its own, and the full 64-bit
 * packet number alone makes the nonce.
 */
void rdt_seal_session_key(const uint8_t psk[RDT_SEAL_KEY_SIZE],
			  uint64_t client_cid, uint64_t server_cid,
			  int from_server, uint8_t key[RDT_SEAL_KEY_SIZE]);

/* Bytes the sealed form of a |type| datagram leaves in clear. */
size_t rdt_seal_clear_len(uint8_t type);

/*
 * The nonce inputs of a sealed datagram: for INIT and ACCEPT
 * (|handshake| non-zero) the connection ID in the clear prefix and the
 * wire's 32-bit packet number; otherwise the full packet number.
 */
struct rdt_seal_nonce {
	uint64_t cid;
	uint64_t pn;
	int handshake;
};

/*
 * rdt_seal seals the version 1 datagram of |len| bytes at |dg| in place;
 * |dg| must have room for RDT_SEAL_TAG_SIZE more.  The sealed form ends,
 * as every rdt datagram, in a CRC32C of all before it.  Returns the
 * sealed length.
 */
size_t rdt_seal(uint8_t *dg, size_t len, const uint8_t key[RDT_SEAL_KEY_SIZE],
		const struct rdt_seal_nonce *nonce);

/* How rdt_open failed. */
enum rdt_open_error {
	RDT_OPEN_MALFORMED = -1,	/* too short, or not sealed */
	RDT_OPEN_CHECKSUM = -2,		/* damaged: the CRC fails */
	RDT_OPEN_AUTH = -3,		/* intact, but not sealed by our key */
};

/*
 * rdt_open checks and decrypts the sealed datagram of |len| bytes at
 * |src| into |dst| (|len| - RDT_SEAL_TAG_SIZE bytes), which then holds
 * the version 1 datagram to decode, CRC and all.  Returns 0 or an
 * rdt_open_error (|dst| is then garbage or zeroed).
 */
int rdt_open(uint8_t *dst, const uint8_t *src, size_t len,
	     const uint8_t key[RDT_SEAL_KEY_SIZE],
	     const struct rdt_seal_nonce *nonce);

/* The connection ID in a sealed INIT's or ACCEPT's clear prefix (its
 * scid), for the nonce; 0 if |len| is too short to hold one. */
uint64_t rdt_seal_prefix_cid(const uint8_t *dg, size_t len);

/* The low 32 bits of the packet number in the header at |dg| (16 bytes
 * at least). */
uint32_t rdt_seal_wire_pn(const uint8_t *dg);

/*
 * rdt_open_init opens a sealed INIT with the handshake key of |psk|
 * into |dst| (|len| - RDT_SEAL_TAG_SIZE bytes), as a listener must before
 * it can read one.  Returns as rdt_open.
 */
int rdt_open_init(uint8_t *dst, const uint8_t *src, size_t len,
		  const uint8_t psk[RDT_SEAL_KEY_SIZE]);

#endif
