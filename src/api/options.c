/*
 * options.c: rdt_setsockopt and rdt_getsockopt, at the levels
 * SOL_SOCKET, RDT_SOL and IPPROTO_TCP, and RDT_INFO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
/* linux/tcp.h, not netinet/tcp.h: its struct tcp_info has every field
 * TCP_INFO fills (pacing and delivery rates, bytes). */
#include <linux/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "api.h"
#include "core/err.h"
#include "core/seal.h"
#include "errmap.h"
#include "rdt.h"
#include "runtime/rt.h"
#include "wire/pkt.h"

/* SO_SNDBUF / SO_RCVBUF are clamped into this range. */
#define MIN_BUFFER 4096
#define MAX_BUFFER (256u << 20)

/* --- options ---------------------------------------------------------------- */

static int get_int(const void *val, socklen_t len, int *out)
{
	if (val == NULL)
		return -EFAULT;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int get_timeval(const void *val, socklen_t len, rdt_tstamp *out)
{
	struct timeval tv;

	if (val == NULL)
		return -EFAULT;
	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	*out = (rdt_tstamp)tv.tv_sec * RDT_S + (rdt_tstamp)tv.tv_usec * RDT_US;
	return 0;
}

static size_t clamp_buffer(int v)
{
	if (v < (int)MIN_BUFFER)
		return MIN_BUFFER;
	if ((unsigned)v > MAX_BUFFER)
		return MAX_BUFFER;
	return (size_t)v;
}

/* Pushes the options that may change on a live connection into it. */
static void retune(struct rt_sock *s)
{
	struct rdt_conn_config cfg;

	if (s->conn == NULL)
		return;
	rdt_rt_conn_config(&s->opt, &cfg);
	rdt_conn_tune(s->conn, cfg.nodelay, cfg.user_timeout,
		      cfg.idle_timeout, cfg.keepalive);
	rdt_rt_service(s, rdt_rt_now());
}

static int set_socket_level(struct rt_sock *s, int name, const void *val,
			    socklen_t len)
{
	struct linger lg;
	int v = 0, err;

	switch (name) {
	case SO_SNDBUF:
	case SO_RCVBUF:
	case SO_KEEPALIVE:
	case SO_REUSEADDR:
	case SO_REUSEPORT:
		err = get_int(val, len, &v);
		if (err)
			return err;
		if (name == SO_SNDBUF)
			s->opt.sndbuf = clamp_buffer(v);
		else if (name == SO_RCVBUF)
			s->opt.rcvbuf = clamp_buffer(v);
		else if (name == SO_KEEPALIVE)
			s->opt.keepalive = !!v;
		else if (name == SO_REUSEPORT)
			s->opt.reuseport = !!v;
		else
			s->opt.reuseaddr = !!v;
		if (name == SO_KEEPALIVE)
			retune(s);
		return 0;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		err = get_timeval(val, len, name == SO_RCVTIMEO ?
				  &s->opt.rcvtimeo : &s->opt.sndtimeo);
		/* The kernel times out blocking reads and writes on the
		 * descriptor; ours bound accept, connect and the
		 * handshake. */
		if (err == 0 && s->has_fd &&
		    setsockopt(s->notify.app_fd, SOL_SOCKET, name, val, len))
			err = -errno;
		return err;
	case SO_LINGER:
		if (val == NULL)
			return -EFAULT;
		if (len < sizeof(lg))
			return -EINVAL;
		memcpy(&lg, val, sizeof(lg));
		s->opt.linger_on = !!lg.l_onoff;
		s->opt.linger_s = lg.l_linger < 0 ? 0 : lg.l_linger;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * RDT_PSK, RDT_KEY, RDT_PEER_KEY: the encrypted modes' keys.  A
 * pre-shared key and the public-key handshake exclude each other; the
 * datagram size must leave room for what sealing adds; a live
 * connection keeps the keys it started with, as it keeps its congestion
 * control.  optlen 0 removes a key.
 */
static int set_key(struct rt_sock *s, int name, const void *val,
		   socklen_t len)
{
	struct rt_opts *o = &s->opt;
	int pk = name != RDT_PSK;

	if (s->conn != NULL)
		return -EISCONN;
	if (len == 0) {
		if (name == RDT_PSK) {
			sodium_memzero(o->psk, sizeof(o->psk));
			o->use_psk = 0;
		} else if (name == RDT_KEY) {
			sodium_memzero(o->key_secret, sizeof(o->key_secret));
			o->have_key = 0;
		} else {
			o->have_peer_key = 0;
		}
		return 0;
	}
	if (val == NULL)
		return -EFAULT;
	if (len != 32 || (pk ? o->use_psk : o->have_key || o->have_peer_key) ||
	    o->max_dgram < RDT_PKT_INIT_MIN_SIZE +
				   (pk ? RDT_SEAL_PK_OVERHEAD :
					 RDT_SEAL_TAG_SIZE))
		return -EINVAL;
	if (name == RDT_PSK) {
		memcpy(o->psk, val, sizeof(o->psk));
		o->use_psk = 1;
	} else if (name == RDT_KEY) {
		if (sodium_init() < 0)
			return -ENOMEM;
		memcpy(o->key_secret, val, sizeof(o->key_secret));
		crypto_scalarmult_base(o->key_public, o->key_secret);
		o->have_key = 1;
	} else {
		memcpy(o->peer_key, val, sizeof(o->peer_key));
		o->have_peer_key = 1;
	}
	return 0;
}

static int set_rdt_level(struct rt_sock *s, int name, const void *val,
			 socklen_t len)
{
	const struct rdt_cc_ops *cc;
	char cc_name[32];
	int v = 0, err;

	if (name == RDT_PSK || name == RDT_KEY || name == RDT_PEER_KEY)
		return set_key(s, name, val, len);
	if (name == RDT_CONGESTION) {
		if (val == NULL)
			return -EFAULT;
		if (len == 0 || len >= sizeof(cc_name))
			return -EINVAL;
		memcpy(cc_name, val, len);
		cc_name[len] = '\0';
		cc = rdt_cc_find(cc_name);
		if (cc == NULL)
			return -ENOENT;
		/* The controller is chosen when the connection starts; a
		 * live one keeps its own, and a read-back must not lie. */
		if (s->conn != NULL)
			return -EISCONN;
		s->opt.cc = cc;
		return 0;
	}
	err = get_int(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case RDT_NODELAY:
		s->opt.nodelay = !!v;
		break;
	case RDT_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		if (v == 0) {
			struct rt_opts def;

			rdt_rt_opts_default(&def);
			s->opt.user_timeout = def.user_timeout;
		} else {
			s->opt.user_timeout = (rdt_tstamp)(unsigned)v * RDT_MS;
		}
		break;
	case RDT_KEEPIDLE:
		if (v <= 0)
			return -EINVAL;
		s->opt.keepidle = (rdt_tstamp)(unsigned)v * RDT_MS;
		break;
	case RDT_IDLE_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		s->opt.idle_timeout = (rdt_tstamp)(unsigned)v * RDT_MS;
		break;
	case RDT_MAXDGRAM:
		if (v < RDT_PKT_INIT_MIN_SIZE || v > RDT_PKT_MAX_DGRAM ||
		    (s->opt.use_psk &&
		     v < RDT_PKT_INIT_MIN_SIZE + RDT_SEAL_TAG_SIZE) ||
		    ((s->opt.have_key || s->opt.have_peer_key) &&
		     v < RDT_PKT_INIT_MIN_SIZE + RDT_SEAL_PK_OVERHEAD))
			return -EINVAL;
		s->opt.max_dgram = (size_t)v;
		return 0;
	case RDT_VALIDATE_ADDR:
		if (v != 0 && v != 1)
			return -EINVAL;
		s->opt.validate_addr = v;
		return 0;
	case RDT_INFO:
		return -EINVAL;
	default:
		return -ENOPROTOOPT;
	}
	retune(s);
	return 0;
}

/* Linux's bounds for the keepalive options (MAX_TCP_KEEP*). */
#define MAX_KEEP_S 32767
#define MAX_KEEPCNT 127

/* IPPROTO_TCP: TCP's names and units onto rdt's (rdt.h lists them). */
static int set_tcp_level(struct rt_sock *s, int name, const void *val,
			 socklen_t len)
{
	int v = 0, err;

	if (name == TCP_CONGESTION)
		return set_rdt_level(s, RDT_CONGESTION, val, len);
	switch (name) {
	case TCP_NODELAY:
		return set_rdt_level(s, RDT_NODELAY, val, len);
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_USER_TIMEOUT:
	case TCP_QUICKACK:
		err = get_int(val, len, &v);
		if (err)
			return err;
		break;
	default:
		return -ENOPROTOOPT;
	}
	switch (name) {
	case TCP_KEEPIDLE:
		if (v < 1 || v > MAX_KEEP_S)
			return -EINVAL;
		s->opt.keepidle = (rdt_tstamp)v * RDT_S;
		retune(s);
		return 0;
	case TCP_KEEPINTVL:
		if (v < 1 || v > MAX_KEEP_S)
			return -EINVAL;
		s->opt.keepintvl_s = v;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > MAX_KEEPCNT)
			return -EINVAL;
		s->opt.keepcnt = v;
		return 0;
	case TCP_USER_TIMEOUT:
		return set_rdt_level(s, RDT_USER_TIMEOUT, &v, sizeof(v));
	default: /* TCP_QUICKACK */
		s->opt.quickack = !!v;
		return 0;
	}
}

int rdt_setsockopt(int fd, int level, int optname, const void *optval,
		   socklen_t optlen)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);
	int err;

	if (s == NULL)
		return -1;
	if (level == SOL_SOCKET)
		err = set_socket_level(s, optname, optval, optlen);
	else if (level == RDT_SOL)
		err = set_rdt_level(s, optname, optval, optlen);
	else if (level == IPPROTO_TCP)
		err = set_tcp_level(s, optname, optval, optlen);
	else
		err = -ENOPROTOOPT;
	return rdt_api_finish(s, err, 0);
}

