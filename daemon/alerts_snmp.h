/*
 * alerts_snmp.h: an event as one SNMP trap (HAVM-MIB's
 * havmEventNotification, conf/HAVM-MIB.txt) to one receiver of
 * alerts.snmp, sent with net-snmp's library.
 *
 * alert_snmp_send runs in a worker child (daemon/alerts.c starts it like
 * an alert script): it reads the receiver's secret files, builds the trap
 * and sends one UDP datagram. No answer is waited for (a trap, not an
 * inform), so a dead receiver costs that one send and nothing else, and
 * the loop never waits even for that.
 *
 * SNMPv3 traps come from this host's own engine (it is authoritative for
 * them): its engine ID is alert_snmp_engine_id's, which a receiver needs
 * to know (snmptrapd.conf: createUser -e ENGINEID USER SHA ... AES ...).
 */
#ifndef HAVMD_ALERTS_SNMP_H
#define HAVMD_ALERTS_SNMP_H

#include "config.h"
#include "event_ring.h"

#include <stddef.h>
#include <stdint.h>

/* HAVM-MIB's enterprise number: a placeholder, see conf/HAVM-MIB.txt. */
#define HAVM_MIB_ENTERPRISE 99999

/* The engine ID's most bytes (RFC 3411 SnmpEngineID: 5..32 octets). */
#define ALERT_SNMP_ENGINE_ID_MAX 32

/* One trap to send: copies, since the child reads them after havmd moved on. */
struct alert_snmp_trap {
	struct havm_snmp_receiver rcv;
	struct event_rec e;
	char cluster[HAVM_NAME_MAX + 1];
	char from[HAVM_NAME_MAX + 1];
	uint32_t from_nodeid;
};

/*
 * This host's SNMP engine ID into ID (ALERT_SNMP_ENGINE_ID_MAX bytes);
 * returns its length. RFC 3411's text format under HAVM-MIB's enterprise:
 * 0x80 0x01 0x86 0x9F (enterprise 99999, high bit set), 0x04 (text), then
 * "havm-NODEID-CLUSTER", the cluster's name cut to fit 32 bytes in all;
 * unique per host of a cluster and per cluster name. HEX (at least
 * 2 * ALERT_SNMP_ENGINE_ID_MAX + 3 bytes), if not NULL, gets "0x8001869f04...".
 */
size_t alert_snmp_engine_id(uint32_t nodeid, const char *cluster, uint8_t *id, char *hex,
			    size_t hexlen);

/* In a worker child: send T. 0, or -errno with a message in ERR. */
int alert_snmp_send(const struct alert_snmp_trap *t, char *err, size_t errlen);

#endif
