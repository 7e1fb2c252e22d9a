/* SPDX-License-Identifier: MIT */
/*
 * spec.h — parsing of endpoint spec strings: "family:target?key=val&key=val".
 *
 * A family's spec opener asks for each key it knows with a typed getter;
 * pl_spec_finish() then fails on any key nobody asked for, naming it and the
 * accepted keys. Getters validate values and write an error that names the
 * key and the accepted values.
 *
 * Private to the library.
 */
#ifndef PL_CORE_SPEC_H
#define PL_CORE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_SPEC_MAX_LEN 1024
#define PL_SPEC_MAX_KEYS 32

struct pl_spec_kv {
	const char *key;
	const char *val; /* "" when bare */
	bool bare; /* written without '=': only a boolean key may be */
	bool used;
};

struct pl_spec {
	char buf[PL_SPEC_MAX_LEN];
	const char *family; /* before ':' */
	const char *target; /* between ':' and '?' ("" when absent) */
	struct pl_spec_kv kv[PL_SPEC_MAX_KEYS];
	unsigned nkv;
	char *err; /* caller's error buffer, may be NULL */
	size_t errlen;
};

/**
 * pl_spec_parse() - split spec into family, target and key/value pairs.
 * Keys must be unique and non-empty. A key alone ("promisc") is accepted
 * only by pl_spec_bool(), where it means true; every other getter reports
 * that the key needs a value and how to write it.
 * Return: 0, or -EINVAL with a message in err.
 */
int pl_spec_parse(struct pl_spec *s, const char *spec, char *err, size_t errlen);

/* Getters: return 0 when the key is absent (out untouched), 1 when it was
 * present and valid (out set), or -EINVAL with a message naming the key,
 * the value given and the accepted form.
 * pl_spec_u32: decimal digits only (no sign, space, or octal/hex prefix),
 * compared with min..max in 64 bits.
 * pl_spec_str: any non-empty value. */
int pl_spec_u32(struct pl_spec *s, const char *key, uint32_t min, uint32_t max, uint32_t *out);
int pl_spec_bool(struct pl_spec *s, const char *key, bool *out);
/* names: NULL-terminated list; out gets the index of the match. */
int pl_spec_enum(struct pl_spec *s, const char *key, const char *const *names, unsigned *out);
int pl_spec_str(struct pl_spec *s, const char *key, const char **out);
int pl_spec_mac(struct pl_spec *s, const char *key, uint8_t mac[6]);

/**
 * pl_spec_finish() - fail with -EINVAL if a key was never asked for.
 * accepted: the family's key list for the message, e.g. "mtu, addr, fds".
 */
int pl_spec_finish(struct pl_spec *s, const char *accepted);

/** pl_parse_mac() - "02:00:00:00:00:01" (exactly 6 pairs of hex digits
 * separated by ':') → bytes. Return 0 or -EINVAL. */
int pl_parse_mac(const char *str, uint8_t mac[6]);

#endif /* PL_CORE_SPEC_H */
