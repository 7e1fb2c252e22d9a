/* SPDX-License-Identifier: MIT */
/*
 * steps.h — an open written as a table of setup steps, undone backwards.
 *
 * A family describes its open as an array of struct pl_step. pl_steps_run()
 * runs them in order — each item preceded by pl_fault(), so the teardown
 * tests can make every step fail — and on the first failure undoes, from
 * the failed step backwards to the first, whatever was done. Closing an
 * endpoint that opened fine is pl_steps_undo() over the whole table: the
 * same undo functions, the same order, one teardown path.
 *
 * Undo functions get the context only and must be safe on a step that was
 * done in part or skipped (count 0): they free what exists (NULL / -1 mark
 * what does not) and leave it marked as gone, so running one twice is
 * harmless.
 *
 * Threading: setup and teardown run on one thread; nothing here is shared.
 *
 * Private to the library.
 */
#ifndef PL_CORE_STEPS_H
#define PL_CORE_STEPS_H

#include <stddef.h>

/**
 * struct pl_step - one setup step.
 * @what:  what the step does, for the injected-fault error ("open an
 *         AF_PACKET socket").
 * @count: how many items the step has (one per descriptor, per queue...);
 *         0 skips it. NULL means one.
 * @run:   do item i (0-based); return 0, or a negative errno with the
 *         reason in err.
 * @undo:  undo all of the step (see above); NULL when there is nothing.
 */
struct pl_step {
	const char *what;
	unsigned (*count)(void *ctx);
	int (*run)(void *ctx, unsigned i, char *err, size_t errlen);
	void (*undo)(void *ctx);
};

/**
 * pl_steps_run() - run steps[0..n) on ctx. On failure, undo the failed step
 * and every earlier one, backwards, and return the error (an injected fault
 * is -EFAULT with "setup step '<what>' failed (injected fault)" in err).
 * Return: 0 when all steps ran.
 */
int pl_steps_run(const struct pl_step *steps, unsigned n, void *ctx, char *err, size_t errlen);

/** pl_steps_undo() - undo steps[0..n) backwards (the teardown of an open endpoint). */
void pl_steps_undo(const struct pl_step *steps, unsigned n, void *ctx);

#endif /* PL_CORE_STEPS_H */
