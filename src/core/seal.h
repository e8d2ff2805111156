/*
 * seal.h: the encrypted modes' protection of datagrams (PROTOCOL.md 11).
 *
 * With a pre-shared key or the public-key handshake, every datagram but
 * the listener's stateless answers (RETRY, RESET REFUSED/UNKNOWN/AUTH)
 * travels sealed: version 2 in its first byte, a clear prefix (the
 * header, and for INIT and ACCEPT the sender's connection ID, so that the
 * receiver can find the key and the nonce, and in the public-key
 * handshake the sender's ephemeral key), then the rest of the version 1
 * datagram but its CRC, encrypted with ChaCha20-Poly1305 (IETF), the
 * 16-byte tag, and a CRC32C of all that.  The clear prefix is the
 * associated data.  Keys come from the pre-shared key, or from X25519,
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
/* X25519 keys, secret and public. */
#define RDT_SEAL_PUBLIC_SIZE 32

/*
 * The public-key handshake (PROTOCOL.md 11): an INIT or ACCEPT with this
 * flag carries its sender's ephemeral X25519 public key in clear after
 * its scid, and is sealed with a key from Diffie-Hellman instead of the
 * pre-shared key.  The client knows the server's static public key; the
 * INIT's key is X25519(client ephemeral, server static), so only that
 * server can read it, and everything after the handshake also depends on
 * X25519(client ephemeral, server ephemeral), so that a server key
 * stolen later opens nothing recorded (forward secrecy), as Noise's NK
 * pattern.
 */
#define RDT_SEAL_F_PUBLIC 0x01
#define RDT_SEAL_PK_OVERHEAD (RDT_SEAL_TAG_SIZE + RDT_SEAL_PUBLIC_SIZE)

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

/* Bytes the sealed form of a datagram of |type| with header |flags|
 * leaves in clear. */
size_t rdt_seal_clear_len(uint8_t type, uint8_t flags);

/*
 * The public-key handshake's keys.  |dh1| is X25519(client ephemeral,
 * server static), |dh2| X25519(client ephemeral, server ephemeral);
 * |e| and |f| the client's and the server's ephemeral public keys, |s|
 * the server's static one.  The INIT's key needs only dh1; the ACCEPT's
 * and the session's need both.
 */
void rdt_seal_pk_init_key(const uint8_t dh1[RDT_SEAL_PUBLIC_SIZE],
			  const uint8_t e[RDT_SEAL_PUBLIC_SIZE],
			  const uint8_t s[RDT_SEAL_PUBLIC_SIZE],
			  uint8_t key[RDT_SEAL_KEY_SIZE]);
void rdt_seal_pk_accept_key(const uint8_t dh1[RDT_SEAL_PUBLIC_SIZE],
			    const uint8_t dh2[RDT_SEAL_PUBLIC_SIZE],
			    const uint8_t e[RDT_SEAL_PUBLIC_SIZE],
			    const uint8_t f[RDT_SEAL_PUBLIC_SIZE],
			    uint8_t key[RDT_SEAL_KEY_SIZE]);
void rdt_seal_pk_session_key(const uint8_t dh1[RDT_SEAL_PUBLIC_SIZE],
			     const uint8_t dh2[RDT_SEAL_PUBLIC_SIZE],
			     const uint8_t e[RDT_SEAL_PUBLIC_SIZE],
			     const uint8_t f[RDT_SEAL_PUBLIC_SIZE],
			     uint64_t client_cid, uint64_t server_cid,
			     int from_server, uint8_t key[RDT_SEAL_KEY_SIZE]);

/* X25519(|secret|, |public|) into |out|; -1 if the result is all zero
 * (a low-order public key, which would make the secret known). */
int rdt_seal_dh(uint8_t out[RDT_SEAL_PUBLIC_SIZE],
		const uint8_t secret[RDT_SEAL_PUBLIC_SIZE],
		const uint8_t public_key[RDT_SEAL_PUBLIC_SIZE]);

/* The ephemeral public key in a public-key INIT's or ACCEPT's clear
 * prefix, or NULL if |dg| has none. */
const uint8_t *rdt_seal_ephemeral(const uint8_t *dg, size_t len);

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
 * |dg| must have room for RDT_SEAL_TAG_SIZE more, and with an ephemeral
 * key |eph| (an INIT or ACCEPT of the public-key handshake; else NULL)
 * RDT_SEAL_PK_OVERHEAD more.  The sealed form ends, as every rdt
 * datagram, in a CRC32C of all before it.  Returns the sealed length.
 */
size_t rdt_seal(uint8_t *dg, size_t len, const uint8_t key[RDT_SEAL_KEY_SIZE],
		const struct rdt_seal_nonce *nonce, const uint8_t *eph);

/* How rdt_open failed. */
enum rdt_open_error {
	RDT_OPEN_MALFORMED = -1,	/* too short, or not sealed */
	RDT_OPEN_CHECKSUM = -2,		/* damaged: the CRC fails */
	RDT_OPEN_AUTH = -3,		/* intact, but not sealed by our key */
};

/*
 * rdt_open checks and decrypts the sealed datagram of |len| bytes at
 * |src| into |dst| (rdt_open_len(src, len) bytes), which then holds
 * the version 1 datagram to decode, CRC and all.  Returns 0 or an
 * rdt_open_error (|dst| is then garbage or zeroed).
 */
int rdt_open(uint8_t *dst, const uint8_t *src, size_t len,
	     const uint8_t key[RDT_SEAL_KEY_SIZE],
	     const struct rdt_seal_nonce *nonce);

/* The length of the version 1 datagram a sealed one of |len| bytes
 * opens to (0 if it cannot be one). */
size_t rdt_open_len(const uint8_t *src, size_t len);

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
