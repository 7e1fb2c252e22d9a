/* SPDX-License-Identifier: MIT */
/*
 * fuzz_memif_msg — the memif control-message parser against a hostile peer.
 *
 *   input = 1 byte (bit 0: a descriptor came with the message), then the
 *           bytes received on the control socket
 *
 * Invariants (trap on violation): a message the parser accepts has a known
 * type, NUL-terminated strings within their fields, indices inside our
 * tables, a ring size we can map; a rejected one carries a reason.
 */
#include "fuzz.h"

#include "memif/memif_int.h"

#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool has_fd = data[0] & 1;
	struct pl_memif_msg m;
	const char *why = NULL;
	int r = pl_memif_msg_parse(data + 1, size - 1, has_fd, &m, &why);
	if (r < 0) {
		PL_FUZZ_CHECK(r == -EPROTO && why && why[0]);
		return 0;
	}
	PL_FUZZ_CHECK(size - 1 == MEMIF_MSG_SZ);
	PL_FUZZ_CHECK(m.type >= MEMIF_MSG_ACK && m.type <= MEMIF_MSG_MAX);
	switch (m.type) {
	case MEMIF_MSG_HELLO:
		PL_FUZZ_CHECK(strlen(m.hello.name) <= MEMIF_NAME_SZ);
		PL_FUZZ_CHECK(m.hello.min_version <= MEMIF_VERSION && m.hello.max_version >= MEMIF_VERSION);
		break;
	case MEMIF_MSG_INIT:
		PL_FUZZ_CHECK(strlen(m.init.name) <= MEMIF_NAME_SZ);
		PL_FUZZ_CHECK(strlen((const char *)m.init.secret) <= MEMIF_SECRET_SZ);
		break;
	case MEMIF_MSG_ADD_REGION:
		PL_FUZZ_CHECK(has_fd && m.region.index < PL_MEMIF_MAX_REGIONS && m.region.size > 0);
		break;
	case MEMIF_MSG_ADD_RING:
		PL_FUZZ_CHECK(has_fd && m.ring.index < PL_MAX_QUEUES &&
			      m.ring.region < PL_MEMIF_MAX_REGIONS && m.ring.log2 <= MEMIF_MAX_LOG2_RING);
		break;
	case MEMIF_MSG_CONNECT:
	case MEMIF_MSG_CONNECTED:
		PL_FUZZ_CHECK(strlen(m.connect.if_name) <= MEMIF_NAME_SZ);
		break;
	case MEMIF_MSG_DISCONNECT:
		PL_FUZZ_CHECK(strlen(m.disconnect.string) <= MEMIF_DISC_SZ);
		break;
	default:
		PL_FUZZ_CHECK(!has_fd);
	}
	return 0;
}

size_t pl_fuzz_seed(unsigned i, uint8_t *buf, size_t cap)
{
	if (i >= 8 || cap < 1 + MEMIF_MSG_SZ)
		return 0;
	struct memif_msg m;
	memset(&m, 0, sizeof(m));
	m.type = (uint16_t)(i + 1);
	buf[0] = 0;
	switch (m.type) {
	case MEMIF_MSG_HELLO:
		memcpy(m.hello.name, "seed", 4);
		m.hello.min_version = m.hello.max_version = MEMIF_VERSION;
		m.hello.max_region = 15;
		m.hello.max_log2_ring_size = 14;
		break;
	case MEMIF_MSG_INIT:
		m.init.version = MEMIF_VERSION;
		m.init.id = 1;
		memcpy(m.init.secret, "secret", 6);
		memcpy(m.init.name, "client", 6);
		break;
	case MEMIF_MSG_ADD_REGION:
		buf[0] = 1;
		m.add_region.size = 1 << 20;
		break;
	case MEMIF_MSG_ADD_RING:
		buf[0] = 1;
		m.add_ring.flags = MEMIF_RING_FLAG_C2S;
		m.add_ring.log2_ring_size = 10;
		break;
	case MEMIF_MSG_DISCONNECT:
		memcpy(m.disconnect.string, "bye", 3);
		break;
	default:
		memcpy(m.connect.if_name, "if", 2);
	}
	memcpy(buf + 1, &m, sizeof(m));
	return 1 + sizeof(m);
}
