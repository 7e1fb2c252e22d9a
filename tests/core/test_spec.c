/* SPDX-License-Identifier: MIT */
/* test_spec: the spec-string parser and pktlink_open()'s errors. */
#include "harness.h"
#include "core/spec.h"

#include <errno.h>
#include <stdio.h>
#include <pktlink/pktlink.h>
#include <string.h>

static int parse_ok(void)
{
	struct pl_spec s;
	char err[256];
	PLT_CHECK(pl_spec_parse(&s, "packet:veth0?dispatch=mmap&fds=4&promisc", err, sizeof(err)) == 0,
		  "%s", err);
	PLT_CHECK(!strcmp(s.family, "packet") && !strcmp(s.target, "veth0"), "split");
	uint32_t fds = 0;
	bool promisc = false;
	unsigned mode = 9;
	static const char *const modes[] = { "readv", "recvmmsg", "mmap", NULL };
	PLT_CHECK(pl_spec_u32(&s, "fds", 1, 256, &fds) == 1 && fds == 4, "fds");
	PLT_CHECK(pl_spec_bool(&s, "promisc", &promisc) == 1 && promisc, "promisc");
	PLT_CHECK(pl_spec_enum(&s, "dispatch", modes, &mode) == 1 && mode == 2, "dispatch");
	PLT_CHECK(pl_spec_u32(&s, "absent", 0, 1, &fds) == 0, "absent key");
	PLT_CHECK(pl_spec_finish(&s, "fds, promisc, dispatch") == 0, "finish");
	return 0;
}

