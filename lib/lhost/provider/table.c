/* table.c - provider and gateway scanners in the order they are tried (see lib/lhost.c) */
#include "lhost.h"

const ff_lhost *const ff_lhost_providers[] = {NULL};
const size_t ff_lhost_nproviders = 0;
