/* SPDX-License-Identifier: MIT */
/*
 * connect.c — listen and connect over a unix socket: pktlink's handshake
 * or gVisor's bare hand-over, stale socket files, waiting for a server.
 */
#include "shm_ep.h"

#include "core/fault.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A unix socket address for path, or -EINVAL when it does not fit. */
static int make_addr(const char *path, struct sockaddr_un *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!path || !path[0] || strlen(path) >= sizeof(a->sun_path))
		return pl_err(err, errlen, -EINVAL,
			      "shm: socket path '%s' is empty or longer than %zu bytes",
			      path ? path : "", sizeof(a->sun_path) - 1);
	strcpy(a->sun_path, path);
	return 0;
}

/*
 * Bind and listen on path. A socket file that is already there is taken
 * over only when nobody listens on it (a server that was killed leaves its
 * file behind): a connect() probe tells a live server from a stale file.
 * A live pktlink server ignores the probe (it closes without a word).
 * Return the listening socket, or a negative errno with a reason in err.
 */
static int listen_at(const char *path, const struct sockaddr_un *a, char *err, size_t errlen)
{
	int ls = pl_fault() ? (errno = EMFILE, -1) : socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return pl_err(err, errlen, -errno, "shm: socket: %s", strerror(errno));
	int be = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		be = pl_fault() ? EADDRINUSE : bind(ls, (const struct sockaddr *)a, sizeof(*a)) < 0 ? errno : 0;
		if (be != EADDRINUSE || attempt)
			break;
		struct stat st;
		if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
			break; /* not a socket file: never remove it */
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (probe < 0) {
			be = errno;
			break;
		}
		int ce = connect(probe, (const struct sockaddr *)a, sizeof(*a)) < 0 ? errno : 0;
		close(probe);
		if (ce != ECONNREFUSED) {
			close(ls);
			return pl_err(err, errlen, -EADDRINUSE,
				      "shm: another server is listening on %s (%s): stop it or "
				      "choose another path",
				      path, ce ? strerror(ce) : "it accepted a connection");
		}
		unlink(path); /* stale: its server is gone */
	}
	if (!be)
		be = pl_fault() ? EADDRINUSE : listen(ls, 4) < 0 ? errno : 0;
	if (be) {
		close(ls);
		return pl_err(err, errlen, -be,
			      "shm: cannot listen on the unix socket %s: %s (is the directory "
			      "writable, or is something other than a socket there?)",
			      path, strerror(be));
	}
	return ls;
}

