/*
 * rdt.h: the public interface of librdt, a reliable, ordered byte-stream
 * transport over UDP with an API modelled on BSD stream sockets.
 *
 * This is the only header a program using librdt includes.  Every function
 * declared here is marked RDT_EXTERN; nothing else is exported from the
 * shared library.
 */
#ifndef RDT_H
#define RDT_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * RDT_EXTERN marks a symbol as part of the public ABI.  The library is
 * compiled with -fvisibility=hidden and -DBUILDING_RDT, so only symbols
 * carrying this mark are exported; for programs that include this header
 * the mark is empty.
 */
#if defined(BUILDING_RDT) && (defined(__GNUC__) || defined(__clang__))
#define RDT_EXTERN __attribute__((visibility("default")))
#else
#define RDT_EXTERN
#endif

/*
 * The version of this header.  These three numbers are the single source
 * of the package version: configure reads them from this file.  The
 * library's ABI version (libtool -version-info) is separate and lives in
 * configure.ac.
 */
#define RDT_VERSION_MAJOR 0
#define RDT_VERSION_MINOR 1
#define RDT_VERSION_PATCH 0

#define RDT_VERSION_STR_(x) #x
#define RDT_VERSION_XSTR_(x) RDT_VERSION_STR_(x)

/* The version as a string, "MAJOR.MINOR.PATCH", e.g. "0.1.0". */
#define RDT_VERSION_STRING                                                  \
	RDT_VERSION_XSTR_(RDT_VERSION_MAJOR) "."                            \
	RDT_VERSION_XSTR_(RDT_VERSION_MINOR) "."                            \
	RDT_VERSION_XSTR_(RDT_VERSION_PATCH)

/*
 * The version as one number, 0xMMmmpp, for compile-time comparisons:
 * #if RDT_VERSION_HEX >= 0x000200.
 */
#define RDT_VERSION_HEX                                                     \
	((RDT_VERSION_MAJOR << 16) | (RDT_VERSION_MINOR << 8) |             \
	 RDT_VERSION_PATCH)

/*
 * rdt_version - version of the library linked at run time
 *
 * Returns the library's version as "MAJOR.MINOR.PATCH", the value of
 * RDT_VERSION_STRING when the library was built.  Compare it with
 * RDT_VERSION_STRING to detect a program running against a different
 * library than the header it was compiled with.
 *
 * The string is static and owned by the library: never free or modify it.
 * The call cannot fail, takes no locks and is safe from any thread.
 */
RDT_EXTERN const char *rdt_version(void);


