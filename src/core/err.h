/*
 * err.h: the error codes of the core and wire layers.
 *
 * Functions return 0 or a count on success and one of these negative codes
 * on failure.  Codes below RDT_ERR_FATAL mean the connection is dead; the
 * api layer maps each to an errno in src/api/errmap.c.
 */
#ifndef RDT_CORE_ERR_H
#define RDT_CORE_ERR_H

enum {
	/* An argument is out of range or the call makes no sense. */
	RDT_ERR_INVALID = -1,
	/* An allocation failed; nothing was changed. */
	RDT_ERR_NOMEM = -2,
	/* The caller's buffer, or a bounded internal table, is full. */
	RDT_ERR_NOBUF = -3,
	/* Nothing can be done now; try again after the next event. */
	RDT_ERR_AGAIN = -4,
	/* A datagram's fields or lengths are inconsistent. */
	RDT_ERR_MALFORMED = -5,
	/* A datagram's CRC32C does not match its bytes. */
	RDT_ERR_CHECKSUM = -6,
	/* A datagram carries a protocol version we do not speak. */
	RDT_ERR_VERSION = -7,
	/* The call is not valid in the connection's current state. */
	RDT_ERR_STATE = -8,
	/* The sending direction was shut down (EPIPE). */
	RDT_ERR_SHUTDOWN = -9,

	/* Everything below this is fatal to the connection. */
	RDT_ERR_FATAL = -100,
	/* The peer stopped answering within the user timeout (ETIMEDOUT). */
	RDT_ERR_TIMEOUT = -101,
	/* The peer reset the connection (ECONNRESET). */
	RDT_ERR_RESET = -102,
	/* The peer refused the handshake (ECONNREFUSED). */
	RDT_ERR_REFUSED = -103,
	/* The peer broke the protocol (EPROTO). */
	RDT_ERR_PROTO = -104,
	/* Nothing was heard for the idle timeout (ETIMEDOUT). */
	RDT_ERR_IDLE = -105,
	/* The local side aborted the connection. */
	RDT_ERR_ABORTED = -106,
	/* The peer refused our key, or our lack of one (EKEYREJECTED):
	 * the two ends were given different pre-shared keys, or only one
	 * was given any. */
	RDT_ERR_AUTH = -107,
};

/*
 * rdt_strerror returns a static, human-readable name for |code|, one of the
 * RDT_ERR_* values or 0.  Unknown codes yield "unknown error".
 */
const char *rdt_strerror(int code);

#endif
