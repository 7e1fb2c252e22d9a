/* SPDX-License-Identifier: MIT */
/*
 * qpair.c — creating, checking, mapping and handing over the regions of the
 * shared-memory queues. See qpair.h.
 */
#include "qpair.h"
#include "pipe.h"

#include "core/endpoint.h"
#include "core/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif

static const char *const region_name[PKTLINK_SHM_QUEUE_FDS] = { "data", "eventfd", "tx pipe",
								 "rx pipe", "shared data" };

void pl_shm_queue_reset(struct pl_shm_queue *q)
{
	memset(q, 0, sizeof(*q));
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++)
		q->fds[i] = -1;
}

/* The mapping of descriptor slot i, or NULL for the eventfd slot. */
static struct pl_shm_region *region_of(struct pl_shm_queue *q, int i)
{
	switch (i) {
	case PKTLINK_SHM_FD_DATA:
		return &q->data;
	case PKTLINK_SHM_FD_TX_PIPE:
		return &q->tx_pipe;
	case PKTLINK_SHM_FD_RX_PIPE:
		return &q->rx_pipe;
	case PKTLINK_SHM_FD_SHARED:
		return &q->shared;
	default:
		return NULL;
	}
}

/* The size of slot i in sz (0 for the eventfd slot). */
static uint64_t size_of(const struct pl_shm_queue_sizes *sz, int i)
{
	switch (i) {
	case PKTLINK_SHM_FD_DATA:
		return sz->data;
	case PKTLINK_SHM_FD_TX_PIPE:
		return sz->tx_pipe;
	case PKTLINK_SHM_FD_RX_PIPE:
		return sz->rx_pipe;
	case PKTLINK_SHM_FD_SHARED:
		return sz->shared;
	default:
		return 0;
	}
}

void pl_shm_queue_sizes_of(const struct pl_shm_queue *q, struct pl_shm_queue_sizes *sz)
{
	sz->data = q->data.len;
	sz->tx_pipe = q->tx_pipe.len;
	sz->rx_pipe = q->rx_pipe.len;
	sz->shared = q->shared.len;
}