/* ---------------------------------------------------------------------
 * The socket API
 *
 * Every call below behaves like the BSD call without the rdt_ prefix on a
 * TCP socket: same arguments, same partial reads and writes, same errno
 * values, -1 and errno on failure.  Where rdt differs, the comment says
 * so.
 *
 * Descriptors.  An rdt socket is a real kernel file descriptor, and once
 * connected the descriptor carries the stream itself: bytes written to it
 * with any call (write, send, writev, sendmsg, sendfile, splice) are sent
 * on the connection in order, exactly once; any read call (read, recv,
 * readv, recvmsg, splice) returns the peer's bytes; shutdown(2) SHUT_WR
 * sends end of stream after every byte written before it; close(2) is a
 * graceful close (queued bytes are still delivered); a reset shows as
 * ECONNRESET, then EPIPE (and SIGPIPE) on writes, as on TCP.  So any
 * event loop (poll, select, epoll level- or edge-triggered, libevent
 * bufferevents, libuv's uv_tcp_open) drives it as it drives a TCP socket:
 *   readable  bytes, end of stream, an error, or (listener) a connection
 *             waiting in rdt_accept;
 *   writable  connected and room to write;
 *   POLLRDHUP the peer finished sending and every byte was read;
 *   POLLHUP   the connection is over;
 *   POLLERR   it failed (rdt_getsockopt SO_ERROR says why).
 * The rdt_* calls work on the same bytes and may be mixed with the plain
 * ones freely.  They add what the kernel cannot know: ENOTCONN before a
 * connection, waiting out the handshake, and the precise cause of a
 * failure (ETIMEDOUT, ECONNREFUSED), where a plain call says ECONNRESET.
 * Bytes written while the handshake runs are queued and sent once it
 * completes.  Flow control is end to end: a reader that stops reading
 * stops the sender once the buffers between them (the connection's
 * SO_RCVBUF and SO_SNDBUF, and about 200 KiB of kernel buffer each way)
 * are full.
 *
 * What still differs from TCP: the descriptor is an AF_UNIX socket
 * underneath, so fstat(2), getsockopt(2) at SOL_SOCKET from the kernel
 * (SO_TYPE, SO_DOMAIN, SO_PEERCRED...) and getpeername(2) describe that
 * pair, not the connection: use rdt_getsockopt and rdt_getpeername.  A
 * listener's descriptor works only with rdt_accept and poll; accept(2),
 * connect(2) and bind(2) on rdt descriptors need the rdt_ calls.  A dup(2)
 * of a descriptor works with every call, rdt_* ones included; the
 * connection ends when the last copy is closed.  Each rdt socket holds two
 * kernel descriptors (the one returned and the library's end of the pair)
 * and a client socket a third, its UDP socket, so plan RLIMIT_NOFILE for
 * two to three times the number of sockets; when the limit is reached
 * calls fail with EMFILE.  A closed client connection keeps its UDP socket
 * while it lingers in time-wait (up to 20 s) to re-acknowledge a lost
 * FIN, where TCP's time-wait holds no descriptor.
 *
 * Threads.  Any call may be made from any thread.  On one socket, one
 * thread may read while another writes.  The library runs one background
 * thread (started by the first rdt_socket) that receives datagrams and
 * runs timers, and moves the bytes between the descriptors and the
 * connections; an idle connection costs it no CPU.  Reads and writes are
 * the kernel's and behave as on any socket under signals (SA_RESTART
 * restarts them); a blocking rdt_accept or rdt_connect interrupted by a
 * signal handler fails with EINTR even under SA_RESTART.
 *
 * Processes.  The connections live in the process, not in the kernel:
 * at exit() (not _exit or a fatal signal) every rdt descriptor still
 * open is closed gracefully, and the library waits up to RDT_EXIT_LINGER
 * seconds (environment variable, default 10) for queued bytes to be
 * acknowledged, then resets the connections whose bytes could not all be
 * delivered, so their peers learn of it.  A peer whose process dies is
 * noticed from its host's ICMP port unreachable within about a round
 * trip of the next datagram (ECONNRESET; docs/PROTOCOL.md, "Dead peers",
 * says which errors count and who could forge them).  A peer process
 * that restarts on the same port has lost the connection's reset token,
 * so its RESET is not believed (a forger's looks the same): the
 * connection ends at its user timeout instead.  A receiver
 * whose sender falls silent mid-stream sends one probe after an RTO (at
 * least 200 ms) to find out.  A peer whose whole host vanishes is
 * noticed at the user timeout, or, if both sides only wait to receive,
 * with keepalive (SO_KEEPALIVE) or RDT_IDLE_TIMEOUT.  After fork() the
 * child keeps reading and writing the descriptors it inherited with the
 * plain calls while the parent lives (the connection runs in the
 * parent); rdt_* calls on them fail with ENOTSOCK in the child.  It may
 * create new rdt sockets.
 *
 * Transport.  Connections run over UDP.  A listener and all connections
 * it accepts share its UDP port; each client socket has a UDP socket of
 * its own (an ephemeral port unless rdt_bind chose one).  IPv4 and IPv6
 * are supported; an AF_INET6 socket bound to :: also accepts IPv4 peers
 * as IPv4-mapped addresses unless IPV6_V6ONLY is set on the system.
 *
 * Environment.  RDT_EXIT_LINGER, above.  RDT_PCAP=FILE makes the library write every datagram it
 * sends and receives to FILE in pcap format (raw IP with synthesized
 * IP/UDP headers; tcpdump, tshark, Wireshark and rdt-pcap(1) read it),
 * with no privileges needed.  FILE is truncated when the first rdt
 * socket is created; if it cannot be opened, one line on stderr says
 * why and the program runs on without it.  A program holding both ends
 * of a connection records each datagram twice, as sent and as received.
 * A forked child does not log.  RDT_QLOG=DIR writes a qlog trace
 * (JSON-SEQ, the QUIC event schema) of every connection to
 * DIR/<id>-<client|server>.sqlog, for qvis-style tools that draw the
 * congestion controller; see rdt(7).
 * --------------------------------------------------------------------- */

