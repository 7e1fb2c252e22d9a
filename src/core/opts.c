/* SPDX-License-Identifier: MIT */
/* opts.c — the options validator (opts.h). */
#include "opts.h"

#include "endpoint.h"

#include <errno.h>
#include <string.h>

int pl_opts_load(void *dst, size_t lib_size, size_t known, const void *user, size_t min,
		 const char *type, char *err, size_t errlen)
{
	memset(dst, 0, lib_size);
	if (min < sizeof(size_t))
		min = sizeof(size_t);
	if (!user) {
		memcpy(dst, &lib_size, sizeof(size_t));
		return 0;
	}
	size_t usz;
	memcpy(&usz, user, sizeof(usz));
	if (usz < min)
		return pl_err(err, errlen, -EINVAL,
			      "%s.sz is %zu: set it to sizeof(struct %s) (%zu here), or "
			      "declare the struct with PKTLINK_OPTS()",
			      type, usz, type, lib_size);
	/* A newer caller: whatever lies past our struct must be zero. Our own
	 * trailing padding (known..lib_size) is skipped: a caller's padding is
	 * indeterminate (a compound literal copies it; gcc -O0 leaves stack
	 * garbage there even through PKTLINK_OPTS()), so no option may ever
	 * be added into it (docs/ABI.md). */
	const unsigned char *u = user;
	for (size_t i = lib_size; i < usz; i++)
		if (u[i])
			return pl_err(err, errlen, -EINVAL,
				      "struct %s: byte %zu of %zu is set, but this libpktlink (%s) "
				      "knows only the first %zu: the program was built against a "
				      "newer pktlink and uses an option this library does not have; "
				      "install a newer libpktlink or leave that option zero",
				      type, i, usz, pktlink_version(), known);
	memcpy(dst, user, usz < known ? usz : known);
	memcpy(dst, &lib_size, sizeof(size_t));
	return 0;
}
