/* SPDX-License-Identifier: MIT */
/*
 * pktlink_lwip.c — lwIP netif on a pktlink endpoint (see pktlink_lwip.h for
 * the design: push dispatcher under lwIP's core lock, batched transmit).
 */
#include "pktlink_lwip.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip.h"
#include "lwip/opt.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#if NO_SYS || !LWIP_TCPIP_CORE_LOCKING
#error "pktlink_lwip needs an lwIP built with NO_SYS=0 and LWIP_TCPIP_CORE_LOCKING=1"
#endif

/* Frames held for one pktlink_tx_burst() while a worker runs a burst. */
#define PL_LWIP_TX_BATCH 64
/* The dispatcher's largest burst (pktlink_attach_opts.burst). */
#define PL_LWIP_MAX_BURST 256
/* How long linkoutput retries an endpoint that would block before it drops
 * (lwIP's TCP retransmits; holding the core lock longer stalls the stack). */
#define PL_LWIP_TX_WAIT_NS 2000000ull

struct pktlink_lwip {
	struct netif netif;
	struct pktlink_ep *ep;
	struct pktlink_info info;
	struct pktlink_lwip_opts opts;
	uint32_t frame_max; /* largest frame lwIP may hand to linkoutput */
	unsigned flush_every; /* received frames between transmit flushes */

	/* peer gone: reason, and whether lwIP still has to be told */
	atomic_int gone;
	atomic_bool down_pending;
	atomic_bool down_posted;
	bool removed; /* netif removed from lwIP (core lock) */

	/* TX batch: only touched with the core lock held */
	bool batching;
	unsigned nbatch;
	struct pktlink_pkt batch[PL_LWIP_TX_BATCH];
	struct pbuf *batch_pbuf[PL_LWIP_TX_BATCH]; /* referenced, or NULL when copied */
	uint8_t *scratch; /* (PL_LWIP_TX_BATCH + 1) * frame_max: gathered chains */

	_Atomic uint64_t rx_frames, rx_nomem, rx_invalid, tx_frames, tx_calls, tx_drops;
};

/* Adapter code running on this thread with lwIP's core lock held: a peer-gone
 * notice seen here must not take the (non-recursive) lock again. */
static __thread int tl_core;

static void cnt_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- link state ------------------------------------------------------- */

/* Core lock held. */
static void apply_link_down(struct pktlink_lwip *nl)
{
	if (!atomic_exchange(&nl->down_pending, false) || nl->removed)
		return;
	netif_set_link_down(&nl->netif);
	if (nl->opts.link_cb)
		nl->opts.link_cb(nl->opts.link_ctx, nl, false, atomic_load(&nl->gone));
}

static void link_down_cb(void *arg)
{
	struct pktlink_lwip *nl = arg;
	atomic_store(&nl->down_posted, false);
	apply_link_down(nl);
}

/* The tcpip thread tells lwIP; a failed post (no memory) is retried at the
 * next transmit or burst. */
static void post_link_down(struct pktlink_lwip *nl)
{
	if (atomic_exchange(&nl->down_posted, true))
		return;
	if (tcpip_try_callback(link_down_cb, nl) != ERR_OK)
		atomic_store(&nl->down_posted, false);
}

static void on_closed(void *ctx, struct pktlink_ep *ep, int reason)
{
	struct pktlink_lwip *nl = ctx;
	int expect = 0;
	atomic_compare_exchange_strong(&nl->gone, &expect, reason < 0 ? reason : -EPIPE);
	atomic_store(&nl->down_pending, true);
	if (tl_core) {
		post_link_down(nl);
		return;
	}
	LOCK_TCPIP_CORE();
	tl_core++;
	apply_link_down(nl);
	tl_core--;
	UNLOCK_TCPIP_CORE();
}

/* ---- transmit ------------------------------------------------------------ */

/* Core lock held. Sends @n frames; what the endpoint does not take within
 * PL_LWIP_TX_WAIT_NS, or after the peer is gone, is dropped. */
static void tx_send(struct pktlink_lwip *nl, struct pktlink_pkt *pkts, unsigned n)
{
	unsigned done = 0;
	uint64_t deadline = 0;
	while (done < n) {
		int r = pktlink_tx_burst(nl->ep, pkts + done, n - done);
		if (r > 0) {
			done += (unsigned)r;
			cnt_add(&nl->tx_frames, (uint64_t)r);
			cnt_add(&nl->tx_calls, 1);
			continue;
		}
		if (r < 0)
			break; /* peer gone: the closed callback has run */
		uint64_t t = now_ns();
		if (!deadline)
			deadline = t + PL_LWIP_TX_WAIT_NS;
		else if (t > deadline)
			break;
		sched_yield();
	}
	if (done < n)
		cnt_add(&nl->tx_drops, n - done);
}