/*
 * rdt_socket - create an rdt endpoint
 *
 * |domain| is AF_INET or AF_INET6; |type| is SOCK_STREAM, optionally or'ed
 * with SOCK_NONBLOCK and SOCK_CLOEXEC; |protocol| is 0 or IPPROTO_TCP
 * (what getaddrinfo hands out for SOCK_STREAM).  Returns the new
 * descriptor, or -1 with errno EAFNOSUPPORT (other domain), EINVAL
 * (other type or flags), EPROTONOSUPPORT (other protocol), EMFILE/ENFILE
 * (descriptor limit) or ENOMEM.
 */
RDT_EXTERN int rdt_socket(int domain, int type, int protocol);

/*
 * rdt_bind - give the socket a local address (UDP address and port)
 *
 * Port 0 picks an ephemeral port.  Errors: EBADF, ENOTSOCK (not an rdt
 * descriptor), EINVAL (already bound, or a bad |addrlen|), EAFNOSUPPORT
 * (wrong family), EADDRINUSE (the UDP port is taken; SO_REUSEADDR lets a
 * listener take over a port whose earlier rdt connections in this process
 * are still closing), EADDRNOTAVAIL, EACCES.
 */
RDT_EXTERN int rdt_bind(int fd, const struct sockaddr *addr,
			socklen_t addrlen);

/*
 * rdt_listen - accept connections on the bound port
 *
 * An unbound socket is bound to an ephemeral port first.  At most
 * |backlog| connections (at least 1, at most 65535; <= 0 means 128) wait
 * for rdt_accept; further handshakes are ignored, and their clients retry
 * as TCP clients do.  A client connecting to a port where no rdt socket
 * listens is refused (ECONNREFUSED).  Calling it again changes the
 * backlog.  Errors: EBADF, ENOTSOCK, EINVAL (connected or connecting),
 * EADDRINUSE.
 */
RDT_EXTERN int rdt_listen(int fd, int backlog);

/*
 * rdt_accept, rdt_accept4 - take the next established connection
 *
 * Blocks until a connection is established unless the listener is
 * non-blocking (then EAGAIN) or SO_RCVTIMEO expires (EAGAIN).  If |addr|
 * is not NULL the peer's address is stored as by rdt_getpeername.
 * rdt_accept4 takes SOCK_NONBLOCK and SOCK_CLOEXEC in |flags|.  The new
 * socket inherits the listener's options (buffers, timeouts, no-delay,
 * congestion control, keepalive, linger).  Errors: EBADF, ENOTSOCK,
 * EINVAL (not listening, bad flags), EAGAIN, EINTR, EMFILE/ENFILE (the
 * connection stays queued), ENOMEM.
 */
RDT_EXTERN int rdt_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
RDT_EXTERN int rdt_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen,
			   int flags);

/*
 * rdt_connect - open a connection to |addr|
 *
 * Blocking: returns 0 once the handshake completes, or -1 with
 * ECONNREFUSED (nothing listens there), ETIMEDOUT (no answer within the
 * user timeout, or SO_SNDTIMEO), EINTR, ENETUNREACH/EHOSTUNREACH.
 * Non-blocking: returns -1 with EINPROGRESS; the socket becomes writable
 * when the handshake completes or fails, and rdt_getsockopt SO_ERROR then
 * gives 0 or the error.  Further calls give EALREADY while in progress
 * and EISCONN once connected.  Other errors: EBADF, ENOTSOCK, EINVAL,
 * EAFNOSUPPORT, EISCONN (listening), EADDRINUSE, EMFILE.
 */
RDT_EXTERN int rdt_connect(int fd, const struct sockaddr *addr,
			   socklen_t addrlen);