/* Milliseconds left until deadline_ns (CLOCK_MONOTONIC), or -1 for none (deadline 0). */
static int ms_left(uint64_t deadline_ns)
{
	if (!deadline_ns)
		return -1;
	uint64_t now = pl_mono_ns();
	return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/* Check the sizes a peer announced in its hello, in 64-bit arithmetic. */
static int hello_check(const struct pl_shm_hello *h, char *err, size_t errlen)
{
	if (h->mtu < SHM_MIN_MTU || (uint64_t)h->mtu + SHM_ETH_HDR > PKTLINK_SHM_MAX_PACKET)
		return pl_err(err, errlen, -EINVAL,
			      "shm: the client announced MTU %u: it must be %u..%u", h->mtu,
			      SHM_MIN_MTU, PKTLINK_SHM_MAX_PACKET - SHM_ETH_HDR);
	if (h->buffer_size < 64 || h->buffer_size > PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN)
		return pl_err(err, errlen, -EINVAL,
			      "shm: the client announced buffers of %u bytes: they must be 64..%u",
			      h->buffer_size, PKTLINK_SHM_MAX_PACKET + SHM_VNET_LEN);
	return 0;
}

int pktlink_shm_listen(const char *path, const struct pktlink_shm_opts *opts,
		       struct pktlink_ep **epp, char *err, size_t errlen)
{
	struct pktlink_shm_opts o;
	struct sockaddr_un a;
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "shm: epp is NULL");
	*epp = NULL;
	int r = pl_shm_opts_load(opts, &o, err, errlen);
	if (!r)
		r = make_addr(path, &a, err, errlen);
	if (r)
		return r;
	o.role = PKTLINK_SHM_SERVER;
	bool bare = o.handover == PKTLINK_SHM_HANDOVER_FDS;
	int ls = listen_at(path, &a, err, errlen);
	if (ls < 0)
		return ls;
	uint64_t deadline = o.timeout_ms < 0 ? 0 : pl_mono_ns() + (uint64_t)o.timeout_ms * 1000000u;
	int cs = -1;
	struct pl_shm_hello h = { 0 };
	struct pktlink_shm_fds fds;
	/* Accept until a connection hands over a queue pair; connections that
	 * close without a word (another server's stale-socket probe) are
	 * skipped. Bounded by the deadline. */
	for (;;) {
		struct pollfd p = { .fd = ls, .events = POLLIN };
		int pr;
		do
			pr = poll(&p, 1, ms_left(deadline));
		while (pr < 0 && errno == EINTR);
		if (pr <= 0) {
			r = pl_err(err, errlen, pr == 0 ? -ETIMEDOUT : -errno,
				   "shm: no client connected to %s within %d ms", path, o.timeout_ms);
			break;
		}
		cs = pl_fault() ? (errno = EMFILE, -1) : accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (cs < 0) {
			r = pl_err(err, errlen, -errno, "shm: accept on %s: %s", path, strerror(errno));
			break;
		}
		int left = ms_left(deadline);
		r = bare ? pktlink_shm_recv_fds(cs, &fds, left, err, errlen)
			 : pl_shm_recv_qp(cs, &h, &fds, left, err, errlen);
		if (r != -ECONNABORTED)
			break;
		close(cs);
		cs = -1;
	}
	close(ls);
	unlink(path);
	if (r) {
		if (cs >= 0)
			close(cs);
		return r;
	}

	struct pl_shm_queue q[2];
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	memcpy(q[0].fds, fds.tx, sizeof(fds.tx));
	memcpy(q[1].fds, fds.rx, sizeof(fds.rx));
	if (bare) {
		/* Nothing announced: our own options describe the link. */
		h.mtu = o.mtu ? o.mtu : 1500;
	} else if ((h.vnet_hdr != 0) != o.vnet_hdr) {
		r = pl_err(err, errlen, -EINVAL,
			   "shm: the client %s virtio-net headers and this server %s: set vnet_hdr "
			   "the same on both sides",
			   h.vnet_hdr ? "uses" : "does not use", o.vnet_hdr ? "does" : "does not");
	} else if (o.mtu && h.mtu != o.mtu) {
		r = pl_err(err, errlen, -EINVAL,
			   "shm: the client's MTU is %u, this server's %u: set the same mtu on both "
			   "sides (or none on the server)",
			   h.mtu, o.mtu);
	} else {
		r = hello_check(&h, err, errlen);
	}
	if (!r)
		r = pl_shm_queue_map(&q[0], bare ? NULL : &h.sizes[0], o.allow_unsealed, err, errlen);
	if (!r)
		r = pl_shm_queue_map(&q[1], bare ? NULL : &h.sizes[1], o.allow_unsealed, err, errlen);
	if (r) {
		if (!bare)
			pl_shm_reply(cs, r, err ? err : "refused");
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		close(cs);
		return r;
	}
	o.mtu = h.mtu;
	struct pktlink_ep *ep;
	r = pl_shm_ep_create(&o, q, cs, 0, &ep, err, errlen);
	if (r) {
		/* cs was closed with the endpoint: the client sees the hang-up. */
		return r;
	}
	if (!bare && (pl_fault() || pl_shm_reply(to_shm(ep)->peer_fd, 0, "") < 0)) {
		pktlink_close(ep);
		return pl_err(err, errlen, -EPIPE,
			      "shm: the client went away during the handshake");
	}
	*epp = ep;
	return 0;
}

static int connect_loop(int s, const char *path, const struct sockaddr_un *a,
			const struct pktlink_shm_opts *o, bool announce, bool injected, uint64_t t0,
			uint64_t deadline, const sigset_t *old, char *err, size_t errlen);

/*
 * Connect s to the server at path. Nobody listening (no socket file, or a
 * stale one) fails at once unless opts allow a wait; a wait ends early on a
 * signal (EINTR), so Ctrl-C in a program that handles SIGINT stops it. With
 * announce, a wait that lasts over a second says so once on stderr (the
 * spec path: a tool's user must not stare at a silent terminal).
 */
