// prctl(2) is variadic in C, and Swift imports no variadic C function: these
// two fixed-signature wrappers are the whole of this module.
#ifndef KITH_HARDENING_H
#define KITH_HARDENING_H

/// Marks the process not dumpable (no core file, no ptrace by the same user). 0 on success.
int kith_set_undumpable(void);

/// 1 when the process may dump core, 0 when not, -1 on error.
int kith_is_dumpable(void);

#endif
