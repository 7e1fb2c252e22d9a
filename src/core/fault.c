/* SPDX-License-Identifier: MIT */
/* fault.c — see fault.h. */
#include "fault.h"

static unsigned countdown; /* atomic: 0 = disarmed */
static bool fired; /* atomic */

bool pl_fault(void)
{
	unsigned c = __atomic_load_n(&countdown, __ATOMIC_RELAXED);
	while (c) {
		if (__atomic_compare_exchange_n(&countdown, &c, c - 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			if (c == 1) {
				__atomic_store_n(&fired, true, __ATOMIC_RELEASE);
				return true;
			}
			return false;
		}
	}
	return false;
}

void pl_fault_arm(unsigned n)
{
	__atomic_store_n(&fired, false, __ATOMIC_RELAXED);
	__atomic_store_n(&countdown, n, __ATOMIC_RELEASE);
}

bool pl_fault_fired(void)
{
	return __atomic_load_n(&fired, __ATOMIC_ACQUIRE);
}
