/*
 * stream.h: the connection's bytes through its descriptor.
 *
 * Once a connection is established, the AF_UNIX pair behind an rdt
 * descriptor (notify.h) carries the stream itself: what the application
 * writes to its end with any call (write, send, sendfile, splice...) the
 * library reads from its end and queues on the connection; what the
 * connection receives in order the library writes to its end, where any
 * read call finds it.  The pair's two kernel buffers sit between the
 * application and the connection's own buffers, so flow control stays
 * end to end: a full pair stops the library from taking bytes off the
 * connection, the receive window closes, and the peer's sender stops.
 *
 *   application writes        lib_fd readable -> rdt_stream_pump_in
 *   application shuts WR      lib_fd reads 0  -> FIN after the bytes
 *   application closes        EPOLLHUP        -> the runtime orphans it
 *   connection has bytes      rdt_stream_pump_out -> lib_fd, until full
 *   peer's FIN, all pushed    shutdown(lib_fd, SHUT_WR): reads return 0
 *
 * Not thread-safe: the caller holds the connection's lock.  Every call
 * is non-blocking.
 */
#ifndef RDT_RUNTIME_STREAM_H
#define RDT_RUNTIME_STREAM_H

#include "core/conn.h"
#include "notify.h"

/* rdt_stream_start switches |n| from mirroring readiness to carrying
 * bytes: the application's end becomes writable. */
void rdt_stream_start(struct rdt_notify *n);

enum rdt_stream_in {
	RDT_STREAM_IN_MORE,	/* nothing to report */
	RDT_STREAM_IN_EOF,	/* the application finished writing */
	RDT_STREAM_IN_RESET,	/* it closed with our bytes unread */
};

/* rdt_stream_pump_in moves what the application wrote onto |c|, as far
 * as its send buffer has room. */
enum rdt_stream_in rdt_stream_pump_in(struct rdt_notify *n,
				      struct rdt_conn *c, rdt_tstamp now);

/* rdt_stream_pump_out moves |c|'s in-order bytes to the application, as
 * far as the pair has room, then end of stream once the peer finished.
 * Bytes the application will never read (it closed or shut its reading
 * side) are consumed and dropped, as a TCP socket's are. */
void rdt_stream_pump_out(struct rdt_notify *n, struct rdt_conn *c,
			 rdt_tstamp now);

#endif
