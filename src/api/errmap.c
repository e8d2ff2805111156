/*
 * errmap.c: RDT_ERR_* to errno, chosen to match what a TCP socket
 * reports in the same situation.
 */
#include <errno.h>

#include "core/err.h"
#include "errmap.h"

int rdt_errno_from(int code)
{
	switch (code) {
	case RDT_ERR_INVALID:
		return EINVAL;
	case RDT_ERR_NOMEM:
		return ENOMEM;
	case RDT_ERR_NOBUF:
		return ENOBUFS;
	case RDT_ERR_AGAIN:
		return EAGAIN;
	case RDT_ERR_SHUTDOWN:
		return EPIPE;
	case RDT_ERR_STATE:
		return ENOTCONN;
	case RDT_ERR_TIMEOUT:
	case RDT_ERR_IDLE:
		return ETIMEDOUT;
	case RDT_ERR_RESET:
		return ECONNRESET;
	case RDT_ERR_REFUSED:
		return ECONNREFUSED;
	case RDT_ERR_PROTO:
		return EPROTO;
	case RDT_ERR_AUTH:
		/* Linux's "Key was rejected by service": nothing nearer
		 * says that the two ends' keys differ. */
		return EKEYREJECTED;
	case RDT_ERR_ABORTED:
		/* What TCP reports on a connection the local side reset. */
		return ECONNABORTED;
	default:
		return EIO;
	}
}
