/* SPDX-License-Identifier: MIT */
/*
 * json.h — a small streaming JSON writer for the tool's --json outputs
 * (info, status, capture statistics, bench). It tracks nesting and commas,
 * so callers write keys and values in order and the output is always
 * well-formed. Non-finite numbers become null; strings are escaped.
 */
#ifndef PKTLINK_TOOLS_JSON_H
#define PKTLINK_TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* no element written yet at this level */
	bool is_arr[JSON_MAX_DEPTH]; /* the level is an array (else an object) */
	bool after_key; /* a key was written; the next value goes without a comma */
};

/** json_init() - start writing to @f (one top-level value). */
void json_init(struct json *j, FILE *f);
/** json_key() - the key of the next value inside an object. */
void json_key(struct json *j, const char *key);
/** json_obj() / json_arr() - open an object / array; json_end() closes either. */
void json_obj(struct json *j);
void json_arr(struct json *j);
void json_end(struct json *j);
/** Values. json_num() writes null for NaN and infinities. */
void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_num(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/** json_done() - end the document with a newline and flush. */
void json_done(struct json *j);

/* Key-value shorthands. */
void json_kstr(struct json *j, const char *key, const char *s);
void json_ku64(struct json *j, const char *key, uint64_t v);
void json_ki64(struct json *j, const char *key, int64_t v);
void json_knum(struct json *j, const char *key, double v);
void json_kbool(struct json *j, const char *key, bool v);

#endif