/*
 * rdt_send, rdt_write, rdt_writev - queue bytes for the peer
 *
 * sendmsg(2) on the descriptor, plus ENOTCONN, the wait for the handshake
 * and the precise errno below.  Copies as much as the buffers take and
 * returns the count; blocks
 * while the buffer is full unless the socket is non-blocking or |flags|
 * has MSG_DONTWAIT (then a partial count, or EAGAIN if nothing fit).  A
 * blocking call returns only once every byte is queued, or early with the
 * count so far if SO_SNDTIMEO expires or a signal arrives (EAGAIN/EINTR
 * if nothing was queued).  Queued bytes are delivered in order after any
 * return, including after rdt_close.  |flags| may hold MSG_DONTWAIT and
 * MSG_NOSIGNAL.  Errors: EPIPE after rdt_shutdown(SHUT_WR) or once the
 * connection has failed and its error was reported (SIGPIPE is raised too
 * unless MSG_NOSIGNAL: rdt_write and rdt_writev always raise it, as
 * write(2) on a TCP socket does), ECONNRESET, ETIMEDOUT, ECONNREFUSED
 * (reported once, as SO_ERROR would), ENOTCONN, EAGAIN, EINTR, EBADF,
 * ENOTSOCK, EINVAL, EOPNOTSUPP (unknown flags).
 */
RDT_EXTERN ssize_t rdt_send(int fd, const void *buf, size_t len, int flags);
RDT_EXTERN ssize_t rdt_write(int fd, const void *buf, size_t len);
RDT_EXTERN ssize_t rdt_writev(int fd, const struct iovec *iov, int iovcnt);

/*
 * rdt_recv, rdt_read, rdt_readv - take in-order bytes from the peer
 *
 * recvmsg(2) on the descriptor, plus ENOTCONN, the wait for the handshake
 * and the precise errno below.  Returns how many bytes were copied, 0 at end of stream (the peer shut
 * down its sending side and every byte was read) or -1.  Blocks until at
 * least one byte is ready unless the socket is non-blocking or |flags| has
 * MSG_DONTWAIT (then EAGAIN).  MSG_WAITALL blocks until |len| bytes,
 * end of stream, an error, SO_RCVTIMEO or a signal; MSG_PEEK leaves the
 * bytes queued.  Errors: ECONNRESET, ETIMEDOUT, ECONNREFUSED, ENOTCONN,
 * EAGAIN (also when SO_RCVTIMEO expires), EINTR, EBADF, ENOTSOCK, EINVAL,
 * EOPNOTSUPP (unknown flags).  After rdt_shutdown(SHUT_RD) reads return
 * 0 at once.
 */
RDT_EXTERN ssize_t rdt_recv(int fd, void *buf, size_t len, int flags);
RDT_EXTERN ssize_t rdt_read(int fd, void *buf, size_t len);
RDT_EXTERN ssize_t rdt_readv(int fd, const struct iovec *iov, int iovcnt);

/*
 * rdt_shutdown - end one or both directions
 *
 * SHUT_WR sends end-of-stream after the queued bytes (the peer reads 0);
 * SHUT_RD makes further reads return 0 and discards what arrives; SHUT_RDWR
 * does both.  Errors: EBADF, ENOTSOCK, EINVAL (bad |how|), ENOTCONN.
 */
RDT_EXTERN int rdt_shutdown(int fd, int how);

/*
 * rdt_close - release the descriptor
 *
 * As on TCP the close is graceful: bytes already queued are still
 * delivered and end-of-stream follows them, in the background, while the
 * descriptor is gone at once.  The connection gives up after the user
 * timeout if the peer stops answering.  If unread bytes are waiting, or
 * bytes arrive after the close, the connection is reset instead (the peer
 * sees ECONNRESET), as TCP does.  SO_LINGER with l_onoff set and
 * l_linger 0 resets at once; with l_linger > 0 the call blocks until the
 * queued bytes are acknowledged or l_linger seconds pass.  Closing a
 * listener resets the connections still waiting in its queue.  close(2)
 * on a connected descriptor does the same (SO_LINGER aside: only
 * rdt_close waits); while a dup(2) of the descriptor is open, neither
 * ends the connection.  Returns 0, or -1 with EBADF/ENOTSOCK.
 */
RDT_EXTERN int rdt_close(int fd);

/*
 * rdt_getsockname, rdt_getpeername - local and peer UDP address
 *
 * The address is truncated to *|addrlen| bytes and *|addrlen| set to its
 * full length.  Errors: EBADF, ENOTSOCK, EINVAL, ENOTCONN (getpeername
 * before a connection exists).
 */
RDT_EXTERN int rdt_getsockname(int fd, struct sockaddr *addr,
			       socklen_t *addrlen);
