/* table.c - provider and gateway scanners in the order they are tried (see lib/lhost.c) */
#include "lhost.h"

extern const ff_lhost ff_lhost_googlegroups;
extern const ff_lhost ff_lhost_gmail;
extern const ff_lhost ff_lhost_amazonses;

const ff_lhost *const ff_lhost_providers[] = {&ff_lhost_googlegroups, &ff_lhost_gmail,
                                             &ff_lhost_amazonses, NULL};
const size_t ff_lhost_nproviders = 3;
