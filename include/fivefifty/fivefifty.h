/* fivefifty.h - the whole public API of libfivefifty
 *
 * Include this one header, or the module headers you need. Link with
 * `pkg-config --libs fivefifty`.
 */
#ifndef FIVEFIFTY_H
#define FIVEFIFTY_H

/* deciding: replies, statuses, the engine, bounces */
#include "fivefifty/error.h"
#include "fivefifty/status.h"
#include "fivefifty/reply.h"
#include "fivefifty/classify.h"
#include "fivefifty/rules.h"
#include "fivefifty/dsn.h"
#include "fivefifty/arf.h"
#include "fivefifty/autoreply.h"
#include "fivefifty/authres.h"
#include "fivefifty/decode.h"
#include "fivefifty/mbox.h"
/* checking the sender */
#include "fivefifty/dns.h"
#include "fivefifty/spf.h"
#include "fivefifty/dkim.h"
#include "fivefifty/orgdomain.h"
#include "fivefifty/dmarc.h"
#include "fivefifty/mx.h"
#include "fivefifty/ptr.h"
#include "fivefifty/dnsbl.h"
#include "fivefifty/audit.h"
/* sending */
#include "fivefifty/address.h"
#include "fivefifty/compose.h"
#include "fivefifty/smtp.h"
#include "fivefifty/config.h"
#include "fivefifty/policy.h"
#include "fivefifty/store.h"
#include "fivefifty/suppress.h"
#include "fivefifty/queue.h"
#include "fivefifty/ingest.h"

#define FF_VERSION "0.1.0"

#endif