RDT_EXTERN int rdt_getpeername(int fd, struct sockaddr *addr,
			       socklen_t *addrlen);

/*
 * rdt_fcntl - descriptor flags
 *
 * fcntl(2) on the descriptor, where the flags live (so fcntl(2) itself
 * works as well): F_GETFL, F_SETFL (O_NONBLOCK), F_GETFD and F_SETFD
 * (FD_CLOEXEC).  Other commands fail with EINVAL.
 */
RDT_EXTERN int rdt_fcntl(int fd, int cmd, ...);

/* rdt_setsockopt/rdt_getsockopt level for the rdt-specific options. */
#define RDT_SOL 0x7264

/* int, 0 or 1: send small writes at once instead of coalescing them. */
#define RDT_NODELAY 1
/* string: congestion control by name: "bbr" (the default), "cubic" or
 * "newreno" (docs/congestion-control.md says why and measures them);
 * getsockopt returns the name, NUL-terminated if it fits.  ENOENT for an
 * unknown name. */
#define RDT_CONGESTION 2
/* unsigned int, milliseconds: fail with ETIMEDOUT when data, a probe or
 * the handshake stays unacknowledged this long.  0 restores the default,
 * 60000 (60 s).  As TCP_USER_TIMEOUT. */
#define RDT_USER_TIMEOUT 3
/* struct rdt_info, getsockopt only. */
#define RDT_INFO 4
/* unsigned int, milliseconds: with SO_KEEPALIVE on, probe the peer after
 * this long without traffic (default 7200000, as TCP's keepalive time). */
#define RDT_KEEPIDLE 5
/* unsigned int, milliseconds: fail with ETIMEDOUT after this long without
 * hearing from the peer; 0 (the default) disables. */
#define RDT_IDLE_TIMEOUT 6
/* int, bytes: largest datagram rdt sends (1200..65507, default 1400);
 * takes effect at the next rdt_connect or rdt_listen. */
#define RDT_MAXDGRAM 7
/* int, on a listener: when to make clients prove their address with a
 * cookie (a RETRY round trip, PROTOCOL.md 7.4) before it keeps any state
 * for them.  0 (the default): only while the handshake queue is full, as
 * under a flood of INITs from forged addresses; 1: always. */
#define RDT_VALIDATE_ADDR 8
/* 32 bytes: a pre-shared key, and with it the encrypted mode
 * (PROTOCOL.md 11, rdt(7) SECURITY): every datagram is authenticated and
 * its stream bytes encrypted (ChaCha20-Poly1305), and nothing in clear is
 * believed.  Both ends need the same key: a client whose key the
 * listener does not share fails to connect with EKEYREJECTED, and so
 * does one without a key against a listener with one, or the reverse.
 * Set it before rdt_connect, or on the listener for the connections it
 * accepts (EISCONN on a socket that already has a connection); optlen 0
 * removes it.  Needs RDT_MAXDGRAM >= 1216 (EINVAL otherwise).
 * getsockopt gives an int: 1 if a key is set; the key never comes back.
 * Draw the key from a good random source (32 random bytes, not a
 * password). */
#define RDT_PSK 9
/* 32 bytes, on a listener: its static X25519 secret key, and with it the
 * public-key handshake (PROTOCOL.md 11): a client that knows the public
 * half (RDT_PEER_KEY) can be sure it talks to this listener, and what the
 * connection carries stays secret even if this key is stolen later
 * (forward secrecy).  getsockopt gives the public half (ENOENT without a
 * key).  Not with RDT_PSK (EINVAL); needs RDT_MAXDGRAM >= 1248; EISCONN
 * and optlen 0 as RDT_PSK.  Draw it from a good random source. */
#define RDT_KEY 10
/* 32 bytes, on a client: the server's static X25519 public key (its
 * RDT_KEY's public half).  The connection then uses the public-key
 * handshake, and fails with EKEYREJECTED if the listener holds another
 * key or none.  getsockopt gives it back (ENOENT without one).  Same
 * conditions as RDT_KEY. */
#define RDT_PEER_KEY 11

