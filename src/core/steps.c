/* SPDX-License-Identifier: MIT */
/* steps.c — the setup step runner (steps.h). */
#include "core/steps.h"

#include "core/endpoint.h"
#include "core/fault.h"

#include <errno.h>

void pl_steps_undo(const struct pl_step *steps, unsigned n, void *ctx)
{
	while (n--)
		if (steps[n].undo)
			steps[n].undo(ctx);
}

int pl_steps_run(const struct pl_step *steps, unsigned n, void *ctx, char *err, size_t errlen)
{
	for (unsigned k = 0; k < n; k++) {
		const struct pl_step *st = &steps[k];
		unsigned items = st->count ? st->count(ctx) : 1;
		for (unsigned i = 0; i < items; i++) {
			int r = pl_fault() ? pl_err(err, errlen, -EFAULT,
						     "setup step '%s' failed (injected fault)",
						     st->what)
					   : st->run(ctx, i, err, errlen);
			if (r) {
				/* the failed step's undo too: it may be part done */
				pl_steps_undo(steps, k + 1, ctx);
				return r;
			}
		}
	}
	return 0;
}
