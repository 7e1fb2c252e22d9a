/* SPDX-License-Identifier: MIT */
/*
 * sock.c — memif control sockets and the two handshakes.
 *
 *   server                         client
 *   HELLO (limits, name)   ->
 *                          <-      INIT (version, id, mode, secret, name)
 *   ACK                    ->
 *                          <-      ADD_REGION (index, size) + memfd
 *   ACK                    ->      ...
 *                          <-      ADD_RING (dir, index, region, offset, log2) + eventfd
 *   ACK                    ->      ...
 *                          <-      CONNECT (interface name)
 *   CONNECTED (name)       ->
 *
 * One message at a time, each answered (DPDK's client sends its next
 * message only when the previous one was acknowledged). A refusal is a
 * DISCONNECT with a reason string, then the socket is closed.
 */
#include "memif_int.h"

#include "core/fault.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Milliseconds left before deadline (0 = none: -1), at least 0. */
static int left_ms(uint64_t deadline)
{
	if (!deadline)
		return -1;
	uint64_t n = now_ms();
	return n >= deadline ? 0 : (int)(deadline - n);
}

static uint64_t deadline_of(const struct pktlink_memif_opts *o)
{
	return o->timeout_ms < 0 ? 0 : now_ms() + (uint64_t)o->timeout_ms;
}

/* The socket address: a path, or an abstract name ("@name" or o->abstract). */
static int make_addr(const struct pktlink_memif_opts *o, struct sockaddr_un *a, socklen_t *alen,
		     bool *abstract, char *err, size_t errlen)
{
	const char *s = o->socket;
	*abstract = o->abstract || s[0] == '@';
	if (s[0] == '@')
		s++;
	size_t n = strlen(s);
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!n || n + 1 > sizeof(a->sun_path))
		return pl_err(err, errlen, -EINVAL,
			      "memif: socket name '%s' is empty or longer than %zu bytes", o->socket,
			      sizeof(a->sun_path) - 2);
	if (*abstract) {
		memcpy(a->sun_path + 1, s, n);
		*alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	} else {
		memcpy(a->sun_path, s, n);
		*alen = (socklen_t)sizeof(*a);
	}
	return 0;
}

static void name_field(uint8_t *dst, const char *src, size_t n)
{
	size_t l = strnlen(src, n);
	memcpy(dst, src, l);
}

/*
 * Receive and parse one message. A DISCONNECT from the peer becomes
 * -ECONNREFUSED with its reason. Return 0, or a negative errno with err set.
 */
static int recv_msg(int sock, struct pl_memif_msg *m, int *fd, uint64_t deadline, const char *stage,
		    char *err, size_t errlen)
{
	uint8_t buf[MEMIF_MSG_SZ];
	int r = pl_memif_msg_recv(sock, buf, sizeof(buf), fd, left_ms(deadline));
	if (r == -ETIMEDOUT)
		return pl_err(err, errlen, r, "memif: the peer did not answer (%s) in time", stage);
	if (r < 0)
		return pl_err(err, errlen, r, "memif: control socket (%s): %s", stage, strerror(-r));
	if (r == 0)
		return pl_err(err, errlen, -ECONNRESET, "memif: the peer closed the socket (%s)",
			      stage);
	const char *why = NULL;
	if (pl_memif_msg_parse(buf, (size_t)r, *fd >= 0, m, &why) < 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		pl_memif_send_disconnect(sock, why);
		return pl_err(err, errlen, -EPROTO, "memif: bad control message (%s): %s", stage, why);
	}
	if (m->type == MEMIF_MSG_DISCONNECT)
		return pl_err(err, errlen, -ECONNREFUSED, "memif: the peer refused us (%s): %s", stage,
			      m->disconnect.string);
	return 0;
}

/* The peer broke the handshake: tell it, fail with -EPROTO. */
static int refuse(int sock, const char *why, char *err, size_t errlen)
{
	pl_memif_send_disconnect(sock, why);
	return pl_err(err, errlen, -EPROTO, "memif: refused the peer: %s", why);
}