static int connect_server(int s, const char *path, const struct sockaddr_un *a,
			  const struct pktlink_shm_opts *o, bool announce, char *err, size_t errlen)
{
	uint64_t t0 = pl_mono_ns();
	uint64_t deadline = o->connect_wait_ms > 0 ? t0 + (uint64_t)o->connect_wait_ms * 1000000u : 0;
	bool injected = pl_fault(); /* one setup step, however many retries */
	/* Signals stay blocked except inside ppoll(), which unblocks them
	 * atomically: one that arrives at any moment of the loop then ends
	 * the wait (a sleep alone would miss one delivered between calls). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = connect_loop(s, path, a, o, announce, injected, t0, deadline, &old, err, errlen);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static int connect_loop(int s, const char *path, const struct sockaddr_un *a,
			const struct pktlink_shm_opts *o, bool announce, bool injected, uint64_t t0,
			uint64_t deadline, const sigset_t *old, char *err, size_t errlen)
{
	for (;;) {
		int e = injected ? EACCES
				 : connect(s, (const struct sockaddr *)a, sizeof(*a)) < 0 ? errno : 0;
		if (!e)
			return 0;
		if (e == EINTR)
			continue;
		bool absent = e == ENOENT || e == ECONNREFUSED;
		bool wait = o->connect_wait_ms < 0 || (o->connect_wait_ms > 0 && pl_mono_ns() < deadline);
		if (!absent || !wait) {
			const char *hint = e == ENOENT ? "no server there (no socket file): start the server first, or set wait_ms to wait for it"
					 : e == ECONNREFUSED ? "nobody listens there (the socket file of a server that is gone?): start the server first, or set wait_ms to wait for it"
							     : "check the path and its permissions";
			return pl_err(err, errlen, -e, "shm: cannot connect to %s: %s; %s", path,
				      strerror(e), hint);
		}
		if (announce && pl_mono_ns() - t0 > 1000000000u) {
			announce = false;
			fprintf(stderr,
				"pktlink: shm: waiting for a server at %s (up to %d ms; Ctrl-C stops)\n",
				path, o->connect_wait_ms);
		}
		struct timespec d = { 0, 10 * 1000 * 1000 };
		if (ppoll(NULL, 0, &d, old) < 0 && errno == EINTR)
			return pl_err(err, errlen, -EINTR,
				      "shm: interrupted while waiting for a server at %s", path);
	}
}

int pktlink_shm_connect(const char *path, const struct pktlink_shm_opts *opts,
			struct pktlink_ep **epp, char *err, size_t errlen)
{
	return pl_shm_connect(path, opts, false, epp, err, errlen);
}

int pl_shm_connect(const char *path, const struct pktlink_shm_opts *opts, bool announce,
		   struct pktlink_ep **epp, char *err, size_t errlen)
{
	struct pktlink_shm_opts o;
	struct sockaddr_un a;
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "shm: epp is NULL");
	*epp = NULL;
	int r = pl_shm_opts_load(opts, &o, err, errlen);
	if (!r)
		r = make_addr(path, &a, err, errlen);
	if (r)
		return r;
	o.role = PKTLINK_SHM_CLIENT;
	struct pl_shm_queue q[2];
	pl_shm_queue_reset(&q[0]);
	pl_shm_queue_reset(&q[1]);
	struct pl_shm_queue_sizes sz = { o.data_size, o.pipe_size, o.pipe_size, o.shared_size };
	int s = -1;
	r = pl_shm_queue_create(&q[0], &sz, o.dir, err, errlen);
	if (!r)
		r = pl_shm_queue_create(&q[1], &sz, o.dir, err, errlen);
	if (!r) {
		s = pl_fault() ? (errno = EMFILE, -1) : socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (s < 0)
			r = pl_err(err, errlen, -errno, "shm: socket: %s", strerror(errno));
	}
	if (!r)
		r = connect_server(s, path, &a, &o, announce, err, errlen);
	if (!r) {
		struct pktlink_shm_fds fds;
		memcpy(fds.tx, q[0].fds, sizeof(fds.tx));
		memcpy(fds.rx, q[1].fds, sizeof(fds.rx));
		if (o.handover == PKTLINK_SHM_HANDOVER_FDS) {
			r = pktlink_shm_send_fds(s, &fds, err, errlen);
		} else {
			struct pl_shm_hello h = { .version = PL_SHM_WIRE_VERSION,
						  .mtu = o.mtu ? o.mtu : 1500,
						  .buffer_size = o.buffer_size,
						  .vnet_hdr = o.vnet_hdr };
			pl_shm_queue_sizes_of(&q[0], &h.sizes[0]);
			pl_shm_queue_sizes_of(&q[1], &h.sizes[1]);
			r = pl_shm_send_qp(s, &h, &fds, o.timeout_ms, err, errlen);
		}
	}
	if (r) {
		pl_shm_queue_close(&q[0]);
		pl_shm_queue_close(&q[1]);
		if (s >= 0)
			close(s);
		return r;
	}
	return pl_shm_ep_create(&o, q, s, o.buffer_size, epp, err, errlen);
}
