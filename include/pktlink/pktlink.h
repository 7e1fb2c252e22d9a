/* SPDX-License-Identifier: MIT */
/*
 * pktlink.h — the endpoint contract shared by every pktlink family.
 *
 * A link endpoint moves whole link-layer frames (Ethernet frames, or IP
 * packets for TUN-like links) between the program and something outside it:
 * a NIC queue (xdp), another process (shm), or a kernel file descriptor (fd).
 *
 * Two ways to use an endpoint, both first-class:
 *
 *   Pull:  pktlink_rx_burst() hands out views into the endpoint's own memory;
 *          give them back with pktlink_rx_release(). pktlink_tx_burst() queues
 *          frames and says how many it took. pktlink_fd() can be polled.
 *
 *   Push:  pktlink_attach() starts the endpoint's worker threads (one per
 *          queue), which deliver inbound frames to a callback. Attaching NULL
 *          stops them, pktlink_join() waits for them, pktlink_close() frees
 *          everything.
 *
 * Errors: every function that can fail returns a negative errno value, and
 * a human-readable explanation is kept for the thread that made the call
 * (pktlink_last_error()). Opening functions take an optional error buffer
 * instead, since there is no endpoint yet.
 *
 * Threading: one RX thread and one TX thread may use one endpoint at the same
 * time. Per-queue RX (pktlink_rx_burst_queue()) allows one RX thread per queue.
 * Property getters are safe from any thread. Anything else is documented at
 * the function.
 */
#ifndef PKTLINK_PKTLINK_H
#define PKTLINK_PKTLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pktlink/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ABI: each function belongs to a symbol version (PKTLINK_0.2, ...), and
 * structs grow only at their end, in one of two ways:
 *  - Options structs (pktlink_attach_opts, each family's *_opts) start with
 *    `size_t sz`, which the caller sets to sizeof the struct it was built
 *    with (PKTLINK_OPTS() does it). The library reads what the caller has,
 *    takes defaults for the rest, and refuses (-EINVAL) a newer caller's
 *    struct only when it sets an option this library does not know.
 *  - Output structs (pktlink_info, pktlink_stats) are filled through a call
 *    that takes the caller's size (the static inline wrappers pass it), so
 *    an older program is never written past its struct, and a newer one
 *    reads zero in fields this library does not fill.
 * struct pktlink_pkt is an array element and never changes size.
 */

/**
 * PKTLINK_OPTS() - declare an options struct @NAME of type `struct @TYPE`,
 * zeroed, with sz set and the given fields (padding may still hold garbage
 * after the compound literal's copy; the library never reads it), e.g.
 *   PKTLINK_OPTS(pktlink_attach_opts, ao, .burst = 32);
 */
#define PKTLINK_OPTS(TYPE, NAME, ...)                                          \
	struct TYPE NAME = __extension__({                                     \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));               \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };       \
	})

/** An open link endpoint. Opaque; created by an open function, freed by pktlink_close(). */
struct pktlink_ep;

/*
 * GSO types: the values of the virtio-net header (VIRTIO_NET_HDR_GSO_*), so
 * they can be copied to and from the wire unchanged.
 */
enum pktlink_gso_type {
	PKTLINK_GSO_NONE = 0,
	PKTLINK_GSO_TCPV4 = 1,
	PKTLINK_GSO_UDP = 3, /* UFO: legacy, never produced by pktlink */
	PKTLINK_GSO_TCPV6 = 4,
	PKTLINK_GSO_UDP_L4 = 5, /* USO (Linux 6.2+) */
};

