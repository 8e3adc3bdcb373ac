#include "hardening.h"
#include <sys/prctl.h>

int kith_set_undumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

int kith_is_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
