/*
 * cli_json.h: reading havmd's JSON documents. A missing key, or one of
 * another type, reads as "", 0, false or NULL: the documents are havmd's
 * own, and a command prints what it has rather than stop on a field an
 * older havmd lacks.
 */
#ifndef HAVM_CLI_JSON_H
#define HAVM_CLI_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

static inline json_object *jget(json_object *o, const char *k)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, k, &v);
	return v;
}

static inline const char *jstr(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static inline int64_t jint(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v ? json_object_get_int64(v) : 0;
}

static inline bool jbool(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v && json_object_get_boolean(v);
}

#endif