/* Check a region size against the limits of its kind. */
static int check_size(int i, uint64_t size, char *err, size_t errlen)
{
	uint64_t lo = 1, hi = PL_SHM_MAX_DATA_SIZE;
	if (i == PKTLINK_SHM_FD_TX_PIPE || i == PKTLINK_SHM_FD_RX_PIPE) {
		lo = PL_PIPE_MIN_LEN;
		hi = PL_PIPE_MAX_LEN;
	} else if (i == PKTLINK_SHM_FD_SHARED) {
		lo = PL_SHM_MIN_SHARED_SIZE;
		hi = 1u << 20;
	}
	if (size < lo || size > hi)
		return pl_err(err, errlen, -EINVAL,
			      "shm %s region of %llu bytes: it must hold %llu..%llu bytes", region_name[i],
			      (unsigned long long)size, (unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

/* Create one memory object of size bytes: a sealed memfd, or an unlinked file in dir. */
static int create_region(int i, uint64_t size, const char *dir, char *err, size_t errlen)
{
	int fd;
	char name[32];
	snprintf(name, sizeof(name), "pktlink-shm-%s", i == PKTLINK_SHM_FD_DATA ? "data" :
						       i == PKTLINK_SHM_FD_SHARED ? "shared" : "pipe");
	if (pl_fault()) {
		errno = EMFILE;
		fd = -1;
	} else if (!dir) {
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	} else {
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
			/* No O_TMPFILE there: a named file, unlinked at once. */
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/pktlink-shm-XXXXXX", dir);
			fd = mkostemp(path, O_CLOEXEC);
			if (fd >= 0)
				unlink(path);
		}
	}
	if (fd < 0)
		return pl_err(err, errlen, -errno,
			      "cannot create the shm %s region %s%s: %s (check the fd limit%s)",
			      region_name[i], dir ? "in " : "(memfd)", dir ? dir : "",
			      strerror(errno), dir ? " and that the directory exists and is writable" : "");
	int e = 0;
	if (pl_fault())
		e = ENOSPC;
	else if (ftruncate(fd, (off_t)size) < 0)
		e = errno;
	if (e) {
		close(fd);
		return pl_err(err, errlen, -e,
			      "cannot size the shm %s region to %llu bytes: %s (is %s full?)",
			      region_name[i], (unsigned long long)size, strerror(e),
			      dir ? dir : "memory");
	}
	if (!dir) {
		/* Sealed so that the peer cannot shrink it under our mappings
		 * (a shrunk mapping raises SIGBUS on access). */
		if (pl_fault())
			e = EPERM;
		else if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
			e = errno;
		if (e) {
			close(fd);
			return pl_err(err, errlen, -e, "cannot seal the shm %s memfd: %s",
				      region_name[i], strerror(e));
		}
	}
	return fd;
}

/* Map slot i shared read-write (one setup step); records the mapping for close. */
static int map_region(struct pl_shm_queue *q, int i, uint64_t size, char *err, size_t errlen)
{
	struct pl_shm_region *r = region_of(q, i);
	void *p;
	if (pl_fault()) {
		errno = ENOMEM;
		p = MAP_FAILED;
	} else {
		p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, q->fds[i], 0);
	}
	if (p == MAP_FAILED)
		return pl_err(err, errlen, -errno, "cannot map the shm %s region (%llu bytes): %s",
			      region_name[i], (unsigned long long)size, strerror(errno));
	r->base = p;
	r->len = size;
	return 0;
}

int pl_shm_queue_create(struct pl_shm_queue *q, const struct pl_shm_queue_sizes *sz,
			const char *dir, char *err, size_t errlen)
{
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++) {
		if (i == PKTLINK_SHM_FD_EVENT) {
			int fd = pl_fault() ? (errno = EMFILE, -1)
					    : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (fd < 0)
				return pl_err(err, errlen, -errno,
					      "cannot create the shm queue's eventfd: %s (check the fd limit)",
					      strerror(errno));
			q->fds[i] = fd;
			continue;
		}
		int r = check_size(i, size_of(sz, i), err, errlen);
		if (r)
			return r;
		int fd = create_region(i, size_of(sz, i), dir, err, errlen);
		if (fd < 0)
			return fd;
		q->fds[i] = fd;
		r = map_region(q, i, size_of(sz, i), err, errlen);
		if (r)
			return r;
	}
	/* Fresh files read as zero, which would look like a published empty
	 * record: start both pipes with the free marker (the seed's initQueue). */
	pl_pipe_init_region(q->tx_pipe.base, q->tx_pipe.len);
	pl_pipe_init_region(q->rx_pipe.base, q->rx_pipe.len);
	return 0;
}

int pl_shm_queue_adopt(struct pl_shm_queue *q, const int fds[PKTLINK_SHM_QUEUE_FDS], char *err,
		       size_t errlen)
{
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++) {
		if (fds[i] < 0)
			return pl_err(err, errlen, -EBADF,
				      "shm queue: no descriptor for the %s (slot %d of 5): pass all "
				      "five in the order data, eventfd, tx pipe, rx pipe, shared data",
				      region_name[i], i);
		int fd = pl_fault() ? (errno = EMFILE, -1) : fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return pl_err(err, errlen, -errno, "shm queue: cannot duplicate the %s fd %d: %s",
				      region_name[i], fds[i], strerror(errno));
		q->fds[i] = fd;
	}
	return 0;
}

