/* SPDX-License-Identifier: MIT */
/*
 * registry.h — spec-string openers of every family, used by pktlink_open().
 * Each family implements its openers in its own folder and lists them in its
 * family table. Private to the library.
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

/*
 * Every family folder defines one table, pl_family_<folder>[], ended by an
 * entry whose name is NULL; a family may register several prefixes (fd has
 * fd, tap, tun and packet). CMake writes generated/families.c, the list of
 * the tables of the families that were built (PKTLINK_FAMILIES), so core
 * knows no family by name and adding one means adding a folder.
 */
extern const struct pl_family_entry *const pl_families[];

#endif /* PL_CORE_REGISTRY_H */