/* pktlink_pkt.flags */
enum {
	/* The L4 checksum is partial: it holds the pseudo-header sum, and the
	 * one's complement sum from csum_start to the end must be stored at
	 * csum_start + csum_offset (virtio NEEDS_CSUM). */
	PKTLINK_PKT_CSUM_PARTIAL = 1u << 0,
	/* The checksums were verified by whoever handed over the frame
	 * (virtio DATA_VALID). */
	PKTLINK_PKT_CSUM_VALID = 1u << 1,
	/* The buffer belongs to the endpoint (from pktlink_tx_alloc()); on
	 * transmit it is consumed without a copy. Set by pktlink; do not set
	 * or clear it yourself. */
	PKTLINK_PKT_TXBUF = 1u << 2,
	/* RX: @timestamp holds the time the frame was received, taken by the
	 * kernel or the device (TPACKET_V3 block, SO_TIMESTAMPNS, XDP RX
	 * metadata). */
	PKTLINK_PKT_TSTAMP = 1u << 3,
	/* RX, with PKTLINK_PKT_TSTAMP: the stamp is the device's hardware clock
	 * (else the kernel's software receive time, CLOCK_REALTIME). */
	PKTLINK_PKT_TSTAMP_HW = 1u << 4,
	/* RX: @rx_hash holds the flow hash of the device or kernel. */
	PKTLINK_PKT_RX_HASH = 1u << 5,
	/* @vlan_tci/@vlan_proto hold a VLAN tag that is not in the frame's
	 * bytes (stripped by the device or kernel on RX; to be inserted on TX
	 * where the endpoint can). */
	PKTLINK_PKT_VLAN = 1u << 6,
	/* RX: @mark holds the packet mark (skb->mark, XDP metadata). */
	PKTLINK_PKT_MARK = 1u << 7,
};

/**
 * struct pktlink_pkt - one frame, as a view.
 *
 * On receive, @data points into the endpoint's memory and stays valid until
 * the frame is released. On transmit, @data points to the frame to send;
 * the caller keeps ownership of its own memory (pktlink copies or sends it
 * before pktlink_tx_burst() returns), while a PKTLINK_PKT_TXBUF buffer is
 * consumed when it is accepted.
 *
 * The offload fields follow virtio-net header semantics: @gso_type and
 * @gso_size describe a super-packet that must be cut into segments of
 * @gso_size payload bytes; @csum_start/@csum_offset locate a partial
 * checksum (PKTLINK_PKT_CSUM_PARTIAL). All zero means a plain frame.
 *
 * The receive metadata (@timestamp, @rx_hash, @vlan_tci, @mark) is valid
 * only when its flag says so; an endpoint that has none leaves the flag
 * clear. On transmit, zero what you do not use (a zero-initialised struct
 * is a plain frame).
 *
 * ABI: this struct is an array element, so its size (64 bytes, one cache
 * line) and layout are fixed for the life of the soname. New metadata goes
 * into @reserved, which is zero on RX and must be zero on TX.
 */
struct pktlink_pkt {
	uint8_t *data;
	uint32_t len;
	uint16_t flags; /* PKTLINK_PKT_* */
	uint16_t queue; /* RX: the queue it came from; TX: ignored */
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t gso_size;
	uint8_t gso_type; /* enum pktlink_gso_type */
	uint8_t reserved0;
	uint32_t rx_hash; /* PKTLINK_PKT_RX_HASH */
	uint32_t mark; /* PKTLINK_PKT_MARK */
	uint64_t timestamp; /* PKTLINK_PKT_TSTAMP: nanoseconds since the Unix epoch */
	uint16_t vlan_tci; /* PKTLINK_PKT_VLAN: PCP, DEI and VLAN id, host order */
	uint16_t vlan_proto; /* PKTLINK_PKT_VLAN: 0x8100 or 0x88a8, host order */
	uint32_t priv2; /* the endpoint's handle; do not touch */
	uint64_t priv; /* the endpoint's handle; do not touch */
	uint64_t reserved[1];
};

