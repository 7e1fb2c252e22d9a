/* SPDX-License-Identifier: MIT */
/*
 * registry.h — spec-string openers of every family, used by pktlink_open().
 * Each family implements its opener in its own folder; src/core/open.c holds
 * the table. Private to the library.
 */
#ifndef PL_CORE_REGISTRY_H
#define PL_CORE_REGISTRY_H

#include "spec.h"
#include <pktlink/pktlink.h>

/*
 * A spec opener: read its keys from s (s->target is the part after ':'),
 * call pl_spec_finish(), open, and store the endpoint in *epp. Errors go to
 * s->err via pl_err(s->err, s->errlen, ...).
 */
typedef int (*pl_spec_open_fn)(struct pl_spec *s, struct pktlink_ep **epp);

struct pl_family_entry {
	const char *name; /* the spec prefix before ':' */
	pl_spec_open_fn open;
	const char *help; /* "name:TARGET?keys — description" lines */
};

/* fd family (src/fd) */
int pl_fd_open_spec(struct pl_spec *s, struct pktlink_ep **epp);
int pl_tap_open_spec(struct pl_spec *s, struct pktlink_ep **epp);
int pl_tun_open_spec(struct pl_spec *s, struct pktlink_ep **epp);
int pl_packet_open_spec(struct pl_spec *s, struct pktlink_ep **epp);
extern const char pl_fd_spec_help[], pl_tap_spec_help[], pl_tun_spec_help[], pl_packet_spec_help[];

/* xdp family (src/xdp) */
int pl_xdp_open_spec(struct pl_spec *s, struct pktlink_ep **epp);
extern const char pl_xdp_spec_help[];

/* shm family (src/shm) */
int pl_shm_open_spec(struct pl_spec *s, struct pktlink_ep **epp);
extern const char pl_shm_spec_help[];

#endif /* PL_CORE_REGISTRY_H */
