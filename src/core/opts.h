/* SPDX-License-Identifier: MIT */
/*
 * opts.h — the one validator of the caller's options structs (every struct
 * that starts with `size_t sz`: pktlink_attach_opts and each family's open
 * options), with libbpf's semantics (OPTS_VALID):
 *
 *  - NULL: every option takes its default (the family decides whether it
 *    needs options at all and says so before calling this).
 *  - sz smaller than the family's minimum (at least sizeof(size_t), so
 *    sz == 0 is refused): a caller that forgot to set sz.
 *  - sz smaller than the library's struct: an older caller; the fields it
 *    does not have read as zero (their defaults).
 *  - sz larger than what the library knows: a newer caller. Accepted only
 *    when every byte past the library's struct is zero, so an option this
 *    library does not have is refused, never silently ignored.
 *
 * The library's own trailing padding is not checked: a caller's padding is
 * indeterminate (compound literals and struct copies carry garbage there),
 * so a new option must never be placed into existing padding; it goes
 * after it, growing sizeof.
 *
 * Private to the library: not installed.
 */
#ifndef PL_CORE_OPTS_H
#define PL_CORE_OPTS_H

#include <stddef.h>

#define pl_offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * pl_opts_load() - copy the caller's options @user into @dst (the library's
 * struct of @lib_size bytes, whose fields end at @known), zero-filling what
 * the caller's shorter struct lacks, and set dst's sz to @lib_size.
 * @min:  the smallest sz accepted (>= sizeof(size_t)).
 * @type: the struct's name, for the error message.
 * Return: 0, or -EINVAL with the cause and the fix in @err.
 */
int pl_opts_load(void *dst, size_t lib_size, size_t known, const void *user, size_t min,
		 const char *type, char *err, size_t errlen);

/*
 * PL_OPTS_LOAD(type, dst, user, min, err, errlen) - pl_opts_load() for
 * `struct type`, whose last field is named next to it in its public header
 * (`#define type##__last_field field`, as libbpf does). The assertion fails
 * to compile when a field added after it grew the struct; a field added into
 * trailing padding is caught by tests/abi/check_symbols.sh.
 */
#define PL_OPTS_LOAD(type, dst, user, min, err, errlen)                                           \
	__extension__({                                                                           \
		_Static_assert(sizeof(struct type) ==                                             \
				       (pl_offsetofend(struct type, type##__last_field) +         \
					_Alignof(struct type) - 1) /                              \
					       _Alignof(struct type) * _Alignof(struct type),     \
			       "struct " #type ": " #type "__last_field does not name the last "   \
			       "field (in its header)");                                          \
		pl_opts_load((dst), sizeof(struct type),                                          \
			     pl_offsetofend(struct type, type##__last_field), (user), (min), #type,  \
			     (err), (errlen));                                                    \
	})

#endif /* PL_CORE_OPTS_H */
