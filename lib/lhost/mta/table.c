/* table.c - MTA scanners in the order they are tried (see lib/lhost.c) */
#include "lhost.h"

const ff_lhost *const ff_lhost_mtas[] = {NULL};
const size_t ff_lhost_nmtas = 0;
