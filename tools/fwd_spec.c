/* SPDX-License-Identifier: MIT */
/*
 * fwd_spec.c — what `pktlink fwd` adds to the user's specs, and the check
 * that both specs do not name the same endpoint.
 */
#include "fwd.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

/* spec_family() - the family prefix of @spec: its length, 0 when there is none. */
static size_t spec_family(const char *spec)
{
	const char *c = strchr(spec, ':');
	const char *q = strchr(spec, '?');
	if (!c || c == spec || (q && q < c))
		return 0;
	return (size_t)(c - spec);
}

/* spec_target() - the target of @spec (between ':' and '?'): start and length. */
static const char *spec_target(const char *spec, size_t *len)
{
	const char *t = strchr(spec, ':');
	t = t ? t + 1 : spec;
	const char *q = strchr(t, '?');
	*len = q ? (size_t)(q - t) : strlen(t);
	return t;
}

bool fwd_spec_key(const char *spec, const char *key, const char **val, size_t *vlen)
{
	const char *p = strchr(spec, '?');
	if (!p)
		return false;
	size_t klen = strlen(key);
	for (p++; *p;) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t kl = eq ? (size_t)(eq - p) : len;
		if (kl == klen && !memcmp(p, key, klen)) {
			if (val)
				*val = eq ? eq + 1 : "1";
			if (vlen)
				*vlen = eq ? len - kl - 1 : 1;
			return true;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/* family_is() - whether the family prefix of length @n of @spec is @name. */
static bool family_is(const char *spec, size_t n, const char *name)
{
	return strlen(name) == n && !memcmp(spec, name, n);
}

int fwd_spec_defaults(const char *spec, char *out, size_t outlen)
{
	size_t fl = spec_family(spec);
	if (!fl)
		return -EINVAL;
	bool promisc = family_is(spec, fl, "packet") || family_is(spec, fl, "tap");
	if (family_is(spec, fl, "fd")) {
		/* Only frames with an Ethernet header have a MAC to filter on. */
		const char *v;
		size_t vl;
		promisc = !(fwd_spec_key(spec, "hdr", &v, &vl) && vl == 4 && !memcmp(v, "none", 4));
	}
	bool vnet = family_is(spec, fl, "packet") || family_is(spec, fl, "tap") ||
		    family_is(spec, fl, "tun");
	int n = snprintf(out, outlen, "%s", spec);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	size_t len = (size_t)n;
	const char *add[2] = { promisc && !fwd_spec_key(spec, "promisc", NULL, NULL) ? "promisc=1"
										       : NULL,
			       vnet && !fwd_spec_key(spec, "vnet_hdr", NULL, NULL) ? "vnet_hdr=1"
										   : NULL };
	for (unsigned i = 0; i < 2; i++) {
		if (!add[i])
			continue;
		/* "x:y?" and "x:y?k=v&" already end in a separator */
		const char *sep = !strchr(out, '?') ? "?"
				  : (out[len - 1] == '?' || out[len - 1] == '&') ? ""
										: "&";
		n = snprintf(out + len, outlen - len, "%s%s", sep, add[i]);
		if (n < 0 || (size_t)n >= outlen - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	return 0;
}

/* target_is_device() - whether the family's target is a network device name. */
static bool target_is_device(const char *spec)
{
	size_t fl = spec_family(spec);
	return family_is(spec, fl, "packet") || family_is(spec, fl, "tap") ||
	       family_is(spec, fl, "tun") || family_is(spec, fl, "xdp");
}

bool fwd_same_endpoint(const char *a, const char *b, char *why, size_t whylen)
{
	size_t la, lb;
	const char *ta = spec_target(a, &la), *tb = spec_target(b, &lb);
	if (la == lb && !memcmp(ta, tb, la)) {
		snprintf(why, whylen,
			 "both specs name '%.*s': a forwarder needs two different endpoints "
			 "(every frame would go back out where it came from)",
			 (int)la, ta);
		return true;
	}
	if (target_is_device(a) && target_is_device(b) && la < IF_NAMESIZE && lb < IF_NAMESIZE) {
		char na[IF_NAMESIZE], nb[IF_NAMESIZE];
		memcpy(na, ta, la);
		na[la] = '\0';
		memcpy(nb, tb, lb);
		nb[lb] = '\0';
		unsigned ia = if_nametoindex(na), ib = if_nametoindex(nb);
		if (ia && ia == ib) {
			snprintf(why, whylen,
				 "'%s' and '%s' are the same device (ifindex %u): a forwarder needs "
				 "two different endpoints",
				 na, nb, ia);
			return true;
		}
	}
	return false;
}
