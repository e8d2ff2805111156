/*
 * err.c: rdt_strerror(), the one place that names each RDT_ERR_* code.
 *
 * The strings are for logs and test failures, so they say what happened in
 * the words of err.h; the errno a user finally sees comes from the api
 * layer's map, not from here.
 */
#include "err.h"

const char *rdt_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case RDT_ERR_INVALID:
		return "invalid argument";
	case RDT_ERR_NOMEM:
		return "out of memory";
	case RDT_ERR_NOBUF:
		return "no buffer space";
	case RDT_ERR_AGAIN:
		return "try again";
	case RDT_ERR_MALFORMED:
		return "malformed datagram";
	case RDT_ERR_CHECKSUM:
		return "checksum mismatch";
	case RDT_ERR_VERSION:
		return "unsupported protocol version";
	case RDT_ERR_STATE:
		return "invalid in the connection's state";
	case RDT_ERR_SHUTDOWN:
		return "sending direction shut down";
	case RDT_ERR_FATAL:
		return "fatal error";
	case RDT_ERR_TIMEOUT:
		return "connection timed out";
	case RDT_ERR_RESET:
		return "connection reset by peer";
	case RDT_ERR_REFUSED:
		return "connection refused";
	case RDT_ERR_PROTO:
		return "protocol violation by peer";
	case RDT_ERR_IDLE:
		return "idle timeout";
	case RDT_ERR_ABORTED:
		return "connection aborted";
	case RDT_ERR_AUTH:
		return "key rejected by the peer (the two ends hold different pre-shared keys, or only one holds one)";
	default:
		return "unknown error";
	}
}
