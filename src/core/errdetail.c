/* SPDX-License-Identifier: MIT */
/*
 * errdetail.c — the readable details behind pktlink_last_error().
 *
 * An endpoint is used by several threads at once (one RX thread per queue,
 * a TX thread, whoever reads stats), and each of them may fail. One buffer
 * per endpoint would be written by all of them while another reads it. So
 * each thread keeps its own details, in thread-local slots keyed by the
 * endpoint's id (never reused, unlike its address): a thread only ever
 * reads what it wrote itself, which needs no locking.
 *
 * The one detail every thread must see is why the peer went away, since
 * after that every call fails with the same reason whichever thread noticed.
 * It is written once, by the thread that won the race to declare the peer
 * gone, before it is published (release/acquire on gone_set).
 *
 * A per-endpoint sequence number orders the two: pktlink_last_error()
 * returns whichever of "this thread's detail" and "the peer-gone reason" is
 * newer.
 */
#include "endpoint.h"

#include <stdio.h>
#include <string.h>

/* Endpoints a thread keeps details for; the least recently written slot
 * makes room for a new endpoint. */
#define PL_ERR_SLOTS 8

struct pl_err_slot {
	uint64_t ep_id; /* 0: free */
	uint64_t seq; /* the endpoint's error sequence number when written */
	uint64_t stamp; /* this thread's write counter, for replacement */
	int err;
	char msg[PL_ERRMSG_LEN];
};

static _Thread_local struct {
	struct pl_err_slot slot[PL_ERR_SLOTS];
	uint64_t stamp;
} tls_err;

static uint64_t next_ep_id; /* atomic */

void pl_ep_error_init(struct pktlink_ep *ep)
{
	ep->err_id = __atomic_add_fetch(&next_ep_id, 1, __ATOMIC_RELAXED);
}

/* This thread's slot for ep, or NULL. */
static struct pl_err_slot *slot_find(const struct pktlink_ep *ep)
{
	for (unsigned i = 0; i < PL_ERR_SLOTS; i++)
		if (tls_err.slot[i].ep_id == ep->err_id && ep->err_id)
			return &tls_err.slot[i];
	return NULL;
}

/* This thread's slot for ep, taking a free or the oldest one if needed. */
static struct pl_err_slot *slot_get(const struct pktlink_ep *ep)
{
	struct pl_err_slot *s = slot_find(ep);
	if (s)
		return s;
	s = &tls_err.slot[0];
	for (unsigned i = 1; i < PL_ERR_SLOTS && s->ep_id; i++)
		if (!tls_err.slot[i].ep_id || tls_err.slot[i].stamp < s->stamp)
			s = &tls_err.slot[i];
	s->ep_id = ep->err_id;
	return s;
}

int pl_ep_error(struct pktlink_ep *ep, int err, const char *fmt, ...)
{
	struct pl_err_slot *s = slot_get(ep);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	s->err = err;
	s->stamp = ++tls_err.stamp;
	s->seq = __atomic_add_fetch(&ep->err_seq, 1, __ATOMIC_RELAXED);
	return err;
}

void pl_ep_error_clear(struct pktlink_ep *ep)
{
	struct pl_err_slot *s = slot_find(ep);
	if (s)
		s->msg[0] = '\0';
}

void pl_ep_error_gone(struct pktlink_ep *ep, int reason)
{
	/* The family's own words when this thread has just recorded them for
	 * this very reason (nothing recorded on the endpoint since); else a
	 * generic line. An older detail with another cause must not be
	 * passed off as the reason. */
	const struct pl_err_slot *s = slot_find(ep);
	if (s && s->msg[0] && s->err == reason &&
	    s->seq == __atomic_load_n(&ep->err_seq, __ATOMIC_RELAXED))
		memcpy(ep->gone_msg, s->msg, sizeof(ep->gone_msg));
	else
		snprintf(ep->gone_msg, sizeof(ep->gone_msg), "peer went away: %s",
			 strerror(-reason));
	ep->gone_seq = __atomic_add_fetch(&ep->err_seq, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&ep->gone_set, 1, __ATOMIC_RELEASE);
}

int pl_ep_gone_seen(struct pktlink_ep *ep, int reason)
{
	struct pl_err_slot *s = slot_find(ep);
	if (s)
		s->msg[0] = '\0';
	return reason;
}

const char *pktlink_last_error(const struct pktlink_ep *ep)
{
	struct pl_err_slot *s = slot_find(ep);
	if (__atomic_load_n(&ep->gone_set, __ATOMIC_ACQUIRE) &&
	    (!s || !s->msg[0] || s->seq < ep->gone_seq))
		return ep->gone_msg;
	int dead = pl_ep_dead(ep);
	if ((!s || !s->msg[0]) && dead) {
		/* The winner of pl_ep_peer_gone() has set the reason but not yet
		 * published its words: say it in this thread's own slot, older
		 * than anything, so the published words win from the next call. */
		s = slot_get(ep);
		snprintf(s->msg, sizeof(s->msg), "peer went away: %s", strerror(-dead));
		s->err = dead;
		s->seq = 0;
		return s->msg;
	}
	return s ? s->msg : "";
}
