/*
 * static-prog.c: the program tests/packaging/install.sh compiles against
 * an installed librdt, with nothing but the installed rdt.h and the flags
 * of `pkg-config --static librdt`, and runs.
 *
 * It checks that the library it was linked with is the header's version,
 * then moves a few bytes over a loopback connection to itself, so that
 * the background thread, the descriptor mirror and the shutdown all work
 * in a static program.  Exit 0 on success; otherwise 1 with the failing
 * step on stderr.  Every wait is bounded by SO_RCVTIMEO/SO_SNDTIMEO.
 */
#include <rdt.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static int failed(const char *what)
{
	fprintf(stderr, "static-prog: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Blocking calls give up after 10 s instead of hanging the test. */
static int bound_waits(int fd)
{
	struct timeval tv = { .tv_sec = 10 };

	return rdt_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	       rdt_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int main(void)
{
	static const char msg[] = "static";
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	char buf[sizeof(msg)];
	int lfd, cfd, afd;

	if (strcmp(rdt_version(), RDT_VERSION_STRING) != 0) {
		fprintf(stderr, "static-prog: library %s, header %s\n",
			rdt_version(), RDT_VERSION_STRING);
		return 1;
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = rdt_socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bound_waits(lfd))
		return failed("rdt_socket (listener)");
	if (rdt_bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    rdt_listen(lfd, 1) ||
	    rdt_getsockname(lfd, (struct sockaddr *)&addr, &len))
		return failed("bind, listen, getsockname");
	cfd = rdt_socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || bound_waits(cfd))
		return failed("rdt_socket (client)");
	if (rdt_connect(cfd, (struct sockaddr *)&addr, sizeof(addr)))
		return failed("rdt_connect");
	afd = rdt_accept(lfd, NULL, NULL);
	if (afd < 0)
		return failed("rdt_accept");
	if (rdt_send(cfd, msg, sizeof(msg), 0) != (ssize_t)sizeof(msg) ||
	    rdt_shutdown(cfd, SHUT_WR))
		return failed("rdt_send");
	if (rdt_recv(afd, buf, sizeof(buf), MSG_WAITALL) !=
	    (ssize_t)sizeof(msg))
		return failed("rdt_recv");
	if (memcmp(buf, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "static-prog: received other bytes\n");
		return 1;
	}
	if (rdt_recv(afd, buf, sizeof(buf), 0) != 0)
		return failed("end of stream");
	if (rdt_close(afd) || rdt_close(cfd) || rdt_close(lfd))
		return failed("rdt_close");
	return 0;
}