/* Capabilities (struct pktlink_info.caps). */
enum {
	/* Received frames may carry PKTLINK_PKT_CSUM_VALID / _PARTIAL: the
	 * stack may skip verifying checksums when the flags say so. */
	PKTLINK_CAP_RX_CSUM_OFFLOAD = 1u << 0,
	/* The stack may send frames with PKTLINK_PKT_CSUM_PARTIAL: the
	 * endpoint (or the kernel behind it) completes the checksum. */
	PKTLINK_CAP_TX_CSUM_OFFLOAD = 1u << 1,
	/* Link addresses must be resolved (ARP/NDP) before sending. */
	PKTLINK_CAP_RESOLUTION_REQUIRED = 1u << 2,
	/* The endpoint can hand out TX buffers in its own memory. */
	PKTLINK_CAP_TX_ALLOC = 1u << 3,
	/* Frames carry an Ethernet header. */
	PKTLINK_CAP_ETHERNET = 1u << 4,
};

/* How the endpoint deals with GSO super-packets given to pktlink_tx_burst(). */
enum pktlink_gso_kind {
	PKTLINK_GSO_KIND_NONE = 0, /* send frames of at most MTU bytes */
	PKTLINK_GSO_KIND_HOST = 1, /* the kernel segments (virtio-net header) */
	PKTLINK_GSO_KIND_SOFTWARE = 2, /* pktlink segments in software */
};

/**
 * struct pktlink_info - the static properties of an endpoint.
 */
struct pktlink_info {
	const char *family; /* "fd", "xdp", "shm", ... (static string) */
	uint32_t mtu; /* largest L3 payload per frame */
	uint32_t max_header_len; /* link header bytes before L3 (14 for Ethernet, 0 for TUN) */
	uint32_t caps; /* PKTLINK_CAP_* */
	uint32_t gso_kind; /* enum pktlink_gso_kind */
	uint32_t gso_max_size; /* largest super-packet accepted, 0 without GSO */
	uint16_t arp_hwtype; /* ARPHRD_ETHER (1) or ARPHRD_NONE (0xfffe) */
	uint16_t num_queues; /* RX queues (workers in push mode) */
	uint8_t link_addr[6]; /* all zero when there is none */
	uint8_t has_link_addr;
	uint8_t reserved;
};

/**
 * struct pktlink_stats - counters since open. Drops are counted by reason.
 * Per-endpoint totals over all queues; updated without locks, so a read that
 * races with traffic may be a few packets behind.
 *
 * Packets and bytes count frames as the application sees them: rx_* the
 * views pktlink_rx_burst() returned (or the dispatcher delivered), tx_* the
 * frames pktlink_tx_burst() took and handed on — a GSO super-packet counts
 * once, whatever number of segments it became on the wire. Every frame
 * taken is in tx_packets or tx_drop_invalid; tx_errors counts frames (or
 * segments) the kernel or peer refused after they were handed on.
 */
struct pktlink_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_drop_filter; /* addressed to another MAC (not promiscuous) */
	uint64_t rx_drop_invalid; /* malformed, truncated, bad offload header, bad descriptor */
	uint64_t rx_drop_nobuf; /* no buffer / ring full on our side */
	uint64_t rx_drop_kernel; /* dropped before we saw it (kernel/peer counters) */
	uint64_t tx_drop_invalid; /* refused: too large, malformed offload request */
	uint64_t tx_errors; /* the kernel or peer refused a frame we handed it */
	uint64_t rx_syscalls, tx_syscalls; /* system calls made for I/O (wake-ups included) */
};

/* ------------------------------------------------------------------------ */
/* Opening and closing                                                       */

/**
 * pktlink_open() - open an endpoint from a spec string.
 * @spec:   "family:target?key=value&key=value", for example
 *          "packet:veth0?dispatch=mmap&fds=4", "tap:pl0?vnet_hdr=1",
 *          "fd:3?hdr=eth", "xdp:veth0?queue=0". `pktlink_spec_help()` lists
 *          every family with its keys.
 * @epp:    receives the endpoint on success.
 * @err:    optional buffer for a readable reason on failure (may be NULL).
 * @errlen: its size.
 *
 * Unknown keys and bad values fail with -EINVAL and an error naming the key
 * and the accepted values.
 *
 * Return: 0, or a negative errno.
 */
