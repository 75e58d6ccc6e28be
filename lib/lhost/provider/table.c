/* table.c - provider and gateway scanners in the order they are tried (see lib/lhost.c) */
#include "lhost.h"

extern const ff_lhost ff_lhost_googlegroups;
extern const ff_lhost ff_lhost_gmail;
extern const ff_lhost ff_lhost_amazonses;
extern const ff_lhost ff_lhost_kddi, ff_lhost_ezweb, ff_lhost_biglobe, ff_lhost_einsundeins,
    ff_lhost_verizon, ff_lhost_zoho, ff_lhost_interscanmss,
    ff_lhost_mailmarshal;

const ff_lhost *const ff_lhost_providers[] = {
    &ff_lhost_googlegroups, &ff_lhost_gmail,   &ff_lhost_amazonses,   &ff_lhost_kddi,
    &ff_lhost_ezweb,        &ff_lhost_biglobe, &ff_lhost_einsundeins, &ff_lhost_verizon,
    &ff_lhost_zoho,         &ff_lhost_interscanmss, &ff_lhost_mailmarshal,
    NULL};
const size_t ff_lhost_nproviders = 11;