/* Core lock held. */
static void tx_flush(struct pktlink_lwip *nl)
{
	if (!nl->nbatch)
		return;
	tx_send(nl, nl->batch, nl->nbatch);
	for (unsigned i = 0; i < nl->nbatch; i++)
		if (nl->batch_pbuf[i])
			pbuf_free(nl->batch_pbuf[i]);
	nl->nbatch = 0;
}

/* Fill @pkt with @p: a single pbuf is sent from its own memory, a chain is
 * gathered into @slot. */
static void pkt_from_pbuf(struct pktlink_pkt *pkt, struct pbuf *p, uint8_t *slot)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->len = p->tot_len;
	if (!p->next) {
		pkt->data = p->payload;
	} else {
		pbuf_copy_partial(p, slot, p->tot_len, 0);
		pkt->data = slot;
	}
}

static err_t pl_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct pktlink_lwip *nl = netif->state;
	if (atomic_load_explicit(&nl->gone, memory_order_relaxed)) {
		if (atomic_load(&nl->down_pending))
			post_link_down(nl);
		cnt_add(&nl->tx_drops, 1);
		return ERR_IF;
	}
	if (p->tot_len > nl->frame_max) {
		cnt_add(&nl->tx_drops, 1);
		return ERR_BUF;
	}
	tl_core++;
	if (nl->batching) {
		if (nl->nbatch == PL_LWIP_TX_BATCH)
			tx_flush(nl);
		unsigned i = nl->nbatch++;
		pkt_from_pbuf(&nl->batch[i], p, nl->scratch + (size_t)i * nl->frame_max);
		if (!p->next) {
			pbuf_ref(p);
			nl->batch_pbuf[i] = p;
		} else {
			nl->batch_pbuf[i] = NULL;
		}
	} else {
		struct pktlink_pkt pkt;
		pkt_from_pbuf(&pkt, p, nl->scratch + (size_t)PL_LWIP_TX_BATCH * nl->frame_max);
		tx_send(nl, &pkt, 1);
	}
	tl_core--;
	return ERR_OK;
}

/* Links without Ethernet header (TUN-like): IP packets go out as they are. */
#if LWIP_IPV4
static err_t pl_output_ip4(struct netif *netif, struct pbuf *p, const ip4_addr_t *dst)
{
	return pl_linkoutput(netif, p);
}
#endif
#if LWIP_IPV6
static err_t pl_output_ip6(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst)
{
	return pl_linkoutput(netif, p);
}
#endif

/* ---- receive ------------------------------------------------------------- */

/* Finish a partial L4 checksum (virtio NEEDS_CSUM) in our copy: the field
 * holds the pseudo-header sum; the sum from csum_start to the end goes there. */
static bool csum_complete(uint8_t *d, uint32_t len, uint16_t start, uint16_t off)
{
	if ((uint32_t)start + off + 2u > len)
		return false;
	u16_t c = inet_chksum(d + start, (u16_t)(len - start));
	if (c == 0 && off == 6)
		c = 0xffff; /* UDP: zero means "no checksum" */
	memcpy(d + start + off, &c, 2);
	return true;
}

/* Copy one received frame into a pbuf; NULL when it is dropped (counted). */
static struct pbuf *frame_to_pbuf(const struct pktlink_pkt *k, uint64_t *nomem, uint64_t *inval)
{
	/* A TCP super-packet (an endpoint with a virtio-net header facing a
	 * kernel that does TSO) is a valid IP packet larger than the MTU: IP
	 * length and header checksum cover the whole, and the partial TCP
	 * checksum spans it. lwIP takes it as one large segment, as after GRO.
	 * Other super-packets (UDP) cannot be taken whole. */
	bool tcp_gso = (k->gso_type == PKTLINK_GSO_TCPV4 || k->gso_type == PKTLINK_GSO_TCPV6) &&
		       (k->flags & PKTLINK_PKT_CSUM_PARTIAL);
	if ((k->gso_type != PKTLINK_GSO_NONE && !tcp_gso) || k->len > 0xffff || k->len == 0) {
		(*inval)++;
		return NULL;
	}
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)k->len, PBUF_RAM);
	if (!p) {
		(*nomem)++;
		return NULL;
	}
	memcpy(p->payload, k->data, k->len);
	if ((k->flags & PKTLINK_PKT_CSUM_PARTIAL) &&
	    !csum_complete(p->payload, k->len, k->csum_start, k->csum_offset)) {
		pbuf_free(p);
		(*inval)++;
		return NULL;
	}
	return p;
}