int pktlink_open(const char *spec, struct pktlink_ep **epp, char *err, size_t errlen);

/**
 * pktlink_spec_help() - a multi-line description of every family's spec
 * keys. Static string; never NULL.
 */
const char *pktlink_spec_help(void);

/**
 * pktlink_close() - stop the workers (if attached), wait for them, and free
 * everything the endpoint owns. Descriptors handed in by the caller are not
 * closed. Safe on NULL and on an endpoint whose peer is gone. Must not be
 * called from a dispatcher callback, nor concurrently with other calls on
 * the same endpoint.
 */
void pktlink_close(struct pktlink_ep *ep);

/* ------------------------------------------------------------------------ */
/* Properties                                                                */

/**
 * pktlink_get_info_sz() - fill the first @size bytes of @info (the caller's
 * sizeof(struct pktlink_info)). Bytes of a larger (newer) struct that this
 * library does not know are zeroed. Never fails; safe from any thread.
 * Return: the number of bytes the library filled (the smaller of @size and
 * its own struct size).
 * Call it through pktlink_get_info(), which passes the size.
 */
size_t pktlink_get_info_sz(const struct pktlink_ep *ep, struct pktlink_info *info, size_t size);

/** pktlink_get_info() - fill @info. Never fails; safe from any thread. */
static inline void pktlink_get_info(const struct pktlink_ep *ep, struct pktlink_info *info)
{
	pktlink_get_info_sz(ep, info, sizeof(*info));
}

/**
 * pktlink_set_link_addr() - change the link (MAC) address the endpoint uses
 * for its receive filter. Does not change any kernel device. The receive
 * path switches to the new address atomically, so this may run while frames
 * are received; but do not call it concurrently with pktlink_get_info() or
 * another pktlink_set_link_addr() (the info copy is not locked).
 * Return: 0, or -EOPNOTSUPP when frames carry no link header.
 */
int pktlink_set_link_addr(struct pktlink_ep *ep, const uint8_t addr[6]);

/**
 * pktlink_get_stats_sz() - copy the endpoint's counters into the first
 * @size bytes of @st (the caller's sizeof(struct pktlink_stats)); counters
 * of a larger (newer) struct that this library does not have read zero.
 * For families with kernel counters (AF_PACKET, AF_XDP) this reads them
 * too, which costs a system call. Safe from any thread.
 * Return: 0, or a negative errno if reading kernel counters failed (the
 * pktlink counters are still filled in).
 * Call it through pktlink_get_stats(), which passes the size.
 */
int pktlink_get_stats_sz(struct pktlink_ep *ep, struct pktlink_stats *st, size_t size);

/** pktlink_get_stats() - pktlink_get_stats_sz() with the caller's struct size. */
static inline int pktlink_get_stats(struct pktlink_ep *ep, struct pktlink_stats *st)
{
	return pktlink_get_stats_sz(ep, st, sizeof(*st));
}

/**
 * pktlink_last_error() - the detail of the last error the calling thread got
 * from this endpoint, or "" when there was none.
 *
 * Each thread has its own detail: an RX thread, a TX thread and a thread
 * reading stats never see or overwrite each other's, so call this from the
 * thread that got the error, after the failing call. One exception: once the
 * peer is gone, every thread sees why (the closed callback's reason, in
 * words), unless it got a later error of its own.
 *
 * The string is valid until this thread's next failing call on an endpoint,
 * and never after pktlink_close(). A thread keeps the details of the last 8
 * endpoints that failed in it; an older one reads as "". Safe from any
 * thread.
 */
const char *pktlink_last_error(const struct pktlink_ep *ep);

/* ------------------------------------------------------------------------ */
/* Pull mode                                                                 */

