/* alerts_snmp.c: see alerts_snmp.h. */
#include "alerts_snmp.h"
#include "secret_file.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* USM keys are made from passwords of at least 8 characters (RFC 3414). */
#define SECRET_MAX 256

/* HAVM-MIB: enterprises.99999 ... (conf/HAVM-MIB.txt). */
#define HAVM_MIB 1, 3, 6, 1, 4, 1, HAVM_MIB_ENTERPRISE
static const oid oid_sys_uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid oid_trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
static const oid oid_notification[] = { HAVM_MIB, 0, 1 };
/* havmObjects.N.0: the objects are scalars (accessible-for-notify). */
enum { OBJ_TYPE = 1, OBJ_SEVERITY, OBJ_NODE, OBJ_NODEID, OBJ_VM, OBJ_DESC, OBJ_TIMESTAMP,
       OBJ_SEQUENCE, OBJ_CLUSTER, OBJ_FROM };

size_t alert_snmp_engine_id(uint32_t nodeid, const char *cluster, uint8_t *id, char *hex,
			    size_t hexlen)
{
	char text[sizeof("havm-4294967295-") + HAVM_NAME_MAX];
	size_t len = 5, n;

	id[0] = 0x80 | ((HAVM_MIB_ENTERPRISE >> 24) & 0x7f);
	id[1] = (HAVM_MIB_ENTERPRISE >> 16) & 0xff;
	id[2] = (HAVM_MIB_ENTERPRISE >> 8) & 0xff;
	id[3] = HAVM_MIB_ENTERPRISE & 0xff;
	id[4] = 4; /* text, administratively assigned */
	snprintf(text, sizeof(text), "havm-%u-%s", nodeid, cluster);
	n = strnlen(text, ALERT_SNMP_ENGINE_ID_MAX - len);
	memcpy(id + len, text, n);
	len += n;
	if (hex && hexlen >= 2 * len + 3) {
		hex[0] = '0';
		hex[1] = 'x';
		for (size_t i = 0; i < len; i++)
			snprintf(hex + 2 + 2 * i, 3, "%02x", id[i]);
	}
	return len;
}

/* DateAndTime (SNMPv2-TC), 11 octets, UTC. */
static void date_and_time(uint64_t ms, uint8_t out[11])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	unsigned year;

	gmtime_r(&secs, &tm);
	year = (unsigned)tm.tm_year + 1900;
	out[0] = (uint8_t)(year >> 8);
	out[1] = (uint8_t)year;
	out[2] = (uint8_t)(tm.tm_mon + 1);
	out[3] = (uint8_t)tm.tm_mday;
	out[4] = (uint8_t)tm.tm_hour;
	out[5] = (uint8_t)tm.tm_min;
	out[6] = (uint8_t)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* a leap second: 60 is not valid */
	out[7] = (uint8_t)((ms % 1000) / 100);
	out[8] = '+';
	out[9] = 0;
	out[10] = 0;
}

static int add_var(netsnmp_pdu *pdu, const oid *name, size_t name_len, u_char type,
		   const void *value, size_t len)
{
	return snmp_pdu_add_variable(pdu, name, name_len, type, value, len) ? 0 : -ENOMEM;
}

static int add_obj(netsnmp_pdu *pdu, unsigned obj, u_char type, const void *value, size_t len)
{
	const oid name[] = { HAVM_MIB, 1, obj, 0 };

	return add_var(pdu, name, OID_LENGTH(name), type, value, len);
}

static int add_str(netsnmp_pdu *pdu, unsigned obj, const char *s)
{
	return add_obj(pdu, obj, ASN_OCTET_STR, s, strlen(s));
}

/* Host uptime, seconds and hundredths: sysUpTime and the USM engine time. */
static uint64_t uptime_cs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 100 + (uint64_t)ts.tv_nsec / 10000000;
}

static netsnmp_pdu *trap_build(const struct alert_snmp_trap *t)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
	long type = (long)t->e.type, severity = (long)t->e.severity;
	u_long nodeid = t->e.nodeid, ticks = (u_long)(uptime_cs() & 0xffffffffu);
	struct counter64 seq = { .high = (u_long)(t->e.seq >> 32),
				 .low = (u_long)(t->e.seq & 0xffffffffu) };
	uint8_t stamp[11];
	int rc = 0;

	if (!pdu)
		return NULL;
	date_and_time(t->e.time_ms, stamp);
	rc |= add_var(pdu, oid_sys_uptime, OID_LENGTH(oid_sys_uptime), ASN_TIMETICKS, &ticks,
		      sizeof(ticks));
	rc |= add_var(pdu, oid_trap_oid, OID_LENGTH(oid_trap_oid), ASN_OBJECT_ID, oid_notification,
		      sizeof(oid_notification));
	rc |= add_obj(pdu, OBJ_TYPE, ASN_INTEGER, &type, sizeof(type));
	rc |= add_obj(pdu, OBJ_SEVERITY, ASN_INTEGER, &severity, sizeof(severity));
	rc |= add_str(pdu, OBJ_NODE, t->e.host);
	rc |= add_obj(pdu, OBJ_NODEID, ASN_UNSIGNED, &nodeid, sizeof(nodeid));
	rc |= add_str(pdu, OBJ_VM, t->e.vm);
	rc |= add_str(pdu, OBJ_DESC, t->e.text);
	rc |= add_obj(pdu, OBJ_TIMESTAMP, ASN_OCTET_STR, stamp, sizeof(stamp));
	rc |= add_obj(pdu, OBJ_SEQUENCE, ASN_COUNTER64, &seq, sizeof(seq));
	rc |= add_str(pdu, OBJ_CLUSTER, t->cluster);
	rc |= add_str(pdu, OBJ_FROM, t->from);
	if (rc) {
		snmp_free_pdu(pdu);
		return NULL;
	}
	return pdu;
}