static int parse_errors(void)
{
	struct pl_spec s;
	char err[256];
	PLT_CHECK(pl_spec_parse(&s, "", err, sizeof(err)) == -EINVAL, "empty");
	PLT_CHECK(pl_spec_parse(&s, "veth0", err, sizeof(err)) == -EINVAL && strstr(err, "family"),
		  "no family: %s", err);
	PLT_CHECK(pl_spec_parse(&s, "a:b?x=1&x=2", err, sizeof(err)) == -EINVAL &&
			  strstr(err, "twice"),
		  "dup: %s", err);
	PLT_CHECK(pl_spec_parse(&s, "a:b?=1", err, sizeof(err)) == -EINVAL, "empty key");

	PLT_CHECK(pl_spec_parse(&s, "packet:v?fds=0&bogus=1&mode=x&on=maybe&mac=zz", err,
				sizeof(err)) == 0,
		  "%s", err);
	uint32_t v;
	PLT_CHECK(pl_spec_u32(&s, "fds", 1, 8, &v) == -EINVAL && strstr(err, "'fds'") &&
			  strstr(err, "1 to 8"),
		  "range: %s", err);
	static const char *const modes[] = { "a", "b", NULL };
	unsigned m;
	PLT_CHECK(pl_spec_enum(&s, "mode", modes, &m) == -EINVAL && strstr(err, "a, b"), "enum: %s",
		  err);
	bool b;
	PLT_CHECK(pl_spec_bool(&s, "on", &b) == -EINVAL && strstr(err, "'on'"), "bool: %s", err);
	uint8_t mac[6];
	PLT_CHECK(pl_spec_mac(&s, "mac", mac) == -EINVAL && strstr(err, "MAC"), "mac: %s", err);
	PLT_CHECK(pl_spec_finish(&s, "fds, mode, on, mac") == -EINVAL && strstr(err, "'bogus'") &&
			  strstr(err, "accepted keys are"),
		  "unknown: %s", err);

	char big[2000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	big[1] = ':';
	PLT_CHECK(pl_spec_parse(&s, big, err, sizeof(err)) == -EINVAL, "too long");
	PLT_CHECK(pl_spec_parse(&s, "a:b?k1&k2&k3&k4&k5&k6&k7&k8&k9&k10&k11&k12&k13&k14&k15&k16&"
				    "k17&k18&k19&k20&k21&k22&k23&k24&k25&k26&k27&k28&k29&k30&k31&"
				    "k32&k33",
				err, sizeof(err)) == -EINVAL,
		  "too many keys");
	return 0;
}

/* Expect getter r to fail with a message holding each of the strings. */
static void want_err(int r, const char *err, const char *a, const char *b, const char *c)
{
	PLT_CHECK(r == -EINVAL, "accepted (r %d); want an error with '%s'", r, a);
	PLT_CHECK(strstr(err, a) && (!b || strstr(err, b)) && (!c || strstr(err, c)),
		  "message lacks '%s'/'%s'/'%s': %s", a, b ? b : "", c ? c : "", err);
}

/* Numbers are decimal digits and nothing else; a key alone is a boolean. */
static int strict_values(void)
{
	static const char *const bad[] = { "+1500", " 1500", "1500 ", "-1", "0x5dc", "1e3",
					   "",	    "99999999999999999999",  "4294967296" };
	struct pl_spec s;
	char err[256], spec[64];
	uint32_t v = 7;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(spec, sizeof(spec), "fd:3?mtu=%s", bad[i]);
		PLT_CHECK(pl_spec_parse(&s, spec, err, sizeof(err)) == 0, "%s", err);
		char quoted[40];
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		want_err(pl_spec_u32(&s, "mtu", 68, 65535, &v), err, "'mtu'", quoted,
			 "from 68 to 65535");
		PLT_CHECK(v == 7, "value written on error");
	}
	PLT_CHECK(pl_spec_parse(&s, "fd:3?mtu=01500&fds=0", err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pl_spec_u32(&s, "mtu", 68, 65535, &v) == 1 && v == 1500, "leading zero: %u", v);
	PLT_CHECK(pl_spec_u32(&s, "fds", 0, 4, &v) == 1 && v == 0, "zero");
	PLT_CHECK(pl_spec_parse(&s, "fd:3?fds=4294967295", err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pl_spec_u32(&s, "fds", 0, UINT32_MAX, &v) == 1 && v == UINT32_MAX, "max u32");

	/* A bare key: true for a boolean, "needs a value" (not value '1') for the rest. */
	PLT_CHECK(pl_spec_parse(&s, "fd:3?promisc&mtu&mode&dir&addr&on=yes", err, sizeof(err)) == 0,
		  "%s", err);
	bool b = false;
	PLT_CHECK(pl_spec_bool(&s, "promisc", &b) == 1 && b, "bare bool");
	PLT_CHECK(pl_spec_bool(&s, "on", &b) == 1 && b, "bool yes");
	want_err(pl_spec_u32(&s, "mtu", 68, 65535, &v), err, "'mtu' has no value", "mtu=N",
		 "68 to 65535");
	PLT_CHECK(!strstr(err, "'1'"), "bare key reported as value '1': %s", err);
	static const char *const modes[] = { "auto", "skb", NULL };
	unsigned m;
	want_err(pl_spec_enum(&s, "mode", modes, &m), err, "'mode' has no value", "auto, skb",
		 NULL);
	const char *str = NULL;
	want_err(pl_spec_str(&s, "dir", &str), err, "'dir' has no value", "dir=", NULL);
	uint8_t mac[6];
	want_err(pl_spec_mac(&s, "addr", mac), err, "'addr' has no value", "02:00:00:00:00:01",
		 NULL);

	/* An empty string value is an error, not "". */
	PLT_CHECK(pl_spec_parse(&s, "shm:x?dir=", err, sizeof(err)) == 0, "%s", err);
	want_err(pl_spec_str(&s, "dir", &str), err, "'dir'", "empty", NULL);

	/* Enums and booleans compare whole values: no space, no case folding. */
	PLT_CHECK(pl_spec_parse(&s, "x:y?mode= skb&on=YES ", err, sizeof(err)) == 0, "%s", err);
	want_err(pl_spec_enum(&s, "mode", modes, &m), err, "' skb'", "'mode'", "auto, skb");
	want_err(pl_spec_bool(&s, "on", &b), err, "'YES '", "'on'", "yes/no");
	return 0;
}

static int mac_parse(void)
{
	uint8_t m[6];
	PLT_CHECK(pl_parse_mac("02:00:0a:ff:10:01", m) == 0 && m[2] == 0x0a && m[3] == 0xff, "ok");
	PLT_CHECK(pl_parse_mac("02:00:0a:ff:10", m) == -EINVAL, "short");
	PLT_CHECK(pl_parse_mac("02:00:0a:ff:10:01:00", m) == -EINVAL, "long");
	PLT_CHECK(pl_parse_mac("g2:00:0a:ff:10:01", m) == -EINVAL, "hex");
	PLT_CHECK(pl_parse_mac(" 2:00:0a:ff:10:01", m) == -EINVAL, "leading space");
	PLT_CHECK(pl_parse_mac("+2:00:0a:ff:10:01", m) == -EINVAL, "sign");
	PLT_CHECK(pl_parse_mac("02-00-0a-ff-10-01", m) == -EINVAL, "separator");
	PLT_CHECK(pl_parse_mac("02:00:0a:ff:10: 1", m) == -EINVAL, "inner space");
	PLT_CHECK(pl_parse_mac("02:00:0A:Ff:10:01", m) == 0 && m[2] == 0x0a && m[3] == 0xff,
		  "upper case");
	return 0;
}

static int open_unknown_family(void)
{
	struct pktlink_ep *ep = (void *)1;
	char err[256] = "";
	PLT_CHECK(pktlink_open("nosuch:x", &ep, err, sizeof(err)) == -EINVAL && ep == NULL,
		  "unknown family");
	PLT_CHECK(strstr(err, "nosuch") && strstr(err, "known families"), "message: %s", err);
	PLT_CHECK(pktlink_open(NULL, &ep, NULL, 0) == -EINVAL, "NULL spec, NULL err buffer");
	PLT_CHECK(pktlink_spec_help() != NULL, "help");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "parse_ok", parse_ok, PLT_UNIT, 0 },
		{ "parse_errors", parse_errors, PLT_UNIT, 0 },
		{ "strict_values", strict_values, PLT_UNIT, 0 },
		{ "mac_parse", mac_parse, PLT_UNIT, 0 },
		{ "open_unknown_family", open_unknown_family, PLT_UNIT, 0 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