/* Core lock held: feed @n pbufs to lwIP, transmitting what it queues every
 * flush_every frames (held to the end of a long burst, the ACKs of a whole
 * window would leave the sender idle while the burst is processed). */
static void input_burst(struct pktlink_lwip *nl, struct pbuf **ps, unsigned n)
{
	tl_core++;
	if (atomic_load_explicit(&nl->down_pending, memory_order_relaxed))
		apply_link_down(nl);
	nl->batching = true;
	for (unsigned i = 0; i < n; i++) {
		if (nl->removed || nl->netif.input(ps[i], &nl->netif) != ERR_OK)
			pbuf_free(ps[i]);
		if (nl->nbatch && (i + 1) % nl->flush_every == 0)
			tx_flush(nl);
	}
	tx_flush(nl);
	nl->batching = false;
	tl_core--;
}

/* A burst handed to the tcpip thread (handoff mode). */
struct pl_burst {
	struct pktlink_lwip *nl;
	unsigned n;
	struct pbuf *ps[];
};

static void burst_in_tcpip(void *arg)
{
	struct pl_burst *b = arg;
	input_burst(b->nl, b->ps, b->n);
	free(b);
}

static void pl_deliver(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
	struct pktlink_lwip *nl = ctx;
	uint64_t nomem = 0, inval = 0;
	unsigned m = 0;
	struct pl_burst *b = NULL;
	struct pbuf *local[PL_LWIP_MAX_BURST];
	struct pbuf **ps = local;

	if (nl->opts.handoff) {
		b = malloc(sizeof(*b) + n * sizeof(b->ps[0]));
		if (!b) {
			cnt_add(&nl->rx_nomem, n);
			return;
		}
		ps = b->ps;
	}
	/* copies outside the core lock: lwIP's other threads keep running */
	for (unsigned i = 0; i < n; i++) {
		struct pbuf *p = frame_to_pbuf(&pkts[i], &nomem, &inval);
		if (p)
			ps[m++] = p;
	}
	cnt_add(&nl->rx_frames, m);
	if (nomem)
		cnt_add(&nl->rx_nomem, nomem);
	if (inval)
		cnt_add(&nl->rx_invalid, inval);

	if (b) {
		b->nl = nl;
		b->n = m;
		/* blocks while the tcpip mailbox is full: back-pressure, and this
		 * worker holds no lock */
		if (!m || tcpip_callback(burst_in_tcpip, b) != ERR_OK) {
			for (unsigned i = 0; i < m; i++)
				pbuf_free(ps[i]);
			if (m)
				cnt_add(&nl->rx_nomem, m);
			free(b);
		}
		return;
	}
	if (!m)
		return;
	LOCK_TCPIP_CORE();
	input_burst(nl, ps, m);
	UNLOCK_TCPIP_CORE();
}

/* ---- setup ------------------------------------------------------------- */

static err_t pl_netif_init(struct netif *netif)
{
	struct pktlink_lwip *nl = netif->state;
	const char *name = nl->opts.name ? nl->opts.name : "pl";
	netif->name[0] = name[0];
	netif->name[1] = name[0] ? name[1] : 0;
	uint32_t mtu = nl->info.mtu > 0xffff ? 0xffff : nl->info.mtu;
	netif->mtu = (u16_t)mtu;
#if LWIP_IPV6 && LWIP_ND6_ALLOW_RA_UPDATES
	netif->mtu6 = (u16_t)mtu;
#endif
	netif->linkoutput = pl_linkoutput;
	if (nl->info.max_header_len == 14) {
		netif->hwaddr_len = 6;
#if LWIP_IPV4
		netif->output = etharp_output;
#endif
#if LWIP_IPV6
		netif->output_ip6 = ethip6_output;
#endif
		netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
			       NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	} else {
		netif->hwaddr_len = 0;
#if LWIP_IPV4
		netif->output = pl_output_ip4;
#endif
#if LWIP_IPV6
		netif->output_ip6 = pl_output_ip6;
#endif
		netif->flags = 0;
	}
	return ERR_OK;
}