/* The library as a sender of traps only: no config file, no MIB, no
 * persistent state of its own, no log of its own (errors come back). */
static void lib_init(void)
{
	snmp_disable_log();
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	init_snmp("havmd");
}

/* A USM key from the password in PATH into KEY (*KEY_LEN: in its size, out its length). */
static int usm_key(const char *path, const char *what, u_char *key, size_t *key_len, char *err,
		   size_t errlen)
{
	char pw[SECRET_MAX];
	int rc = secret_file_read(path, what, pw, sizeof(pw), err, errlen);

	if (rc < 0)
		return rc;
	if (strlen(pw) < 8) {
		explicit_bzero(pw, sizeof(pw));
		snprintf(err, errlen, "%s %s holds fewer than 8 characters (SNMPv3's least)", what,
			 path);
		return -EINVAL;
	}
	rc = generate_Ku(usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol), (u_char *)pw,
			 strlen(pw), key, key_len);
	explicit_bzero(pw, sizeof(pw));
	if (rc != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot make a key from %s %s", what, path);
		return -EINVAL;
	}
	return 0;
}

int alert_snmp_send(const struct alert_snmp_trap *t, char *err, size_t errlen)
{
	const struct havm_snmp_receiver *r = &t->rcv;
	char community[SECRET_MAX];
	u_char engine[ALERT_SNMP_ENGINE_ID_MAX];
	netsnmp_session s, *ss;
	netsnmp_transport *tr;
	netsnmp_pdu *pdu;
	int rc = 0;

	lib_init();
	snmp_sess_init(&s);
	s.peername = (char *)r->address;
	community[0] = '\0';
	if (r->version == HAVM_SNMP_V2C) {
		rc = secret_file_read(r->community_file, "community file", community,
				      sizeof(community), err, errlen);
		if (rc < 0)
			return rc;
		s.version = SNMP_VERSION_2c;
		s.community = (u_char *)community;
		s.community_len = strlen(community);
	} else {
		s.version = SNMP_VERSION_3;
		s.securityName = (char *)r->user;
		s.securityNameLen = strlen(r->user);
		s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
		s.securityAuthProto = usmHMACSHA1AuthProtocol;
		s.securityAuthProtoLen = OID_LENGTH(usmHMACSHA1AuthProtocol);
		s.securityAuthKeyLen = USM_AUTH_KU_LEN;
		rc = usm_key(r->auth_password_file, "auth password file", s.securityAuthKey,
			     &s.securityAuthKeyLen, err, errlen);
		if (rc < 0)
			return rc;
		s.securityPrivProto = usmAESPrivProtocol;
		s.securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
		s.securityPrivKeyLen = USM_PRIV_KU_LEN;
		rc = usm_key(r->priv_password_file, "priv password file", s.securityPrivKey,
			     &s.securityPrivKeyLen, err, errlen);
		if (rc < 0)
			return rc;
		/* This host is the authoritative engine of its traps. */
		s.securityEngineIDLen = alert_snmp_engine_id(t->from_nodeid, t->cluster, engine,
							     NULL, 0);
		s.securityEngineID = engine;
		s.contextEngineID = engine;
		s.contextEngineIDLen = s.securityEngineIDLen;
		s.engineBoots = 1;
		s.engineTime = (u_int)(uptime_cs() / 100);
	}
	/* "snmptrap": a receiver address without a port means 162. */
	tr = netsnmp_transport_open_client("snmptrap", r->address);
	if (!tr) {
		explicit_bzero(community, sizeof(community));
		snprintf(err, errlen, "cannot open a UDP socket to %s", r->address);
		return -EHOSTUNREACH;
	}
	ss = snmp_add(&s, tr, NULL, NULL);
	explicit_bzero(community, sizeof(community));
	if (!ss) {
		snprintf(err, errlen, "snmp session: %s", snmp_api_errstring(snmp_errno));
		return -EINVAL;
	}
	pdu = trap_build(t);
	if (!pdu) {
		snmp_close(ss);
		snprintf(err, errlen, "cannot build the trap");
		return -ENOMEM;
	}
	if (!snmp_send(ss, pdu)) {
		int e = ss->s_snmp_errno;

		snmp_free_pdu(pdu);
		snprintf(err, errlen, "send: %s", snmp_api_errstring(e));
		rc = -EIO;
	}
	snmp_close(ss);
	return rc;
}
