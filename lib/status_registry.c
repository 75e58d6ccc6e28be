/* status_registry.c - the IANA "SMTP Enhanced Status Codes" registry, compiled in
 *
 * NAME
 *	ff_status_registry - the Enumerated Status Codes table with its names
 * SYNOPSIS
 *	const ff_status_entry *ff_status_registry(size_t *n);
 * DESCRIPTION
 *	Every row of the IANA registry's "Enumerated Status Codes" table (RFC 5248 set it
 *	up; registry last updated 2024-12-06): X.0.0 through X.7.30. The classifier and
 *	the dashboards show these names next to a code so a person never sees a bare
 *	"5.7.26"; ff_status_lookup() (status.c) finds a row and falls back to the
 *	subject's X.s.0 row for codes the registry does not hold, such as Microsoft's
 *	5.7.515 or 5.7.708, which are provider-specific and not registered.
 *
 *	`name` is the registry's "Sample Text". `reference` names the defining documents.
 *	`classes` is not a registry column: it is read from the registry's "Associated
 *	basic status code" (550 -> 5, 451 -> 4, "Any" -> 245) and, where that says "Not
 *	given", from the RFC's own words ("useful only as a permanent error" -> 5,
 *	"persistent transient" -> 4). Where neither says, a failure condition gets "45"
 *	and an open one "245". It is advice: receivers do send 4.1.2, 5.4.6 or 4.7.26,
 *	so nothing rejects a code whose class is not listed.
 *
 *	Rows are sorted by subject, then detail; status.c relies on nothing but that
 *	every code appears once. Adding a row: keep the order, cite the RFC.
 * DIAGNOSTICS
 *	None; the table is static and read-only.
 */
#include "fivefifty/status.h"