int pktlink_lwip_add(struct pktlink_ep *ep, const ip4_addr_t *ip, const ip4_addr_t *netmask,
		     const ip4_addr_t *gw, const struct pktlink_lwip_opts *opts,
		     struct pktlink_lwip **out, char *err, size_t errlen)
{
	if (!ep || !out) {
		seterr(err, errlen, "pktlink_lwip_add: endpoint and output pointer are required");
		return -EINVAL;
	}
	*out = NULL;
	struct pktlink_lwip *nl = calloc(1, sizeof(*nl));
	if (!nl) {
		seterr(err, errlen, "pktlink_lwip_add: out of memory");
		return -ENOMEM;
	}
	nl->ep = ep;
	if (opts)
		nl->opts = *opts;
	if (nl->opts.burst > 256) {
		seterr(err, errlen, "pktlink_lwip_add: burst %u is out of range: use 1..256 (0 = 64)",
		       nl->opts.burst);
		free(nl);
		return -EINVAL;
	}
	if (nl->opts.tx_flush_every > 256) {
		seterr(err, errlen,
		       "pktlink_lwip_add: tx_flush_every %u is out of range: use 1..256 (0 = 8)",
		       nl->opts.tx_flush_every);
		free(nl);
		return -EINVAL;
	}
	if (nl->opts.name && (!nl->opts.name[0] || !nl->opts.name[1] || nl->opts.name[2])) {
		seterr(err, errlen, "pktlink_lwip_add: netif name \"%s\" must be two characters",
		       nl->opts.name);
		free(nl);
		return -EINVAL;
	}
	pktlink_get_info(ep, &nl->info);
	bool eth = nl->info.max_header_len == 14 && (nl->info.caps & PKTLINK_CAP_ETHERNET);
	if (!eth && nl->info.max_header_len != 0) {
		seterr(err, errlen,
		       "pktlink_lwip_add: the endpoint's link header is %u bytes; lwIP takes "
		       "Ethernet (14) or none (IP packets): open it with hdr=eth or a TAP/veth",
		       nl->info.max_header_len);
		free(nl);
		return -EINVAL;
	}
	if (nl->info.mtu < 576) {
		seterr(err, errlen, "pktlink_lwip_add: MTU %u is below IPv4's 576: raise it (mtu=)",
		       nl->info.mtu);
		free(nl);
		return -EINVAL;
	}
	nl->flush_every = nl->opts.tx_flush_every ? nl->opts.tx_flush_every : 8;
	nl->frame_max = (nl->info.mtu > 0xffff ? 0xffff : nl->info.mtu) + nl->info.max_header_len;
	nl->scratch = malloc((size_t)(PL_LWIP_TX_BATCH + 1) * nl->frame_max);
	if (!nl->scratch) {
		seterr(err, errlen, "pktlink_lwip_add: out of memory");
		free(nl);
		return -ENOMEM;
	}

	uint8_t mac[6] = { 0 };
	if (eth) {
		if (nl->opts.mac) {
			memcpy(mac, nl->opts.mac, 6);
		} else if (nl->info.has_link_addr) {
			memcpy(mac, nl->info.link_addr, 6);
		} else {
			/* a TAP's own address belongs to the kernel's side: lwIP
			 * needs another one */
			if (getrandom(mac, 6, 0) != 6) {
				for (int i = 0; i < 6; i++)
					mac[i] = (uint8_t)rand();
			}
			mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
		}
		if (!nl->info.has_link_addr || memcmp(mac, nl->info.link_addr, 6) != 0) {
			int r = pktlink_set_link_addr(ep, mac);
			if (r < 0) {
				seterr(err, errlen, "pktlink_lwip_add: cannot set the endpoint's MAC: %s",
				       pktlink_strerror(r));
				free(nl->scratch);
				free(nl);
				return r;
			}
		}
	}

	pktlink_set_closed_cb(ep, on_closed, nl);

	LOCK_TCPIP_CORE();
	tl_core++;
	struct netif *ok = netif_add(&nl->netif, ip, netmask, gw, nl, pl_netif_init,
				     eth ? ethernet_input : ip_input);
	if (ok) {
		memcpy(nl->netif.hwaddr, mac, 6);
		if (nl->opts.set_default)
			netif_set_default(&nl->netif);
		netif_set_up(&nl->netif);
		netif_set_link_up(&nl->netif);
#if LWIP_IPV6
		if (eth)
			netif_create_ip6_linklocal_address(&nl->netif, 1);
#endif
	}
	tl_core--;
	UNLOCK_TCPIP_CORE();
	if (!ok) {
		seterr(err, errlen, "pktlink_lwip_add: lwIP refused the netif (netif_add failed)");
		pktlink_set_closed_cb(ep, NULL, NULL);
		free(nl->scratch);
		free(nl);
		return -EIO;
	}

