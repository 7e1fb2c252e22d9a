/* SPDX-License-Identifier: MIT */
/* open.c — pktlink_open(): route a spec string to its family's opener. */
#include "registry.h"
#include "endpoint.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

/* Every registered spec prefix, family by family. */
#define for_each_family(e)                                                                  \
	for (const struct pl_family_entry *const *t_ = pl_families; *t_; t_++)               \
		for (const struct pl_family_entry *e = *t_; e->name; e++)

int pktlink_open(const char *spec, struct pktlink_ep **epp, char *err, size_t errlen)
{
	struct pl_spec s;
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "pktlink_open: epp is NULL");
	*epp = NULL;
	int r = pl_spec_parse(&s, spec, err, errlen);
	if (r)
		return r;
	for_each_family(e)
		if (!strcmp(e->name, s.family))
			return e->open(&s, epp);

	char list[160] = "";
	for_each_family(e) {
		if (list[0])
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, e->name, sizeof(list) - strlen(list) - 1);
	}
	return pl_err(err, errlen, -EINVAL, "unknown endpoint family '%s': known families are %s",
		      s.family, list[0] ? list : "(none built)");
}

static char spec_help[8192];
static pthread_once_t spec_help_once = PTHREAD_ONCE_INIT;

static void spec_help_build(void)
{
	for_each_family(e)
		strncat(spec_help, e->help, sizeof(spec_help) - strlen(spec_help) - 1);
}

const char *pktlink_spec_help(void)
{
	pthread_once(&spec_help_once, spec_help_build);
	return spec_help;
}
