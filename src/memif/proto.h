/* SPDX-License-Identifier: MIT */
/*
 * proto.h — the memif protocol 2.0 wire format (DPDK net_memif, VPP, libmemif):
 * control messages on a SOCK_SEQPACKET unix socket and the ring layout in
 * shared memory. Written from the protocol description; the layouts are
 * pinned by static assertions.
 *
 * Private to the library.
 */
#ifndef PL_MEMIF_PROTO_H
#define PL_MEMIF_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define MEMIF_COOKIE 0x3E31F20u
#define MEMIF_VERSION ((2u << 8) | 0u)
#define MEMIF_NAME_SZ 32
#define MEMIF_SECRET_SZ 24
#define MEMIF_DISC_SZ 96
#define MEMIF_MSG_SZ 128 /* every control message has exactly this size */

enum memif_msg_type {
	MEMIF_MSG_NONE = 0,
	MEMIF_MSG_ACK = 1,
	MEMIF_MSG_HELLO = 2, /* server -> client, first message */
	MEMIF_MSG_INIT = 3, /* client -> server */
	MEMIF_MSG_ADD_REGION = 4, /* client -> server, carries the region fd */
	MEMIF_MSG_ADD_RING = 5, /* client -> server, carries the ring's eventfd */
	MEMIF_MSG_CONNECT = 6, /* client -> server */
	MEMIF_MSG_CONNECTED = 7, /* server -> client */
	MEMIF_MSG_DISCONNECT = 8, /* either way */
	MEMIF_MSG_MAX = 8,
};

enum { MEMIF_MODE_ETHERNET = 0, MEMIF_MODE_IP = 1, MEMIF_MODE_PUNT_INJECT = 2 };

#define MEMIF_RING_FLAG_C2S 1u /* add_ring.flags: the ring carries client -> server */
#define MEMIF_DESC_FLAG_NEXT 1u /* desc.flags: the frame continues in the next slot */
#define MEMIF_RING_FLAG_MASK_INT 1u /* ring.flags: the receiver polls, do not signal */

struct __attribute__((packed)) memif_msg_hello {
	uint8_t name[MEMIF_NAME_SZ];
	uint16_t min_version, max_version;
	uint16_t max_region; /* highest region index */
	uint16_t max_c2s_ring, max_s2c_ring; /* highest ring index per direction */
	uint8_t max_log2_ring_size;
};

struct __attribute__((packed)) memif_msg_init {
	uint16_t version;
	uint32_t id;
	uint8_t mode;
	uint8_t secret[MEMIF_SECRET_SZ];
	uint8_t name[MEMIF_NAME_SZ];
};

struct __attribute__((packed)) memif_msg_add_region {
	uint16_t index;
	uint64_t size;
};

struct __attribute__((packed)) memif_msg_add_ring {
	uint16_t flags;
	uint16_t index;
	uint16_t region;
	uint32_t offset;
	uint8_t log2_ring_size;
	uint16_t private_hdr_size;
};

struct __attribute__((packed)) memif_msg_connect {
	uint8_t if_name[MEMIF_NAME_SZ]; /* also the layout of CONNECTED */
};

struct __attribute__((packed)) memif_msg_disconnect {
	uint32_t code;
	uint8_t string[MEMIF_DISC_SZ];
};

struct memif_msg {
	uint16_t type;
	union {
		struct memif_msg_hello hello;
		struct memif_msg_init init;
		struct memif_msg_add_region add_region;
		struct memif_msg_add_ring add_ring;
		struct memif_msg_connect connect;
		struct memif_msg_disconnect disconnect;
	} __attribute__((packed));
	uint8_t pad[MEMIF_MSG_SZ - 2 - 100];
} __attribute__((packed));

_Static_assert(sizeof(struct memif_msg) == MEMIF_MSG_SZ, "memif message is 128 bytes");
_Static_assert(sizeof(struct memif_msg_hello) == 43, "hello layout");
_Static_assert(sizeof(struct memif_msg_init) == 63, "init layout");
_Static_assert(sizeof(struct memif_msg_add_region) == 10, "add_region layout");
_Static_assert(sizeof(struct memif_msg_add_ring) == 13, "add_ring layout");
_Static_assert(sizeof(struct memif_msg_disconnect) == 100, "disconnect layout");
_Static_assert(offsetof(struct memif_msg, hello) == 2, "message body follows the type");

/* A descriptor: 16 bytes, in the ring after the 128-byte header. Naturally
 * aligned (not packed), so that its fields can be read with atomic loads. */
struct memif_desc {
	uint16_t flags;
	uint16_t region;
	uint32_t length;
	uint32_t offset;
	uint32_t metadata;
};
_Static_assert(sizeof(struct memif_desc) == 16 && offsetof(struct memif_desc, length) == 4 &&
		       offsetof(struct memif_desc, offset) == 8,
	       "descriptor layout");

/* Ring header offsets: cookie and flags share the first cache line with
 * head, tail has its own line, descriptors start on the third. */
#define MEMIF_RING_COOKIE 0u
#define MEMIF_RING_FLAGS 4u
#define MEMIF_RING_HEAD 6u
#define MEMIF_RING_TAIL 64u
#define MEMIF_RING_DESC 128u
#define MEMIF_MAX_LOG2_RING 14u

/* Bytes of a ring of 2^log2 descriptors. */
static inline uint64_t memif_ring_bytes(unsigned log2)
{
	return MEMIF_RING_DESC + ((uint64_t)sizeof(struct memif_desc) << log2);
}

#endif /* PL_MEMIF_PROTO_H */