	PKTLINK_OPTS(pktlink_attach_opts, ao, .burst = nl->opts.burst, .busy_poll = nl->opts.busy_poll);
	int r = pktlink_attach_opts(ep, pl_deliver, nl, &ao);
	if (r < 0) {
		seterr(err, errlen, "pktlink_lwip_add: cannot start receiving: %s (%s)",
		       pktlink_strerror(r), pktlink_last_error(ep));
		nl->opts.link_cb = NULL;
		pktlink_lwip_remove(nl);
		return r;
	}
	*out = nl;
	return 0;
}

static void noop_cb(void *arg)
{
}

void pktlink_lwip_remove(struct pktlink_lwip *nl)
{
	if (!nl)
		return;
	pktlink_attach(nl->ep, NULL, NULL);
	pktlink_join(nl->ep);
	/* bursts the workers handed to the tcpip thread run first (FIFO) */
	tcpip_callback_wait(noop_cb, NULL);
	LOCK_TCPIP_CORE();
	tl_core++;
	nl->removed = true;
	netif_set_link_down(&nl->netif);
	netif_set_down(&nl->netif);
	netif_remove(&nl->netif);
	tl_core--;
	UNLOCK_TCPIP_CORE();
	/* after netif_remove nothing transmits, so no new peer-gone notice can
	 * be posted; the tcpip mailbox is FIFO: this runs after any earlier one */
	tcpip_callback_wait(noop_cb, NULL);
	pktlink_set_closed_cb(nl->ep, NULL, NULL);
	free(nl->scratch);
	free(nl);
}

struct netif *pktlink_lwip_netif(struct pktlink_lwip *nl)
{
	return &nl->netif;
}

int pktlink_lwip_set_link(struct pktlink_lwip *nl, bool up)
{
	if (up && atomic_load(&nl->gone))
		return -ENOTCONN;
	LOCK_TCPIP_CORE();
	tl_core++;
	bool was = netif_is_link_up(&nl->netif);
	if (up)
		netif_set_link_up(&nl->netif);
	else
		netif_set_link_down(&nl->netif);
	if (was != up && nl->opts.link_cb)
		nl->opts.link_cb(nl->opts.link_ctx, nl, up, 0);
	tl_core--;
	UNLOCK_TCPIP_CORE();
	return 0;
}

int pktlink_lwip_peer_gone(const struct pktlink_lwip *nl)
{
	return atomic_load(&((struct pktlink_lwip *)nl)->gone);
}

void pktlink_lwip_get_stats(const struct pktlink_lwip *cnl, struct pktlink_lwip_stats *st)
{
	struct pktlink_lwip *nl = (struct pktlink_lwip *)cnl;
	st->rx_frames = atomic_load_explicit(&nl->rx_frames, memory_order_relaxed);
	st->rx_nomem = atomic_load_explicit(&nl->rx_nomem, memory_order_relaxed);
	st->rx_invalid = atomic_load_explicit(&nl->rx_invalid, memory_order_relaxed);
	st->tx_frames = atomic_load_explicit(&nl->tx_frames, memory_order_relaxed);
	st->tx_calls = atomic_load_explicit(&nl->tx_calls, memory_order_relaxed);
	st->tx_drops = atomic_load_explicit(&nl->tx_drops, memory_order_relaxed);
}

const char *pktlink_lwip_checksum_ctrl(void)
{
#if LWIP_CHECKSUM_CTRL_PER_NETIF
	return "lwIP has per-netif checksum control (LWIP_CHECKSUM_CTRL_PER_NETIF=1); the "
	       "adapter keeps every check and generation on, because pktlink's offload flags "
	       "are per frame and lwIP's control is per netif; partial checksums of received "
	       "frames are completed before input";
#else
	return "lwIP was built without per-netif checksum control "
	       "(LWIP_CHECKSUM_CTRL_PER_NETIF=0): it always generates and verifies checksums "
	       "in software; the adapter sends no partial checksums and completes those of "
	       "received frames before input";
#endif
}
