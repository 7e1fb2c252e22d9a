/* SPDX-License-Identifier: MIT */
/* capture_filter.c — tcpdump filter expressions through libpcap (see capture_filter.h). */
#include "capture_filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef PKTLINK_TOOL_HAVE_PCAP
#include <pcap/pcap.h>

int capfilter_compile(struct capfilter *f, const char *expr, uint32_t linktype, char *err,
		      size_t errlen)
{
	f->prog = NULL;
	/* The largest snap length, so the program never truncates a frame in
	 * the kernel: -s is applied when writing, and the file keeps the
	 * frame's real length. */
	pcap_t *p = pcap_open_dead((int)linktype, 262144);
	if (!p) {
		snprintf(err, errlen, "libpcap could not set up link type %u", linktype);
		return -ENOMEM;
	}
	struct bpf_program *prog = calloc(1, sizeof(*prog));
	if (!prog) {
		pcap_close(p);
		return -ENOMEM;
	}
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "filter expression '%s': %s (tcpdump syntax, see pcap-filter(7))",
			 expr, pcap_geterr(p));
		free(prog);
		pcap_close(p);
		return -EINVAL;
	}
	pcap_close(p);
	f->prog = prog;
	return 0;
}

const struct sock_filter *capfilter_insns(const struct capfilter *f, unsigned *count)
{
	const struct bpf_program *p = f->prog;
	if (!p) {
		*count = 0;
		return NULL;
	}
	/* struct bpf_insn and struct sock_filter share one layout (code, jt, jf, k). */
	_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter), "layout");
	*count = p->bf_len;
	return (const struct sock_filter *)p->bf_insns;
}

bool capfilter_match(const struct capfilter *f, const uint8_t *data, uint32_t caplen,
		     uint32_t len)
{
	const struct bpf_program *p = f->prog;
	return !p || bpf_filter(p->bf_insns, data, len, caplen) != 0;
}

void capfilter_free(struct capfilter *f)
{
	if (f->prog) {
		pcap_freecode(f->prog);
		free(f->prog);
	}
	f->prog = NULL;
}

#else

int capfilter_compile(struct capfilter *f, const char *expr, uint32_t linktype, char *err,
		      size_t errlen)
{
	(void)expr, (void)linktype;
	f->prog = NULL;
	snprintf(err, errlen, "this pktlink was built without libpcap, so it takes no filter "
			      "expression (install libpcap-dev and rebuild)");
	return -ENOTSUP;
}

const struct sock_filter *capfilter_insns(const struct capfilter *f, unsigned *count)
{
	(void)f;
	*count = 0;
	return NULL;
}

bool capfilter_match(const struct capfilter *f, const uint8_t *data, uint32_t caplen,
		     uint32_t len)
{
	(void)f, (void)data, (void)caplen, (void)len;
	return true;
}

void capfilter_free(struct capfilter *f)
{
	f->prog = NULL;
}
#endif
