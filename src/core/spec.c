/* SPDX-License-Identifier: MIT */
/* spec.c — parsing of "family:target?key=val&..." spec strings. */
#include "spec.h"
#include "endpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pl_spec_parse(struct pl_spec *s, const char *spec, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->err = err;
	s->errlen = errlen;
	if (!spec || !*spec)
		return pl_err(err, errlen, -EINVAL,
			      "empty spec: expected FAMILY:TARGET?key=value (see `pktlink help specs`)");
	size_t len = strlen(spec);
	if (len >= sizeof(s->buf))
		return pl_err(err, errlen, -EINVAL, "spec is %zu bytes long: the limit is %zu", len,
			      sizeof(s->buf) - 1);
	memcpy(s->buf, spec, len + 1);

	char *colon = strchr(s->buf, ':');
	char *query = strchr(s->buf, '?');
	if (!colon || (query && query < colon))
		return pl_err(err, errlen, -EINVAL,
			      "spec '%s' has no family: write FAMILY:TARGET, e.g. packet:veth0", spec);
	*colon = '\0';
	s->family = s->buf;
	if (!*s->family)
		return pl_err(err, errlen, -EINVAL, "spec '%s' has an empty family before ':'", spec);
	s->target = colon + 1;
	if (!query)
		return 0;
	*query = '\0';

	char *p = query + 1;
	while (*p) {
		char *amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		if (*p) {
			if (s->nkv == PL_SPEC_MAX_KEYS)
				return pl_err(err, errlen, -EINVAL, "spec has more than %d keys",
					      PL_SPEC_MAX_KEYS);
			char *eq = strchr(p, '=');
			const char *val = "";
			if (eq) {
				*eq = '\0';
				val = eq + 1;
			}
			if (!*p)
				return pl_err(err, errlen, -EINVAL, "spec '%s' has a value with no key",
					      spec);
			for (unsigned i = 0; i < s->nkv; i++)
				if (!strcmp(s->kv[i].key, p))
					return pl_err(err, errlen, -EINVAL,
						      "key '%s' is given twice in spec '%s'", p, spec);
			s->kv[s->nkv].key = p;
			s->kv[s->nkv].val = val;
			s->kv[s->nkv].bare = !eq;
			s->nkv++;
		}
		if (!amp)
			break;
		p = amp + 1;
	}
	return 0;
}

static struct pl_spec_kv *find(struct pl_spec *s, const char *key)
{
	for (unsigned i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key)) {
			s->kv[i].used = true;
			return &s->kv[i];
		}
	return NULL;
}

/* A key that needs a value was given alone ("mtu" instead of "mtu=1500"). */
static int no_value(struct pl_spec *s, const char *key, const char *form)
{
	return pl_err(s->err, s->errlen, -EINVAL, "%s: key '%s' has no value: write %s=%s",
		      s->family, key, key, form);
}

int pl_spec_u32(struct pl_spec *s, const char *key, uint32_t min, uint32_t max, uint32_t *out)
{
	struct pl_spec_kv *kv = find(s, key);
	if (!kv)
		return 0;
	if (kv->bare) {
		char form[64];
		snprintf(form, sizeof(form), "N (a whole number from %u to %u)", min, max);
		return no_value(s, key, form);
	}
	/* Digits only: strtoull alone would also take leading space, a sign,
	 * and 0x/0 prefixes (so "010" would be eight). */
	const char *v = kv->val;
	uint64_t n = 0;
	bool ok = *v != '\0';
	for (; ok && *v; v++) {
		if (*v < '0' || *v > '9' || n > UINT32_MAX)
			ok = false;
		else
			n = n * 10 + (uint64_t)(*v - '0');
	}
	if (!ok || n < min || n > max)
		return pl_err(s->err, s->errlen, -EINVAL,
			      "%s: bad value '%s' for key '%s': expected a whole number from %u to %u "
			      "(decimal digits only)",
			      s->family, kv->val, key, min, max);
	*out = (uint32_t)n;
	return 1;
}

int pl_spec_bool(struct pl_spec *s, const char *key, bool *out)
{
	struct pl_spec_kv *kv = find(s, key);
	if (!kv)
		return 0;
	if (kv->bare) {
		*out = true; /* "promisc" alone reads as promisc=1 */
		return 1;
	}
	static const char *const yes[] = { "1", "yes", "on", "true" };
	static const char *const no[] = { "0", "no", "off", "false" };
	for (unsigned i = 0; i < 4; i++) {
		if (!strcmp(kv->val, yes[i])) {
			*out = true;
			return 1;
		}
		if (!strcmp(kv->val, no[i])) {
			*out = false;
			return 1;
		}
	}
	return pl_err(s->err, s->errlen, -EINVAL,
		      "%s: bad value '%s' for key '%s': expected 1/0, yes/no, on/off or true/false",
		      s->family, kv->val, key);
}

int pl_spec_enum(struct pl_spec *s, const char *key, const char *const *names, unsigned *out)
{
	struct pl_spec_kv *kv = find(s, key);
	if (!kv)
		return 0;
	char list[256] = "";
	size_t used = 0;
	for (unsigned i = 0; names[i]; i++) {
		if (!kv->bare && !strcmp(kv->val, names[i])) {
			*out = i;
			return 1;
		}
		int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", names[i]);
		if (w > 0 && (size_t)w < sizeof(list) - used)
			used += (size_t)w;
	}
	if (kv->bare) {
		char form[300];
		snprintf(form, sizeof(form), "VALUE (one of %s)", list);
		return no_value(s, key, form);
	}
	return pl_err(s->err, s->errlen, -EINVAL,
		      "%s: bad value '%s' for key '%s': accepted values are %s", s->family, kv->val,
		      key, list);
}

int pl_spec_str(struct pl_spec *s, const char *key, const char **out)
{
	struct pl_spec_kv *kv = find(s, key);
	if (!kv)
		return 0;
	if (kv->bare)
		return no_value(s, key, "VALUE");
	if (!kv->val[0])
		return pl_err(s->err, s->errlen, -EINVAL,
			      "%s: empty value for key '%s': write %s=VALUE, or leave the key out",
			      s->family, key, key);
	*out = kv->val;
	return 1;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 :
				      -1;
}

int pl_parse_mac(const char *str, uint8_t mac[6])
{
	/* By position: sscanf("%2x") would also take space and a sign. */
	if (!str || strlen(str) != 17)
		return -EINVAL;
	uint8_t m[6];
	for (int i = 0; i < 6; i++) {
		const char *p = str + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);
		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}

int pl_spec_mac(struct pl_spec *s, const char *key, uint8_t mac[6])
{
	struct pl_spec_kv *kv = find(s, key);
	if (!kv)
		return 0;
	if (kv->bare)
		return no_value(s, key, "02:00:00:00:00:01 (a MAC address)");
	if (pl_parse_mac(kv->val, mac))
		return pl_err(s->err, s->errlen, -EINVAL,
			      "%s: bad value '%s' for key '%s': expected a MAC address like "
			      "02:00:00:00:00:01",
			      s->family, kv->val, key);
	return 1;
}

int pl_spec_finish(struct pl_spec *s, const char *accepted)
{
	for (unsigned i = 0; i < s->nkv; i++)
		if (!s->kv[i].used)
			return pl_err(s->err, s->errlen, -EINVAL,
				      "%s: unknown key '%s': accepted keys are %s", s->family,
				      s->kv[i].key, accepted);
	return 0;
}
