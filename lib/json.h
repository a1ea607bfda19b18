/*
 * json.h: the little JSON the CLI writes (`--json`). Only output, so only
 * string escaping is needed; numbers and literals are printed directly.
 */
#ifndef HAVM_JSON_H
#define HAVM_JSON_H

#include <stdio.h>

/* Write S as a quoted JSON string with RFC 8259 escapes. */
void json_put_string(FILE *f, const char *s);

#endif
