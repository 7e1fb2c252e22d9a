/* SPDX-License-Identifier: MIT */
/*
 * msg.c — memif control messages: parsing what a peer sent (untrusted:
 * every field copied out once, strings bounded, values range-checked) and
 * sending/receiving 128-byte messages with one passed descriptor.
 */
#include "memif_int.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Copy a fixed-size, maybe unterminated, name field into a C string. */
static void copy_name(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = 0;
}

int pl_memif_msg_parse(const void *buf, size_t len, bool has_fd, struct pl_memif_msg *m,
		       const char **why)
{
	struct memif_msg msg;
	memset(m, 0, sizeof(*m));
	if (len != MEMIF_MSG_SZ) {
		*why = "control message is not 128 bytes";
		return -EPROTO;
	}
	memcpy(&msg, buf, sizeof(msg)); /* one read of the peer's bytes */
	m->type = msg.type;
	bool want_fd = msg.type == MEMIF_MSG_ADD_REGION || msg.type == MEMIF_MSG_ADD_RING;
	if (msg.type == MEMIF_MSG_NONE || msg.type > MEMIF_MSG_MAX) {
		*why = "unknown control message type";
		return -EPROTO;
	}
	if (want_fd && !has_fd) {
		*why = msg.type == MEMIF_MSG_ADD_REGION ? "missing region fd" : "missing interrupt fd";
		return -EPROTO;
	}
	if (!want_fd && has_fd) {
		*why = "unexpected file descriptor with a control message";
		return -EPROTO;
	}
	switch (msg.type) {
	case MEMIF_MSG_HELLO:
		copy_name(m->hello.name, msg.hello.name, MEMIF_NAME_SZ);
		m->hello.min_version = msg.hello.min_version;
		m->hello.max_version = msg.hello.max_version;
		m->hello.max_region = msg.hello.max_region;
		m->hello.max_c2s = msg.hello.max_c2s_ring;
		m->hello.max_s2c = msg.hello.max_s2c_ring;
		m->hello.max_log2 = msg.hello.max_log2_ring_size;
		if (m->hello.min_version > MEMIF_VERSION || m->hello.max_version < MEMIF_VERSION) {
			*why = "incompatible memif version";
			return -EPROTO;
		}
		break;
	case MEMIF_MSG_INIT:
		if (msg.init.version != MEMIF_VERSION) {
			*why = "incompatible memif version";
			return -EPROTO;
		}
		m->init.id = msg.init.id;
		m->init.mode = msg.init.mode;
		memcpy(m->init.secret, msg.init.secret, MEMIF_SECRET_SZ);
		m->init.secret[MEMIF_SECRET_SZ] = 0;
		copy_name(m->init.name, msg.init.name, MEMIF_NAME_SZ);
		break;
	case MEMIF_MSG_ADD_REGION:
		m->region.index = msg.add_region.index;
		m->region.size = msg.add_region.size;
		if (m->region.index >= PL_MEMIF_MAX_REGIONS) {
			*why = "invalid region index";
			return -EPROTO;
		}
		if (m->region.size == 0 || m->region.size > (1ull << 40)) {
			*why = "invalid region size";
			return -EPROTO;
		}
		break;
	case MEMIF_MSG_ADD_RING:
		if (msg.add_ring.flags & ~MEMIF_RING_FLAG_C2S) {
			*why = "unknown ring flags";
			return -EPROTO;
		}
		m->ring.c2s = msg.add_ring.flags & MEMIF_RING_FLAG_C2S;
		m->ring.index = msg.add_ring.index;
		m->ring.region = msg.add_ring.region;
		m->ring.offset = msg.add_ring.offset;
		m->ring.log2 = msg.add_ring.log2_ring_size;
		if (m->ring.index >= PL_MAX_QUEUES) {
			*why = "invalid ring index";
			return -EPROTO;
		}
		if (m->ring.region >= PL_MEMIF_MAX_REGIONS) {
			*why = "invalid ring region";
			return -EPROTO;
		}
		if (m->ring.log2 > MEMIF_MAX_LOG2_RING) {
			*why = "ring too large";
			return -EPROTO;
		}
		if (msg.add_ring.private_hdr_size != 0) {
			*why = "private headers are not supported";
			return -EPROTO;
		}
		break;
	case MEMIF_MSG_CONNECT:
	case MEMIF_MSG_CONNECTED:
		copy_name(m->connect.if_name, msg.connect.if_name, MEMIF_NAME_SZ);
		break;
	case MEMIF_MSG_DISCONNECT:
		m->disconnect.code = msg.disconnect.code;
		copy_name(m->disconnect.string, msg.disconnect.string, MEMIF_DISC_SZ);
		break;
	default: /* ACK */
		break;
	}
	return 0;
}

int pl_memif_msg_send(int sock, const struct memif_msg *msg, int fd)
{
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = sizeof(*msg) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == (ssize_t)sizeof(*msg) ? 0 : -EIO;
}

int pl_memif_msg_recv(int sock, void *buf, size_t cap, int *fd, int timeout_ms)
{
	*fd = -1;
	struct pollfd p = { .fd = sock, .events = POLLIN };
	int pr;
	do
		pr = poll(&p, 1, timeout_ms);
	while (pr < 0 && errno == EINTR);
	if (pr < 0)
		return -errno;
	if (pr == 0)
		return -ETIMEDOUT;
	/* Room for a few descriptors so that extra ones can be closed, not leaked. */
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t r;
	do
		r = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = f;
			else
				close(f);
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return (int)cap + 1; /* parse rejects the size */
	}
	return (int)r;
}

void pl_memif_send_disconnect(int sock, const char *reason)
{
	if (sock < 0)
		return;
	struct memif_msg m;
	memset(&m, 0, sizeof(m));
	m.type = MEMIF_MSG_DISCONNECT;
	strncpy((char *)m.disconnect.string, reason, MEMIF_DISC_SZ - 1);
	(void)pl_memif_msg_send(sock, &m, -1);
}