static uint32_t to_us(rdt_tstamp t)
{
	t /= RDT_US;
	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static uint32_t public_state(const struct rt_sock *s)
{
	static const uint32_t map[] = {
		[RDT_CONN_SYN_SENT] = RDT_STATE_SYN_SENT,
		[RDT_CONN_SYN_RCVD] = RDT_STATE_SYN_RCVD,
		[RDT_CONN_ESTABLISHED] = RDT_STATE_ESTABLISHED,
		[RDT_CONN_FIN_WAIT] = RDT_STATE_FIN_WAIT,
		[RDT_CONN_CLOSE_WAIT] = RDT_STATE_CLOSE_WAIT,
		[RDT_CONN_LAST_ACK] = RDT_STATE_LAST_ACK,
		[RDT_CONN_TIME_WAIT] = RDT_STATE_TIME_WAIT,
		[RDT_CONN_CLOSED] = RDT_STATE_CLOSED,
	};

	if (s->role == RT_LISTENING)
		return RDT_STATE_LISTEN;
	if (s->conn == NULL)
		return RDT_STATE_CLOSED;
	return map[rdt_conn_state(s->conn)];
}

static void fill_info(const struct rt_sock *s, struct rdt_info *out)
{
	struct rdt_rt_port_stats port;
	struct rdt_conn_info ci;

	memset(out, 0, sizeof(*out));
	out->state = public_state(s);
	if (s->conn) {
		const struct rdt_conn_stats *st = &ci.stats;

		rdt_conn_get_info(s->conn, &ci);
		out->error = ci.error ? (uint32_t)rdt_errno_from(ci.error) : 0;
		out->srtt_us = to_us(ci.srtt);
		out->rttvar_us = to_us(ci.rttvar);
		out->min_rtt_us = to_us(ci.min_rtt);
		out->latest_rtt_us = to_us(ci.latest_rtt);
		out->rto_us = to_us(ci.rto);
		out->max_dgram = (uint32_t)s->opt.max_dgram;
		out->cwnd = ci.cwnd;
		out->ssthresh = ci.ssthresh;
		out->bytes_in_flight = ci.bytes_in_flight;
		out->peer_window = ci.peer_window;
		out->reordering = ci.pkt_threshold;
		out->bytes_sent = st->bytes_sent;
		out->bytes_retransmitted = st->bytes_retransmitted;
		out->bytes_acked = st->bytes_acked;
		out->bytes_received = st->bytes_received;
		out->bytes_delivered = st->bytes_delivered;
		out->bytes_duplicate = st->bytes_duplicate;
		out->pkts_sent = st->pkts_sent;
		out->pkts_received = st->pkts_received;
		out->pkts_retransmitted = st->pkts_retransmitted;
		out->pkts_lost = st->pkts_lost;
		out->pkts_spurious_lost = st->pkts_spurious_lost;
		out->pkts_reordered = st->pkts_reordered;
		out->pkts_duplicate = st->pkts_duplicate;
		out->tlp_count = st->tlp_count;
		out->rto_count = st->rto_count;
		out->persist_probes = st->persist_probes;
		out->drop_checksum = st->drop_checksum;
		out->drop_malformed = st->drop_malformed;
		out->drop_version = st->drop_version;
		out->drop_beyond_window = st->drop_beyond_window;
		out->drop_invalid_ack = st->drop_invalid_ack;
		out->drop_state = st->drop_state;
		out->drop_other = st->drop_unknown_cid +
				  st->drop_reassembly_full + st->drop_nomem;
		out->drop_forged_pn = st->drop_forged_pn;
		out->drop_forged_fin = st->drop_forged_fin;
		out->drop_past_fin = st->drop_past_fin;
		out->drop_invalid_edge = st->drop_invalid_edge;
		out->fin_deferred = st->fin_deferred;
		out->pn_collisions = st->pn_collisions;
		out->sack_reneged = st->sack_reneged;
		out->retry_received = st->retry_received;
		out->drop_forged_reset = st->drop_forged_reset;
		out->drop_auth = st->drop_auth;
		out->pacing_rate = ci.pacing_rate;
		out->delivery_rate = ci.delivery_rate;
		snprintf(out->cc_name, sizeof(out->cc_name), "%s",
			 ci.cc_name ? ci.cc_name : "");
		snprintf(out->cc_state, sizeof(out->cc_state), "%s",
			 ci.cc_state ? ci.cc_state : "");
	}
	rdt_rt_port_stats(s, &port);
	out->port_dgrams_received = port.received;
	out->port_dgrams_sent = port.sent;
	out->port_drop_checksum = port.drop_checksum;
	out->port_drop_malformed = port.drop_malformed;
	out->port_drop_unknown_cid = port.drop_unknown_cid;
	out->port_drop_no_listener = port.drop_no_listener;
	out->port_drop_backlog = port.drop_backlog;
	out->port_send_errors = port.send_errors;
	out->port_drop_icmp = port.drop_icmp;
	out->port_retry_sent = port.retry_sent;
	out->port_validated = port.validated;
	out->port_drop_bad_cookie = port.drop_bad_cookie;
	out->port_drop_reset_addr = port.drop_reset_addr;
	out->port_drop_auth = port.drop_auth;
}

/* Writes an int option value as getsockopt(2) does. */
static int put_int(void *val, socklen_t *len, int v)
{
	if (val == NULL || len == NULL)
		return -EFAULT;
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static int put_bytes(void *val, socklen_t *len, const void *src, size_t n)
{
	if (val == NULL || len == NULL)
		return -EFAULT;
	if (*len < n)
		n = *len;
	memcpy(val, src, n);
	*len = (socklen_t)n;
	return 0;
}

static struct timeval to_timeval(rdt_tstamp t)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(t / RDT_S);
	tv.tv_usec = (suseconds_t)((t % RDT_S) / RDT_US);
	return tv;
}

static int ms_int(rdt_tstamp t)
{
	t /= RDT_MS;
	return t > INT32_MAX ? INT32_MAX : (int)t;
}

static int get_socket_level(struct rt_sock *s, int name, void *val,
			    socklen_t *len)
{
	struct timeval tv;
	struct linger lg;

	switch (name) {
	case SO_SNDBUF:
		return put_int(val, len, (int)s->opt.sndbuf);
	case SO_RCVBUF:
		return put_int(val, len, (int)s->opt.rcvbuf);
	case SO_KEEPALIVE:
		return put_int(val, len, s->opt.keepalive);
	case SO_REUSEADDR:
		return put_int(val, len, s->opt.reuseaddr);
	case SO_REUSEPORT:
		return put_int(val, len, s->opt.reuseport);
	case SO_PROTOCOL:
		return put_int(val, len, IPPROTO_TCP);
	case SO_TYPE:
		return put_int(val, len, SOCK_STREAM);
	case SO_DOMAIN:
		return put_int(val, len, s->family);
	case SO_ERROR:
		return put_int(val, len, rdt_api_take_error(s));
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		tv = to_timeval(name == SO_RCVTIMEO ? s->opt.rcvtimeo :
						      s->opt.sndtimeo);
		return put_bytes(val, len, &tv, sizeof(tv));
	case SO_LINGER:
		lg.l_onoff = s->opt.linger_on;
		lg.l_linger = s->opt.linger_s;
		return put_bytes(val, len, &lg, sizeof(lg));
	default:
		return -ENOPROTOOPT;
	}
}

static int get_rdt_level(struct rt_sock *s, int name, void *val,
			 socklen_t *len)
{
	struct rdt_info info;
	const char *cc;

	switch (name) {
	case RDT_NODELAY:
		return put_int(val, len, s->opt.nodelay);
	case RDT_USER_TIMEOUT:
		return put_int(val, len, ms_int(s->opt.user_timeout));
	case RDT_KEEPIDLE:
		return put_int(val, len, ms_int(s->opt.keepidle));
	case RDT_IDLE_TIMEOUT:
		return put_int(val, len, ms_int(s->opt.idle_timeout));
	case RDT_MAXDGRAM:
		return put_int(val, len, (int)s->opt.max_dgram);
	case RDT_VALIDATE_ADDR:
		return put_int(val, len, s->opt.validate_addr);
	case RDT_PSK:
		/* Whether a key is set; the key itself never comes back. */
		return put_int(val, len, s->opt.use_psk);
	case RDT_KEY:
		/* The public half: what the clients need. */
		if (!s->opt.have_key)
			return -ENOENT;
		return put_bytes(val, len, s->opt.key_public,
				 sizeof(s->opt.key_public));
	case RDT_PEER_KEY:
		if (!s->opt.have_peer_key)
			return -ENOENT;
		return put_bytes(val, len, s->opt.peer_key,
				 sizeof(s->opt.peer_key));
	case RDT_CONGESTION:
		cc = s->opt.cc->name;
		return put_bytes(val, len, cc, strlen(cc) + 1);
	case RDT_INFO:
		fill_info(s, &info);
		return put_bytes(val, len, &info, sizeof(info));
	default:
		return -ENOPROTOOPT;
	}
}

/* TCP's state numbers (include/net/tcp_states.h). */
static uint8_t tcp_state(uint32_t state)
{
	static const uint8_t map[] = {
		[RDT_STATE_CLOSED] = 7,		/* TCP_CLOSE */
		[RDT_STATE_LISTEN] = 10,	/* TCP_LISTEN */
		[RDT_STATE_SYN_SENT] = 2,
		[RDT_STATE_SYN_RCVD] = 3,
		[RDT_STATE_ESTABLISHED] = 1,
		[RDT_STATE_FIN_WAIT] = 4,	/* TCP_FIN_WAIT1 */
		[RDT_STATE_CLOSE_WAIT] = 8,
		[RDT_STATE_LAST_ACK] = 9,
		[RDT_STATE_TIME_WAIT] = 6,
	};

	return state < sizeof(map) ? map[state] : 7;
}

/* Bytes of stream a datagram of |max_dgram| carries: less the header,
 * the DATA fields and the CRC. */
static uint32_t payload(const struct rt_opts *o, uint32_t max_dgram)
{
	/* Sealing adds its tag to every datagram after the handshake. */
	const uint32_t overhead = RDT_PKT_HEADER_SIZE + 4 + 6 +
				  RDT_PKT_CRC_SIZE +
				  (o->use_psk || o->have_key ||
						   o->have_peer_key ?
					   RDT_SEAL_TAG_SIZE : 0);

	return max_dgram > overhead ? max_dgram - overhead : 1;
}

/* TCP_INFO from RDT_INFO, field by field where the meaning is the same. */
static void fill_tcp_info(const struct rt_sock *s, struct tcp_info *t)
{
	struct rdt_info i;
	uint32_t mss;

	fill_info(s, &i);
	mss = payload(&s->opt, i.max_dgram);
	memset(t, 0, sizeof(*t));
	t->tcpi_state = tcp_state(i.state);
	t->tcpi_rto = i.rto_us;
	t->tcpi_snd_mss = mss;
	t->tcpi_rcv_mss = mss;
	t->tcpi_lost = (uint32_t)i.pkts_lost;
	t->tcpi_retrans = (uint32_t)i.pkts_retransmitted;
	t->tcpi_rtt = i.srtt_us;
	t->tcpi_rttvar = i.rttvar_us;
	t->tcpi_snd_cwnd = (uint32_t)(i.cwnd / mss);
	t->tcpi_snd_ssthresh = (uint32_t)(i.ssthresh / mss);
	t->tcpi_total_retrans = (uint32_t)i.pkts_retransmitted;
	t->tcpi_reordering = i.reordering;
	t->tcpi_pacing_rate = i.pacing_rate;
	t->tcpi_bytes_acked = i.bytes_acked;
	t->tcpi_bytes_received = i.bytes_received;
	t->tcpi_segs_out = (uint32_t)i.pkts_sent;
	t->tcpi_segs_in = (uint32_t)i.pkts_received;
	t->tcpi_min_rtt = i.min_rtt_us;
	t->tcpi_delivery_rate = i.delivery_rate;
	t->tcpi_bytes_sent = i.bytes_sent;
	t->tcpi_bytes_retrans = i.bytes_retransmitted;
}

static int get_tcp_level(struct rt_sock *s, int name, void *val,
			 socklen_t *len)
{
	struct tcp_info ti;

	switch (name) {
	case TCP_NODELAY:
		return put_int(val, len, s->opt.nodelay);
	case TCP_KEEPIDLE:
		return put_int(val, len, (int)(s->opt.keepidle / RDT_S));
	case TCP_KEEPINTVL:
		return put_int(val, len, s->opt.keepintvl_s);
	case TCP_KEEPCNT:
		return put_int(val, len, s->opt.keepcnt);
	case TCP_USER_TIMEOUT:
		return put_int(val, len, ms_int(s->opt.user_timeout));
	case TCP_QUICKACK:
		return put_int(val, len, s->opt.quickack);
	case TCP_CONGESTION:
		return get_rdt_level(s, RDT_CONGESTION, val, len);
	case TCP_MAXSEG:
		return put_int(val, len, (int)payload(
				&s->opt, (uint32_t)s->opt.max_dgram));
	case TCP_INFO:
		fill_tcp_info(s, &ti);
		return put_bytes(val, len, &ti, sizeof(ti));
	default:
		return -ENOPROTOOPT;
	}
}

int rdt_getsockopt(int fd, int level, int optname, void *optval,
		   socklen_t *optlen)
{
	struct rt_sock *s = rdt_api_sock_lock(fd);
	int err;

	if (s == NULL)
		return -1;
	if (level == SOL_SOCKET)
		err = get_socket_level(s, optname, optval, optlen);
	else if (level == RDT_SOL)
		err = get_rdt_level(s, optname, optval, optlen);
	else if (level == IPPROTO_TCP)
		err = get_tcp_level(s, optname, optval, optlen);
	else
		err = -ENOPROTOOPT;
	return rdt_api_finish(s, err, 0);
}

