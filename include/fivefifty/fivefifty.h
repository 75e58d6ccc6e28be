/* fivefifty.h - the whole public API of libfivefifty
 *
 * Include this one header, or the module headers you need. Link with
 * `pkg-config --libs fivefifty`.
 */
#ifndef FIVEFIFTY_H
#define FIVEFIFTY_H

#include "fivefifty/error.h"
#include "fivefifty/status.h"
#include "fivefifty/reply.h"
#include "fivefifty/classify.h"
#include "fivefifty/rules.h"
#include "fivefifty/decode.h"
#include "fivefifty/mbox.h"

#define FF_VERSION "0.1.0"

#endif