/* Whether fd is an eventfd (its /proc link), so that a peer cannot hand us a pipe that blocks. */
static bool is_eventfd(int fd)
{
	char path[64], target[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = 0;
	return !strcmp(target, "anon_inode:[eventfd]");
}

int pl_shm_queue_map(struct pl_shm_queue *q, const struct pl_shm_queue_sizes *want,
		     bool allow_unsealed, char *err, size_t errlen)
{
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++) {
		int fd = q->fds[i];
		if (i == PKTLINK_SHM_FD_EVENT) {
			if (!is_eventfd(fd))
				return pl_err(err, errlen, -EINVAL,
					      "shm queue: descriptor %d in the eventfd slot is not an "
					      "eventfd (the order is data, eventfd, tx pipe, rx pipe, "
					      "shared data)",
					      fd);
			int fl = fcntl(fd, F_GETFL);
			if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
				return pl_err(err, errlen, -errno,
					      "shm queue: cannot make the eventfd non-blocking: %s",
					      strerror(errno));
			continue;
		}
		/* Seals first, size second: once SHRINK is sealed the size
		 * can only grow, so the size read afterwards stays mappable.
		 * In the other order the peer could shrink the file between
		 * the two reads and seal it after, and we would fault on
		 * the first touch of the lost pages. */
		int seals = fcntl(fd, F_GET_SEALS);
		struct stat st;
		int e = 0;
		if (pl_fault())
			e = EIO;
		else if (fstat(fd, &st) < 0)
			e = errno;
		if (e)
			return pl_err(err, errlen, -e, "shm queue: fstat of the %s fd: %s",
				      region_name[i], strerror(e));
		if (!S_ISREG(st.st_mode))
			return pl_err(err, errlen, -EINVAL,
				      "shm queue: the %s descriptor is not a memory file (memfd or a "
				      "file in /dev/shm); the order is data, eventfd, tx pipe, rx "
				      "pipe, shared data",
				      region_name[i]);
		if (!allow_unsealed && (seals < 0 || !(seals & F_SEAL_SHRINK)))
			return pl_err(err, errlen, -EPERM,
				      "shm queue: the peer's %s region is not sealed against "
				      "shrinking, so it could crash us by truncating it; use memfd "
				      "regions, or allow_unsealed=1 for a peer you trust (gVisor's "
				      "/dev/shm files)",
				      region_name[i]);
		uint64_t size = (uint64_t)st.st_size;
		if (want && size != size_of(want, i))
			return pl_err(err, errlen, -EINVAL,
				      "shm queue: the %s region has %llu bytes but the peer announced "
				      "%llu",
				      region_name[i], (unsigned long long)size,
				      (unsigned long long)size_of(want, i));
		int r = check_size(i, size, err, errlen);
		if (r)
			return r;
		r = map_region(q, i, size, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

void pl_shm_queue_close(struct pl_shm_queue *q)
{
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++) {
		struct pl_shm_region *r = region_of(q, i);
		if (r && r->base) {
			munmap(r->base, (size_t)r->len);
			r->base = NULL;
			r->len = 0;
		}
		if (q->fds[i] >= 0)
			close(q->fds[i]);
		q->fds[i] = -1;
	}
}

/* ---- hand-over over a unix socket ---- */

#define PL_SHM_MAGIC 0x4d48534c4b54504cull /* the bytes "LPTKLSHM": not a pktlink peer otherwise */

struct wire_hello {
	uint64_t magic;
	uint32_t version;
	uint32_t mtu;
	uint32_t buffer_size;
	uint32_t vnet_hdr;
	uint64_t sizes[2][4];
};

struct wire_reply {
	uint64_t magic;
	uint32_t version;
	int32_t status;
	char reason[200];
};

/* Wait until sock is readable: 0, -ETIMEDOUT, or a poll error. */
static int wait_readable(int sock, int timeout_ms)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/*
 * Send len bytes with the ten descriptors of fds (TX queue then RX queue,
 * each in the seed's order) in one SCM_RIGHTS message. Return what
 * sendmsg returned (errno set on -1).
 */
static ssize_t send_with_fds(int sock, const void *buf, size_t len, const struct pktlink_shm_fds *fds)
{
	int all[2 * PKTLINK_SHM_QUEUE_FDS];
	memcpy(all, fds->tx, sizeof(fds->tx));
	memcpy(all + PKTLINK_SHM_QUEUE_FDS, fds->rx, sizeof(fds->rx));
	union {
		char buf[CMSG_SPACE(sizeof(all))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(all));
	memcpy(CMSG_DATA(c), all, sizeof(all));
	ssize_t n;
	do
		n = pl_fault() ? (errno = EPIPE, -1) : sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * Receive one message of at most len bytes and exactly ten descriptors into
 * all[]. Every descriptor that arrived is kept in all[] (*got of them) or
 * closed, so none leaks whatever the caller decides. Return the byte count
 * (>= 0; *why explains a message that is not acceptable), or -errno.
 */
static ssize_t recv_with_fds(int sock, void *buf, size_t len, int all[2 * PKTLINK_SHM_QUEUE_FDS],
			     int *got, const char **why)
{
	union {
		/* Room for more than we want, to catch (and close) extras. */
		char buf[CMSG_SPACE(sizeof(int) * 32)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf) };
	ssize_t n;
	*got = 0;
	*why = NULL;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	int extra = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t j = 0; j < k; j++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + j * sizeof(int), sizeof(int));
			if (*got < 2 * PKTLINK_SHM_QUEUE_FDS)
				all[(*got)++] = fd;
			else {
				close(fd);
				extra++;
			}
		}
	}
	if (n == 0)
		*why = "the peer closed the connection";
	else if (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
		*why = "the message was truncated (too many descriptors or bytes)";
	else if (*got != 2 * PKTLINK_SHM_QUEUE_FDS || extra)
		*why = "the peer must send exactly ten descriptors in one message";
	return n;
}

static void close_all(int *all, int got)
{
	for (int i = 0; i < got; i++)
		close(all[i]);
}

int pl_shm_send_qp(int sock, const struct pl_shm_hello *h, const struct pktlink_shm_fds *fds,
		   int timeout_ms, char *err, size_t errlen)
{
	struct wire_hello w = {
		.magic = PL_SHM_MAGIC,
		.version = h->version,
		.mtu = h->mtu,
		.buffer_size = h->buffer_size,
		.vnet_hdr = h->vnet_hdr,
	};
	for (int q = 0; q < 2; q++) {
		w.sizes[q][0] = h->sizes[q].data;
		w.sizes[q][1] = h->sizes[q].tx_pipe;
		w.sizes[q][2] = h->sizes[q].rx_pipe;
		w.sizes[q][3] = h->sizes[q].shared;
	}
	ssize_t n = send_with_fds(sock, &w, sizeof(w), fds);
	if (n != (ssize_t)sizeof(w))
		return pl_err(err, errlen, n < 0 ? -errno : -EIO,
			      "shm: cannot send the queue pair to the server: %s",
			      n < 0 ? strerror(errno) : "short send");
	int r = pl_fault() ? -ETIMEDOUT : wait_readable(sock, timeout_ms);
	if (r)
		return pl_err(err, errlen, r,
			      "shm: no answer from the server after sending the queue pair: %s",
			      strerror(-r));
	struct wire_reply rep;
	do
		n = recv(sock, &rep, sizeof(rep), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rep) || rep.magic != PL_SHM_MAGIC)
		return pl_err(err, errlen, n < 0 ? -errno : -EPROTO,
			      "shm: the server's answer is not a pktlink shm reply (%s): is the "
			      "socket a pktlink shm server?",
			      n < 0 ? strerror(errno) : n == 0 ? "connection closed" : "bad size or magic");
	if (rep.status) {
		rep.reason[sizeof(rep.reason) - 1] = 0;
		int st = rep.status < 0 && rep.status > -4096 ? rep.status : -EPROTO;
		return pl_err(err, errlen, st, "shm: the server refused the queue pair: %s",
			      rep.reason);
	}
	return 0;
}

int pl_shm_reply(int sock, int status, const char *reason)
{
	struct wire_reply rep = { .magic = PL_SHM_MAGIC, .version = PL_SHM_WIRE_VERSION,
				  .status = status };
	snprintf(rep.reason, sizeof(rep.reason), "%s", reason ? reason : "");
	ssize_t n;
	do
		n = send(sock, &rep, sizeof(rep), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(rep) ? 0 : -EIO;
}

int pl_shm_recv_qp(int sock, struct pl_shm_hello *h, struct pktlink_shm_fds *fds, int timeout_ms,
		   char *err, size_t errlen)
{
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++)
		fds->tx[i] = fds->rx[i] = -1;
	int r = pl_fault() ? -ETIMEDOUT : wait_readable(sock, timeout_ms);
	if (r)
		return pl_err(err, errlen, r, "shm: no queue pair from the client: %s", strerror(-r));
	struct wire_hello w;
	int all[2 * PKTLINK_SHM_QUEUE_FDS], got;
	const char *why;
	ssize_t n = recv_with_fds(sock, &w, sizeof(w), all, &got, &why);
	if (n < 0)
		return pl_err(err, errlen, (int)n, "shm: receiving the queue pair: %s",
			      strerror((int)-n));
	if (n == 0 && got == 0)
		/* Connected and left without a word: a liveness probe (another
		 * server checking whether this socket is stale), not a client. */
		return pl_err(err, errlen, -ECONNABORTED,
			      "shm: a connection closed without sending a queue pair");
	if (!why && (n != (ssize_t)sizeof(w) || w.magic != PL_SHM_MAGIC))
		why = "not a pktlink shm hello (bad size or magic): a gVisor peer that sends "
		      "only the ten descriptors needs handover=fds";
	if (why) {
		close_all(all, got);
		pl_shm_reply(sock, -EPROTO, why);
		return pl_err(err, errlen, -EPROTO, "shm: bad queue pair from the client: %s", why);
	}
	if (w.version != PL_SHM_WIRE_VERSION) {
		close_all(all, got);
		char msg[96];
		snprintf(msg, sizeof(msg), "wire version %u is not supported (this side speaks %u)",
			 w.version, PL_SHM_WIRE_VERSION);
		pl_shm_reply(sock, -EPROTONOSUPPORT, msg);
		return pl_err(err, errlen, -EPROTONOSUPPORT, "shm: client %s; upgrade one side", msg);
	}
	memcpy(fds->tx, all, sizeof(fds->tx));
	memcpy(fds->rx, all + PKTLINK_SHM_QUEUE_FDS, sizeof(fds->rx));
	h->version = w.version;
	h->mtu = w.mtu;
	h->buffer_size = w.buffer_size;
	h->vnet_hdr = w.vnet_hdr;
	for (int q = 0; q < 2; q++) {
		h->sizes[q].data = w.sizes[q][0];
		h->sizes[q].tx_pipe = w.sizes[q][1];
		h->sizes[q].rx_pipe = w.sizes[q][2];
		h->sizes[q].shared = w.sizes[q][3];
	}
	return 0;
}

/* ---- the bare hand-over of gVisor's programs: ten descriptors, nothing else ---- */

int pktlink_shm_send_fds(int sock, const struct pktlink_shm_fds *fds, char *err, size_t errlen)
{
	if (!fds)
		return pl_err(err, errlen, -EINVAL, "shm: fds is NULL");
	uint8_t zero = 0; /* a message needs one byte to carry descriptors */
	ssize_t n = send_with_fds(sock, &zero, 1, fds);
	if (n != 1)
		return pl_err(err, errlen, n < 0 ? -errno : -EIO,
			      "shm: cannot send the queue pair's descriptors: %s",
			      n < 0 ? strerror(errno) : "short send");
	return 0;
}

int pktlink_shm_recv_fds(int sock, struct pktlink_shm_fds *fds, int timeout_ms, char *err,
			 size_t errlen)
{
	if (!fds)
		return pl_err(err, errlen, -EINVAL, "shm: fds is NULL");
	for (int i = 0; i < PKTLINK_SHM_QUEUE_FDS; i++)
		fds->tx[i] = fds->rx[i] = -1;
	int r = pl_fault() ? -ETIMEDOUT : wait_readable(sock, timeout_ms);
	if (r)
		return pl_err(err, errlen, r, "shm: no queue pair from the peer within %d ms: %s",
			      timeout_ms, strerror(-r));
	uint64_t buf[16]; /* the payload carries nothing; a pktlink hello is told apart */
	int all[2 * PKTLINK_SHM_QUEUE_FDS], got;
	const char *why;
	ssize_t n = recv_with_fds(sock, buf, sizeof(buf), all, &got, &why);
	if (n < 0)
		return pl_err(err, errlen, (int)n, "shm: receiving the queue pair: %s",
			      strerror((int)-n));
	if (n == 0 && got == 0)
		return pl_err(err, errlen, -ECONNABORTED,
			      "shm: a connection closed without sending a queue pair");
	if (!why && n >= 8 && buf[0] == PL_SHM_MAGIC)
		why = "the peer speaks pktlink's own handshake: use handover=pktlink (the default)";
	if (why) {
		close_all(all, got);
		return pl_err(err, errlen, -EPROTO, "shm: bad queue pair from the peer: %s", why);
	}
	memcpy(fds->tx, all, sizeof(fds->tx));
	memcpy(fds->rx, all + PKTLINK_SHM_QUEUE_FDS, sizeof(fds->rx));
	return 0;
}