static int expect(int sock, unsigned type, struct pl_memif_msg *m, uint64_t deadline,
		  const char *stage, char *err, size_t errlen)
{
	int fd = -1;
	int r = recv_msg(sock, m, &fd, deadline, stage, err, errlen);
	if (r < 0)
		return r;
	if (fd >= 0)
		close(fd);
	if (m->type != type)
		return refuse(sock, "unexpected message", err, errlen);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Client                                                                    */

static int client_socket(const struct pktlink_memif_opts *o, uint64_t deadline, char *err,
			 size_t errlen)
{
	struct sockaddr_un a;
	socklen_t alen;
	bool abstract;
	int r = make_addr(o, &a, &alen, &abstract, err, errlen);
	if (r < 0)
		return r;
	for (;;) {
		int s = pl_fault() ? -1 : socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (s < 0)
			return pl_err(err, errlen, -EMFILE, "memif: socket: %s", strerror(errno));
		if (connect(s, (struct sockaddr *)&a, alen) == 0)
			return s;
		int e = errno;
		close(s);
		/* The server may not be up yet: wait for it like a VPP/DPDK client does. */
		if ((e != ENOENT && e != ECONNREFUSED && e != EAGAIN) || left_ms(deadline) == 0)
			return pl_err(err, errlen, -e, "memif: cannot connect to %s%s: %s",
				      abstract ? "abstract socket @" : "", o->socket + (o->socket[0] == '@'),
				      strerror(e));
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

/* One attempt; *retry is set when the failure is one a server shows while
 * it still tears down a previous connection. */
static int client_session(const struct pktlink_memif_opts *o0, struct pl_memif_conn *c,
			  uint64_t deadline, bool *retry, char *err, size_t errlen)
{
	struct pktlink_memif_opts o = *o0;
	int s = client_socket(&o, deadline, err, errlen);
	if (s < 0)
		return s;
	c->sock = s;
	struct pl_memif_msg m;
	int r = expect(s, MEMIF_MSG_HELLO, &m, deadline, "hello", err, errlen);
	if (r == -ECONNRESET || (r == -ECONNREFUSED && strstr(err ? err : "", "Already connected")))
		*retry = true;
	if (r < 0)
		return r;
	memcpy(c->peer_name, m.hello.name, sizeof(c->peer_name));
	unsigned nq = o.num_queues;
	if (nq > (unsigned)m.hello.max_c2s + 1)
		nq = (unsigned)m.hello.max_c2s + 1;
	if (nq > (unsigned)m.hello.max_s2c + 1)
		nq = (unsigned)m.hello.max_s2c + 1;
	while (o.ring_size > 1 && o.ring_size > (1u << m.hello.max_log2))
		o.ring_size >>= 1;
	r = pl_memif_client_regions(&o, nq, c, err, errlen);
	if (r < 0) {
		pl_memif_send_disconnect(s, "client cannot allocate memory");
		return r;
	}

	struct memif_msg out;
	memset(&out, 0, sizeof(out));
	out.type = MEMIF_MSG_INIT;
	out.init.version = MEMIF_VERSION;
	out.init.id = o.id;
	out.init.mode = o.mode == PKTLINK_MEMIF_IP ? MEMIF_MODE_IP : MEMIF_MODE_ETHERNET;
	if (o.secret)
		name_field(out.init.secret, o.secret, MEMIF_SECRET_SZ);
	name_field(out.init.name, o.name, MEMIF_NAME_SZ);
	if ((r = pl_memif_msg_send(s, &out, -1)) < 0)
		return pl_err(err, errlen, r, "memif: send init: %s", strerror(-r));
	if ((r = expect(s, MEMIF_MSG_ACK, &m, deadline, "init", err, errlen)) < 0) {
		if (r == -ECONNREFUSED && err && strstr(err, "Already connected"))
			*retry = true;
		return r;
	}

	memset(&out, 0, sizeof(out));
	out.type = MEMIF_MSG_ADD_REGION;
	out.add_region.index = 0;
	out.add_region.size = c->regions[0].size;
	if ((r = pl_memif_msg_send(s, &out, c->regions[0].fd)) < 0)
		return pl_err(err, errlen, r, "memif: send add_region: %s", strerror(-r));
	if ((r = expect(s, MEMIF_MSG_ACK, &m, deadline, "add_region", err, errlen)) < 0)
		return r;

	for (unsigned d = 0; d < 2; d++)
		for (unsigned q = 0; q < nq; q++) {
			const struct pl_memif_ring_cfg *rc = &c->rings[d][q];
			memset(&out, 0, sizeof(out));
			out.type = MEMIF_MSG_ADD_RING;
			out.add_ring.flags = d == 0 ? MEMIF_RING_FLAG_C2S : 0;
			out.add_ring.index = (uint16_t)q;
			out.add_ring.region = rc->region;
			out.add_ring.offset = rc->offset;
			out.add_ring.log2_ring_size = rc->log2;
			if ((r = pl_memif_msg_send(s, &out, rc->efd)) < 0)
				return pl_err(err, errlen, r, "memif: send add_ring: %s", strerror(-r));
			if ((r = expect(s, MEMIF_MSG_ACK, &m, deadline, "add_ring", err, errlen)) < 0)
				return r;
		}

	memset(&out, 0, sizeof(out));
	out.type = MEMIF_MSG_CONNECT;
	name_field(out.connect.if_name, o.name, MEMIF_NAME_SZ);
	if ((r = pl_memif_msg_send(s, &out, -1)) < 0)
		return pl_err(err, errlen, r, "memif: send connect: %s", strerror(-r));
	if ((r = expect(s, MEMIF_MSG_CONNECTED, &m, deadline, "connect", err, errlen)) < 0)
		return r;
	memcpy(c->peer_if_name, m.connect.if_name, sizeof(c->peer_if_name));
	return 0;
}

int pl_memif_client_connect(const struct pktlink_memif_opts *o, struct pl_memif_conn *c,
			    char *err, size_t errlen)
{
	uint64_t deadline = deadline_of(o);
	char why[PL_ERRMSG_LEN];
	for (;;) {
		bool retry = false;
		why[0] = 0;
		int r = client_session(o, c, deadline, &retry, why, sizeof(why));
		if (r == 0)
			return 0;
		/* A server that closes or resets the socket without a
		 * DISCONNECT reason is still tearing down an earlier client
		 * (DPDK does so at any stage of the handshake): try again. */
		if (r == -ECONNRESET || r == -EPIPE)
			retry = true;
		if (!retry || left_ms(deadline) == 0)
			return pl_err(err, errlen, r, "%s", why);
		/* The server was still dropping an old client: start over. */
		pl_memif_conn_free(c);
		pl_memif_conn_init(c);
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------------------ */
/* Server                                                                    */

static int ack(int sock)
{
	struct memif_msg out;
	memset(&out, 0, sizeof(out));
	out.type = MEMIF_MSG_ACK;
	return pl_memif_msg_send(sock, &out, -1);
}

/*
 * One client's handshake on an accepted socket. Return 0 (connected), a
 * negative errno with err set. -EPROTO/-ECONNREFUSED/-ECONNRESET/-ETIMEDOUT
 * concern this client only; the caller may wait for another.
 */
static int server_handshake(const struct pktlink_memif_opts *o, struct pl_memif_conn *c,
			    uint64_t deadline, char *err, size_t errlen)
{
	int s = c->sock;
	struct memif_msg out;
	memset(&out, 0, sizeof(out));
	out.type = MEMIF_MSG_HELLO;
	name_field(out.hello.name, o->name, MEMIF_NAME_SZ);
	out.hello.min_version = MEMIF_VERSION;
	out.hello.max_version = MEMIF_VERSION;
	out.hello.max_region = PL_MEMIF_MAX_REGIONS - 1;
	out.hello.max_c2s_ring = (uint16_t)(o->num_queues - 1);
	out.hello.max_s2c_ring = (uint16_t)(o->num_queues - 1);
	out.hello.max_log2_ring_size = MEMIF_MAX_LOG2_RING;
	int r = pl_memif_msg_send(s, &out, -1);
	if (r < 0)
		return pl_err(err, errlen, -ECONNRESET, "memif: send hello: %s", strerror(-r));

	struct pl_memif_msg m;
	if ((r = expect(s, MEMIF_MSG_INIT, &m, deadline, "init", err, errlen)) < 0)
		return r;
	if (m.init.id != o->id)
		return refuse(s, "ID not found", err, errlen);
	unsigned mode = o->mode == PKTLINK_MEMIF_IP ? MEMIF_MODE_IP : MEMIF_MODE_ETHERNET;
	if (m.init.mode != mode)
		return refuse(s, mode == MEMIF_MODE_IP ? "Only IP mode supported"
						       : "Only ethernet mode supported",
			      err, errlen);
	if (o->secret && o->secret[0]) {
		if (!m.init.secret[0])
			return refuse(s, "Secret required", err, errlen);
		if (strncmp((const char *)m.init.secret, o->secret, MEMIF_SECRET_SZ))
			return refuse(s, "Incorrect secret", err, errlen);
	}
	memcpy(c->peer_name, m.init.name, sizeof(c->peer_name));
	if ((r = ack(s)) < 0)
		return pl_err(err, errlen, -ECONNRESET, "memif: send ack: %s", strerror(-r));

	bool have[2][PL_MAX_QUEUES] = { { false } };
	for (;;) {
		int fd = -1;
		if ((r = recv_msg(s, &m, &fd, deadline, "setup", err, errlen)) < 0)
			return r;
		if (m.type == MEMIF_MSG_ADD_REGION) {
			if (m.region.index != c->nregions) {
				close(fd);
				return refuse(s, "Invalid region index", err, errlen);
			}
			c->regions[c->nregions].fd = fd;
			c->regions[c->nregions].size = m.region.size;
			c->nregions++;
		} else if (m.type == MEMIF_MSG_ADD_RING) {
			unsigned d = m.ring.c2s ? 0 : 1;
			if (m.ring.index >= o->num_queues || have[d][m.ring.index]) {
				close(fd);
				return refuse(s, "Invalid ring index", err, errlen);
			}
			have[d][m.ring.index] = true;
			struct pl_memif_ring_cfg *rc = &c->rings[d][m.ring.index];
			rc->efd = fd;
			rc->region = m.ring.region;
			rc->offset = m.ring.offset;
			rc->log2 = m.ring.log2;
			c->nrings[d]++;
		} else if (m.type == MEMIF_MSG_CONNECT) {
			break;
		} else {
			return refuse(s, "Unexpected message", err, errlen);
		}
		if ((r = ack(s)) < 0)
			return pl_err(err, errlen, -ECONNRESET, "memif: send ack: %s", strerror(-r));
	}
	memcpy(c->peer_if_name, m.connect.if_name, sizeof(c->peer_if_name));
	for (unsigned d = 0; d < 2; d++) {
		if (!c->nrings[d])
			return refuse(s, "No rings", err, errlen);
		for (unsigned q = 0; q < c->nrings[d]; q++)
			if (!have[d][q])
				return refuse(s, "Ring indices are not contiguous", err, errlen);
	}
	if (c->nrings[0] != c->nrings[1])
		return refuse(s, "Unequal ring counts per direction", err, errlen);
	if ((r = pl_memif_map_regions(c, o->allow_unsealed, err, errlen)) < 0) {
		pl_memif_send_disconnect(s, "Invalid region");
		return r;
	}
	for (unsigned d = 0; d < 2; d++)
		for (unsigned q = 0; q < c->nrings[d]; q++)
			if (!pl_memif_ring_ptr(c, &c->rings[d][q], err, errlen)) {
				pl_memif_send_disconnect(s, "Invalid ring");
				return -EPROTO;
			}
	memset(&out, 0, sizeof(out));
	out.type = MEMIF_MSG_CONNECTED;
	name_field(out.connect.if_name, o->name, MEMIF_NAME_SZ);
	if ((r = pl_memif_msg_send(s, &out, -1)) < 0)
		return pl_err(err, errlen, -ECONNRESET, "memif: send connected: %s", strerror(-r));
	return 0;
}

int pl_memif_server_accept(const struct pktlink_memif_opts *o, struct pl_memif_conn *c,
			   char *err, size_t errlen)
{
	uint64_t deadline = deadline_of(o);
	struct sockaddr_un a;
	socklen_t alen;
	bool abstract;
	int r = make_addr(o, &a, &alen, &abstract, err, errlen);
	if (r < 0)
		return r;
	int ls = pl_fault() ? -1 : socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return pl_err(err, errlen, -EMFILE, "memif: socket: %s", strerror(errno));
	if (!abstract) {
		/* Replace a stale socket file (a previous server's), nothing else. */
		struct stat st;
		if (lstat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(a.sun_path);
	}
	if (bind(ls, (struct sockaddr *)&a, alen) < 0 || listen(ls, 4) < 0) {
		int e = errno;
		close(ls);
		return pl_err(err, errlen, -e, "memif: cannot listen on %s%s: %s",
			      abstract ? "abstract socket @" : "", o->socket + (o->socket[0] == '@'),
			      strerror(e));
	}
	char why[PL_ERRMSG_LEN] = "";
	for (;;) {
		struct pollfd p = { .fd = ls, .events = POLLIN };
		int pr = poll(&p, 1, left_ms(deadline));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			r = pr < 0 ? -errno : -ETIMEDOUT;
			if (why[0])
				pl_err(err, errlen, r, "%s (no other client came)", why);
			else
				pl_err(err, errlen, r, "memif: no client connected to %s%s in time",
				       abstract ? "@" : "", o->socket + (o->socket[0] == '@'));
			break;
		}
		int s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (s < 0)
			continue;
		c->sock = s;
		r = server_handshake(o, c, deadline, why, sizeof(why));
		if (r == 0)
			break;
		if (r != -EPROTO && r != -ECONNREFUSED && r != -ECONNRESET && r != -ETIMEDOUT) {
			pl_err(err, errlen, r, "%s", why);
			break;
		}
		/* That client failed: forget it, wait for another. */
		pl_memif_conn_free(c);
		pl_memif_conn_init(c);
	}
	close(ls);
	if (!abstract)
		unlink(a.sun_path);
	return r;
}