/* Connection states, as in struct rdt_info. */
enum rdt_state {
	RDT_STATE_CLOSED = 0,
	RDT_STATE_LISTEN,
	RDT_STATE_SYN_SENT,
	RDT_STATE_SYN_RCVD,
	RDT_STATE_ESTABLISHED,
	RDT_STATE_FIN_WAIT,
	RDT_STATE_CLOSE_WAIT,
	RDT_STATE_LAST_ACK,
	RDT_STATE_TIME_WAIT,
};

/*
 * struct rdt_info - a connection's state and counters (RDT_INFO)
 *
 * Times are microseconds; byte counts are stream bytes unless the name
 * says datagrams.  The port_* counters belong to the UDP port the socket
 * uses, shared by a listener and every connection it accepted: datagrams
 * that could not be given to any connection are dropped and counted
 * there.  Fields are only ever added at the end; rdt_getsockopt copies
 * min(*optlen, sizeof(struct rdt_info)) bytes.
 */
struct rdt_info {
	uint32_t state;			/* enum rdt_state */
	uint32_t error;			/* errno the connection failed with */
	uint32_t srtt_us, rttvar_us, min_rtt_us, latest_rtt_us, rto_us;
	uint32_t max_dgram;		/* bytes per datagram we send */
	uint64_t cwnd, ssthresh;	/* bytes */
	uint64_t bytes_in_flight;
	uint64_t peer_window;		/* bytes the peer still accepts */
	uint32_t reordering;		/* current reordering tolerance, pkts */
	uint32_t reserved0;
	uint64_t bytes_sent;		/* including retransmissions */
	uint64_t bytes_retransmitted;
	uint64_t bytes_acked;
	uint64_t bytes_received;	/* unique bytes from the peer */
	uint64_t bytes_delivered;	/* read by the application */
	uint64_t bytes_duplicate;	/* received again */
	uint64_t pkts_sent, pkts_received;
	uint64_t pkts_retransmitted;
	uint64_t pkts_lost;		/* declared lost */
	uint64_t pkts_spurious_lost;	/* declared lost, then acknowledged */
	uint64_t pkts_reordered;
	uint64_t pkts_duplicate;
	uint64_t tlp_count, rto_count, persist_probes;
	/* Datagrams this connection dropped, by reason. */
	uint64_t drop_checksum, drop_malformed, drop_version;
	uint64_t drop_beyond_window, drop_invalid_ack, drop_state;
	uint64_t drop_other;
	/* The UDP port: every datagram received, those dropped because
	 * they failed the checksum or did not parse, named no connection
	 * of this port, or came for a port with no listener, and those the
	 * kernel refused to send. */
	uint64_t port_dgrams_received, port_dgrams_sent;
	uint64_t port_drop_checksum, port_drop_malformed;
	uint64_t port_drop_unknown_cid, port_drop_no_listener;
	uint64_t port_drop_backlog, port_send_errors;
	/* The congestion controller: its pacing rate and the latest
	 * delivery-rate sample (bytes per second, 0 before the first), its
	 * name ("bbr", "cubic", "newreno") and the name of its state (for
	 * BBR: "startup", "drain", "probe_bw", "probe_rtt"). */
	uint64_t pacing_rate, delivery_rate;
	char cc_name[16], cc_state[16];
	/* ICMP port unreachable errors that matched no connection of the
	 * port: late, or forged (rdt(7), "Dead peers"). */
	uint64_t port_drop_icmp;
	/* Forged or impossible datagrams this connection dropped (added
	 * after the fields above, which keep their places): a packet number
	 * implausibly far from the peer's, a FIN off the in-order end of the
	 * stream or the window, bytes past the FIN, a window edge the peer
	 * never had.  Then FINs not taken, ahead of a hole or contradicted
	 * by bytes held beyond them (the sender repeats them), seen packet numbers that brought new bytes, and
	 * selective acknowledgements withdrawn to get going again. */
	uint64_t drop_forged_pn, drop_forged_fin, drop_past_fin;
	uint64_t drop_invalid_edge;
	uint64_t fin_deferred, pn_collisions, sack_reneged;
	/* Address validation (RDT_VALIDATE_ADDR): on a listener's port, the
	 * RETRYs it sent, the INITs whose cookie checked, and the INITs
	 * dropped for a cookie it never made; on a client, the RETRYs it
	 * obeyed. */
	uint64_t port_retry_sent, port_validated, port_drop_bad_cookie;
	uint64_t retry_received;
	/* RESETs not believed (rdt(7), PROTOCOL.md 7.8): on this
	 * connection, those without the peer's reset token or with a wrong
	 * one (a restarted peer's RESET UNKNOWN among them, which cannot
	 * know the token); on a listener's port, those naming one of its
	 * connections from another address or port than that peer's. */
	uint64_t drop_forged_reset, port_drop_reset_addr;
	/* Encrypted mode (RDT_PSK): on this connection, datagrams that
	 * failed authentication or came in clear; on a listener's port,
	 * INITs refused for their key (another key, or only one side with
	 * one), each answered with a RESET that makes its client fail with
	 * EKEYREJECTED. */
	uint64_t drop_auth, port_drop_auth;
};

