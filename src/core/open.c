/* SPDX-License-Identifier: MIT */
/* open.c — pktlink_open(): route a spec string to its family's opener. */
#include "registry.h"
#include "endpoint.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

static const struct pl_family_entry families[] = {
#ifdef PKTLINK_HAVE_FD
	{ "fd", pl_fd_open_spec, pl_fd_spec_help },
	{ "tap", pl_tap_open_spec, pl_tap_spec_help },
	{ "tun", pl_tun_open_spec, pl_tun_spec_help },
	{ "packet", pl_packet_open_spec, pl_packet_spec_help },
#endif
#ifdef PKTLINK_HAVE_XDP
	{ "xdp", pl_xdp_open_spec, pl_xdp_spec_help },
#endif
#ifdef PKTLINK_HAVE_SHM
	{ "shm", pl_shm_open_spec, pl_shm_spec_help },
#endif
	{ NULL, NULL, NULL },
};

int pktlink_open(const char *spec, struct pktlink_ep **epp, char *err, size_t errlen)
{
	struct pl_spec s;
	if (!epp)
		return pl_err(err, errlen, -EINVAL, "pktlink_open: epp is NULL");
	*epp = NULL;
	int r = pl_spec_parse(&s, spec, err, errlen);
	if (r)
		return r;
	for (size_t i = 0; families[i].name; i++)
		if (!strcmp(families[i].name, s.family))
			return families[i].open(&s, epp);

	char list[128] = "";
	for (size_t i = 0; families[i].name; i++) {
		if (i)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, families[i].name, sizeof(list) - strlen(list) - 1);
	}
	return pl_err(err, errlen, -EINVAL, "unknown endpoint family '%s': known families are %s",
		      s.family, families[0].name ? list : "(none built)");
}

static char spec_help[8192];
static pthread_once_t spec_help_once = PTHREAD_ONCE_INIT;

static void spec_help_build(void)
{
	for (size_t i = 0; families[i].name; i++)
		strncat(spec_help, families[i].help, sizeof(spec_help) - strlen(spec_help) - 1);
}

const char *pktlink_spec_help(void)
{
	pthread_once(&spec_help_once, spec_help_build);
	return spec_help;
}
