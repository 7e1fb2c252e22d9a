/* SPDX-License-Identifier: MIT */
/*
 * fault.h — failure injection at setup steps, for the teardown tests.
 *
 * Every setup step of every family calls pl_fault() once, before doing the
 * step; when it returns true the step must fail as if the kernel had
 * refused it (the family reports -EFAULT... or the step's natural errno, and
 * unwinds). Tests arm it with pl_fault_arm(n): the n-th step from then on
 * fails, once. Disarmed (the default), pl_fault() is one relaxed load on a
 * setup path, never on a per-packet path.
 *
 * The countdown is process-wide: that is the point (a test arms it, then
 * opens an endpoint). It is not for use outside tests.
 *
 * Private to the library.
 */
#ifndef PL_CORE_FAULT_H
#define PL_CORE_FAULT_H

#include <stdbool.h>

/** pl_fault() - true if the current setup step must fail (then disarms). */
bool pl_fault(void);

/** pl_fault_arm() - make the n-th following pl_fault() call return true (n >= 1; 0 disarms). */
void pl_fault_arm(unsigned n);

/** pl_fault_fired() - whether the armed fault has fired since pl_fault_arm(). */
bool pl_fault_fired(void);

#endif