/**
 * pktlink_rx_burst() - receive up to @n frames without blocking.
 * Queues are visited round-robin, starting after the one that last gave
 * frames. Each returned view stays valid until pktlink_rx_release();
 * release them soon: the endpoint has a bounded number of buffers and stops
 * receiving (counting rx_drop_nobuf, or leaving frames in the kernel) while
 * all of them are out.
 *
 * Return: the number of frames (0 when there are none), -EBUSY while a
 * dispatcher is attached, or the peer-gone reason (-ECONNRESET, -EPIPE,
 * -ENODEV, ...) once the peer went away; the closed callback has then run.
 */
int pktlink_rx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);

/**
 * pktlink_rx_burst_queue() - like pktlink_rx_burst() for one queue. One
 * thread per queue may call this concurrently.
 */
int pktlink_rx_burst_queue(struct pktlink_ep *ep, unsigned queue, struct pktlink_pkt *pkts,
			   unsigned n);

/**
 * pktlink_rx_release() - give received views back. Views may be released
 * in any order and in any grouping, from the thread that received them.
 */
void pktlink_rx_release(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);

/**
 * pktlink_tx_burst() - send up to @n frames without blocking.
 *
 * Frames are taken in order; the return value says how many were taken.
 * A frame that can never be sent (too large, malformed offload request) is
 * taken, dropped and counted in tx_drop_invalid, so one bad frame cannot
 * stall the queue. Too large: longer than pktlink_info.mtu + max_header_len
 * (fd Ethernet endpoints allow 4 bytes more for a frame with an
 * 802.1Q/802.1ad tag in its bytes), or a GSO super-packet larger than
 * the endpoint accepts (pktlink_info.gso_max_size). Offload requests the layer below cannot
 * take are carried out by pktlink (checksums completed, super-packets
 * segmented) rather than refused. Caller memory may be reused as soon as this returns;
 * taken PKTLINK_PKT_TXBUF buffers belong to the endpoint again, the ones
 * not taken stay the caller's (send them later or pktlink_tx_free() them).
 *
 * Return: frames taken (0 when the endpoint would block: poll for POLLOUT
 * or retry), or a negative errno (the peer-gone reason).
 */
int pktlink_tx_burst(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);

/**
 * pktlink_tx_alloc() - get up to @n TX buffers in the endpoint's own memory,
 * each able to hold a frame of pktlink_info.mtu + max_header_len bytes, so
 * that transmit needs no copy. Fills data, len (the capacity), flags
 * (PKTLINK_PKT_TXBUF) and priv. Set len to the frame length before sending.
 * Endpoints without PKTLINK_CAP_TX_ALLOC return -EOPNOTSUPP.
 *
 * Return: the number of buffers (0 when none are free), or a negative errno.
 */
int pktlink_tx_alloc(struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n);

/** pktlink_tx_free() - return unsent pktlink_tx_alloc() buffers. */
void pktlink_tx_free(struct pktlink_ep *ep, const struct pktlink_pkt *pkts, unsigned n);

/**
 * pktlink_fd() - a descriptor that polls readable (POLLIN) when
 * pktlink_rx_burst() may return frames, and reports POLLHUP/POLLERR when the
 * peer goes away. Owned by the endpoint. For several queues this is an epoll
 * descriptor over all of them.
 */
int pktlink_fd(const struct pktlink_ep *ep);

/** pktlink_queue_fd() - like pktlink_fd() for one queue; -EINVAL if out of range. */
int pktlink_queue_fd(const struct pktlink_ep *ep, unsigned queue);

/**
 * pktlink_wait() - block until frames may be ready or @timeout_ms passes
 * (-1: no limit). Spurious returns are possible: always call
 * pktlink_rx_burst() after.
 * Return: 1 if ready, 0 on timeout, or a negative errno.
 */
int pktlink_wait(struct pktlink_ep *ep, int timeout_ms);