static const ff_status_entry rows[] = {
    /* X.0.x Other or undefined status (RFC 3463 3.1) */
    {"X.0.0", "Other undefined Status", "245", "RFC 3463"},

    /* X.1.x Addressing status (RFC 3463 3.2) */
    {"X.1.0", "Other address status", "245", "RFC 3463"},
    {"X.1.1", "Bad destination mailbox address", "45", "RFC 3463"},
    {"X.1.2", "Bad destination system address", "5", "RFC 3463"},
    {"X.1.3", "Bad destination mailbox address syntax", "5", "RFC 3463"},
    {"X.1.4", "Destination mailbox address ambiguous", "45", "RFC 3463"},
    {"X.1.5", "Destination address valid", "2", "RFC 3463"},
    {"X.1.6", "Destination mailbox has moved, No forwarding address", "5", "RFC 3463"},
    {"X.1.7", "Bad sender's mailbox address syntax", "45", "RFC 3463"},
    {"X.1.8", "Bad sender's system address", "45", "RFC 3463"},
    {"X.1.9", "Message relayed to non-compliant mailer", "245", "RFC 3886"},
    {"X.1.10", "Recipient address has null MX", "5", "RFC 7505, RFC 7504"},

    /* X.2.x Mailbox status (RFC 3463 3.3) */
    {"X.2.0", "Other or undefined mailbox status", "245", "RFC 3463"},
    {"X.2.1", "Mailbox disabled, not accepting messages", "45", "RFC 3463"},
    /* associated with 552, yet RFC 3463 says to use it as a persistent transient */
    {"X.2.2", "Mailbox full", "45", "RFC 3463"},
    {"X.2.3", "Message length exceeds administrative limit", "5", "RFC 3463"},
    {"X.2.4", "Mailing list expansion problem", "45", "RFC 3463"},

    /* X.3.x Mail system status (RFC 3463 3.4) */
    {"X.3.0", "Other or undefined mail system status", "245", "RFC 3463"},
    {"X.3.1", "Mail system full", "4", "RFC 3463"},
    {"X.3.2", "System not accepting network messages", "45", "RFC 3463, RFC 7504"},
    {"X.3.3", "System not capable of selected features", "45", "RFC 3463"},
    {"X.3.4", "Message too big for system", "5", "RFC 3463"},
    {"X.3.5", "System incorrectly configured", "45", "RFC 3463"},
    {"X.3.6", "Requested priority was changed", "2", "RFC 6710"},

    /* X.4.x Network and routing status (RFC 3463 3.5) */
    {"X.4.0", "Other or undefined network or routing status", "245", "RFC 3463"},
    {"X.4.1", "No answer from host", "4", "RFC 3463"},
    {"X.4.2", "Bad connection", "4", "RFC 3463"},
    {"X.4.3", "Directory server failure", "45", "RFC 3463"},
    {"X.4.4", "Unable to route", "45", "RFC 3463"},
    {"X.4.5", "Mail system congestion", "4", "RFC 3463"},
    {"X.4.6", "Routing loop detected", "4", "RFC 3463"},
    {"X.4.7", "Delivery time expired", "45", "RFC 3463"},

    /* X.5.x Mail delivery protocol status (RFC 3463 3.6) */
    {"X.5.0", "Other or undefined protocol status", "245", "RFC 3463"},
    {"X.5.1", "Invalid command", "45", "RFC 3463"},
    {"X.5.2", "Syntax error", "5", "RFC 3463"},
    {"X.5.3", "Too many recipients", "45", "RFC 3463"},
    {"X.5.4", "Invalid command arguments", "45", "RFC 3463"},
    {"X.5.5", "Wrong protocol version", "45", "RFC 3463"},
    {"X.5.6", "Authentication Exchange line is too long", "45", "RFC 4954"},

    /* X.6.x Message content or media status (RFC 3463 3.7) */
    {"X.6.0", "Other or undefined media error", "45", "RFC 3463"},
    {"X.6.1", "Media not supported", "5", "RFC 3463"},
    {"X.6.2", "Conversion required and prohibited", "45", "RFC 3463"},
    {"X.6.3", "Conversion required but not supported", "5", "RFC 3463"},
    /* a warning on success, or a permanent error when loss was prohibited */
    {"X.6.4", "Conversion with loss performed", "25", "RFC 3463"},
    {"X.6.5", "Conversion Failed", "45", "RFC 3463"},
    {"X.6.6", "Message content not available", "45", "RFC 4468"},
    {"X.6.7", "Non-ASCII addresses not permitted for that sender/recipient", "5",
     "RFC 6531"},
    {"X.6.8", "UTF-8 string reply is required, but not permitted by the SMTP client", "25",
     "RFC 6531"},
    {"X.6.9",
     "UTF-8 header message cannot be transferred to one or more recipients, so the "
     "message must be rejected",
     "5", "RFC 6531"},
    /* the registry leaves the sample text empty: X.6.10 was registered twice for X.6.8 */
    {"X.6.10", "Deprecated duplicate of X.6.8", "25", "RFC 6531"},

    /* X.7.x Security or policy status (RFC 3463 3.8) */
    {"X.7.0", "Other or undefined security status", "245", "RFC 3463"},
    {"X.7.1", "Delivery not authorized, message refused", "45", "RFC 3463"},
    {"X.7.2", "Mailing list expansion prohibited", "5", "RFC 3463"},
    {"X.7.3", "Security conversion required but not possible", "5", "RFC 3463"},
    {"X.7.4", "Security features not supported", "5", "RFC 3463"},
    {"X.7.5", "Cryptographic failure", "45", "RFC 3463"},
    {"X.7.6", "Cryptographic algorithm not supported", "45", "RFC 3463"},
    {"X.7.7", "Message integrity failure", "245", "RFC 3463"},
    {"X.7.8", "Authentication credentials invalid", "5", "RFC 4954"},
    {"X.7.9", "Authentication mechanism is too weak", "5", "RFC 4954"},
    {"X.7.10", "Encryption Needed", "5", "RFC 5248"},
    {"X.7.11", "Encryption required for requested authentication mechanism", "5",
     "RFC 4954"},
    {"X.7.12", "A password transition is needed", "4", "RFC 4954"},
    {"X.7.13", "User Account Disabled", "5", "RFC 5248"},
    {"X.7.14", "Trust relationship required", "5", "RFC 5248"},
    {"X.7.15", "Priority Level is too low", "45", "RFC 6710"},
    {"X.7.16", "Message is too big for the specified priority", "45", "RFC 6710"},
    {"X.7.17", "Mailbox owner has changed", "5", "RFC 7293"},
    {"X.7.18", "Domain owner has changed", "5", "RFC 7293"},
    {"X.7.19", "RRVS test cannot be completed", "5", "RFC 7293"},
    {"X.7.20", "No passing DKIM signature found", "5", "RFC 7372, RFC 6376"},
    {"X.7.21", "No acceptable DKIM signature found", "5", "RFC 7372, RFC 6376"},
    {"X.7.22", "No valid author-matched DKIM signature found", "5", "RFC 7372, RFC 6376"},
    {"X.7.23", "SPF validation failed", "5", "RFC 7372, RFC 7208"},
    {"X.7.24", "SPF validation error", "45", "RFC 7372, RFC 7208"},
    {"X.7.25", "Reverse DNS validation failed", "5", "RFC 7372, RFC 7601"},
    {"X.7.26", "Multiple authentication checks failed", "5", "RFC 7372"},
    {"X.7.27", "Sender address has null MX", "5", "RFC 7505"},
    /* no basic code registered; Gmail sends it as 421 4.7.28 and 550 5.7.28 */
    {"X.7.28", "Mail flood detected", "45", "draft-levine-mailbomb-header"},
    {"X.7.29", "ARC validation failure", "5", "RFC 8617"},
    {"X.7.30", "REQUIRETLS support required", "5", "RFC 8689"},
};

const ff_status_entry *ff_status_registry(size_t *n)
{
    if (n != NULL)
        *n = sizeof rows / sizeof rows[0];
    return rows;
}
