/* address.h - mail addresses: syntax and the one normal form fivefifty stores
 *
 * ff_address_normalize() checks an address (RFC 5321 Mailbox, RFC 6531 UTF-8 local parts)
 * and writes its normal form: "<>" and display names removed, the domain lower-cased and,
 * when internationalised, converted to A-labels (IDNA 2008, libidn2), so "Ana@Bücher.de"
 * and "Ana@xn--bcher-kva.de" are one suppression entry. The local part is kept as given:
 * RFC 5321 2.4 lets only the receiving domain decide whether case matters.
 *
 * CR, LF and NUL are refused anywhere, as are addresses over 254 octets (RFC 5321 4.5.3.1).
 */
#ifndef FIVEFIFTY_ADDRESS_H
#define FIVEFIFTY_ADDRESS_H

#include <stddef.h>

#include "fivefifty/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FF_ADDRESS_MAX 320

/* ff_address_normalize() writes the normal form of `in` into out (FF_ADDRESS_MAX bytes).
 * Returns FF_OK or FF_EINVAL (err says what is wrong). */
ff_status ff_address_normalize(const char *in, char out[FF_ADDRESS_MAX], ff_error *err);

/* ff_address_domain() returns the domain part of a normalised address (borrowed), or NULL. */
const char *ff_address_domain(const char *addr);

#ifdef __cplusplus
}
#endif
#endif