/* ------------------------------------------------------------------------ */
/* Push mode                                                                 */

/**
 * pktlink_deliver_fn - receives inbound frames on a worker thread.
 * The views are valid only until the callback returns (the dispatcher
 * releases them then); copy what you keep. One call per burst; with several
 * queues, several workers call it concurrently (pkts[i].queue says which).
 * The callback must not call pktlink_attach(NULL), pktlink_join() or
 * pktlink_close() on its own endpoint; it may call pktlink_tx_burst() from
 * at most one worker at a time.
 */
typedef void (*pktlink_deliver_fn)(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts,
				   unsigned n);

/**
 * pktlink_closed_fn - called once when the peer went away (EOF, hang-up,
 * device gone, shared-memory peer dead or hostile). @reason is a negative
 * errno. Runs on the thread that noticed: a worker, or the caller of
 * pktlink_rx_burst()/pktlink_tx_burst().
 */
typedef void (*pktlink_closed_fn)(void *ctx, struct pktlink_ep *ep, int reason);

/**
 * pktlink_set_closed_cb() - install the closed callback (NULL removes it).
 * Call before attaching or receiving.
 */
void pktlink_set_closed_cb(struct pktlink_ep *ep, pktlink_closed_fn fn, void *ctx);

/*
 * Options for pktlink_attach_opts(). Set @sz = sizeof(struct
 * pktlink_attach_opts) (or declare it with PKTLINK_OPTS()); zero fields
 * take the defaults.
 */
struct pktlink_attach_opts {
	size_t sz;
	unsigned burst; /* frames per callback, 1..256; 0 = 64 */
	bool busy_poll; /* never sleep: spin on the queues (burns a core per queue) */
};
#define pktlink_attach_opts__last_field busy_poll /* the last field: update it when adding one */

/**
 * pktlink_attach() - with @fn, start one worker thread per queue that
 * receives and calls @fn; with @fn NULL, tell the workers to stop and return
 * at once (pktlink_join() waits for them). Attaching while attached replaces
 * nothing and fails with -EBUSY. Workers stop on their own when the peer
 * goes away (after the closed callback).
 * Return: 0, or a negative errno (-EBUSY, -EAGAIN for thread creation).
 */
int pktlink_attach(struct pktlink_ep *ep, pktlink_deliver_fn fn, void *ctx);

/**
 * pktlink_attach_opts() - pktlink_attach() with options. @opts may be NULL
 * (the defaults); otherwise opts->sz must be set. Return: as
 * pktlink_attach(), and -EINVAL for an unset sz or an option this library
 * does not know (see the ABI note at the top of this file).
 */
int pktlink_attach_opts(struct pktlink_ep *ep, pktlink_deliver_fn fn, void *ctx,
			const struct pktlink_attach_opts *opts);

/**
 * pktlink_join() - wait until the workers have exited (after
 * pktlink_attach(NULL), or after the peer went away). Returns at once when
 * no workers run. Afterwards the endpoint may be attached again (unless the
 * peer is gone) or used in pull mode.
 */
void pktlink_join(struct pktlink_ep *ep);

/** pktlink_strerror() - like strerror() for pktlink's negative return values. */
const char *pktlink_strerror(int err);

/* ------------------------------------------------------------------------ */
/* Version                                                                   */

/**
 * pktlink_version() - the version of the library in use at run time, as
 * "MAJOR.MINOR.PATCH" (static string). Compare with PKTLINK_VERSION, the
 * version of the headers the program was built with.
 */
const char *pktlink_version(void);

/**
 * pktlink_version_number() - the run-time version as one number,
 * PKTLINK_VERSION_NUMBER's encoding: (major << 16) | (minor << 8) | patch.
 */
uint32_t pktlink_version_number(void);

#ifdef __cplusplus
}
#endif
#endif /* PKTLINK_PKTLINK_H */