/*
 * rdt_setsockopt, rdt_getsockopt - socket options
 *
 * SOL_SOCKET: SO_RCVBUF, SO_SNDBUF (int bytes, clamped into 4096..256 MiB;
 * they take effect at the next rdt_connect or rdt_listen and are not
 * doubled as Linux does for TCP), SO_RCVTIMEO, SO_SNDTIMEO (struct timeval), SO_ERROR (get only;
 * reading clears it), SO_KEEPALIVE (int), SO_LINGER (struct linger),
 * SO_REUSEADDR (int), SO_REUSEPORT (int; as SO_REUSEADDR: still one
 * listener per port, so a second one cannot bind it), SO_TYPE, SO_DOMAIN,
 * SO_PROTOCOL (get only: SOCK_STREAM, the family, IPPROTO_TCP).
 * RDT_SOL: RDT_NODELAY, RDT_CONGESTION, RDT_USER_TIMEOUT, RDT_INFO,
 * RDT_KEEPIDLE, RDT_IDLE_TIMEOUT, RDT_MAXDGRAM, RDT_VALIDATE_ADDR,
 * RDT_PSK, RDT_KEY, RDT_PEER_KEY, described above.
 * IPPROTO_TCP, with TCP's names, units and ranges, so that ported TCP
 * programs need no change: TCP_NODELAY (= RDT_NODELAY), TCP_KEEPIDLE
 * (seconds; = RDT_KEEPIDLE), TCP_KEEPINTVL and TCP_KEEPCNT (stored and
 * reported; rdt retransmits an unanswered probe on its own timer and
 * gives up after the user timeout), TCP_USER_TIMEOUT (ms; 0 restores the
 * default), TCP_CONGESTION (= RDT_CONGESTION), TCP_QUICKACK (accepted;
 * rdt acknowledges promptly anyway), and get only: TCP_INFO (struct
 * tcp_info of <linux/tcp.h>, filled from RDT_INFO where the fields mean
 * the same: state, rto, rtt, rttvar, mss, cwnd in segments, retransmits,
 * lost, bytes and segments, pacing and delivery rates, min RTT; the rest
 * zero) and TCP_MAXSEG (payload bytes per datagram).  Every other TCP
 * option (TCP_CORK, TCP_DEFER_ACCEPT, TCP_FASTOPEN, TCP_MD5SIG, ...) fails
 * with ENOPROTOOPT, as an unknown option does.
 * Errors: EBADF, ENOTSOCK, ENOPROTOOPT (unknown level or option), EINVAL
 * (bad length or value), EFAULT (NULL pointers), ENOENT (unknown
 * congestion control), EISCONN (RDT_CONGESTION or TCP_CONGESTION on a
 * socket that already has a connection: choose before rdt_connect, or on
 * the listener for the connections it accepts).
 */
RDT_EXTERN int rdt_setsockopt(int fd, int level, int optname,
			      const void *optval, socklen_t optlen);
RDT_EXTERN int rdt_getsockopt(int fd, int level, int optname, void *optval,
			      socklen_t *optlen);

/*
 * rdt_poll - wait for events on descriptors
 *
 * Exactly poll(2): rdt sockets are kernel descriptors and may be mixed
 * freely with any others.  Provided so that code ported from TCP can keep
 * every call prefixed.
 */
RDT_EXTERN int rdt_poll(struct pollfd *fds, nfds_t nfds, int timeout);

#ifdef __cplusplus
}
#endif

#endif
