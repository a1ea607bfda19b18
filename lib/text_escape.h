/*
 * text_escape.h: quote text that came from outside (a file, the command
 * line, standard input) back in a message, safely.
 *
 * A message goes to a terminal, to syslog and to the journal. Bytes taken
 * verbatim from hostile input could move the cursor, recolour or clear the
 * screen (ESC sequences), forge a second log line (a newline) or cut the
 * line short (a NUL in a length-delimited log): so every program of havm
 * (havmd, havm, fence_havm_ipmi) quotes such text through text_escape(),
 * one rule everywhere.
 *
 * The rule: printable ASCII (0x20 to 0x7e) is copied, except '"' and '\\',
 * which get a backslash, so that the text can sit between double quotes
 * without ending them. Every other byte (controls, DEL, and bytes of 0x80
 * and up: C1 controls are read as such by some terminals, and a message is
 * no place to guess at an encoding) becomes \xNN, lower-case hex.
 *
 * Pure function, no I/O, no allocation: unit tested in
 * tests/unit/test_text_escape.c.
 */
#ifndef HAVM_TEXT_ESCAPE_H
#define HAVM_TEXT_ESCAPE_H

#include <stddef.h>

/* A buffer that holds MAX input bytes however they escape, "..." and NUL. */
#define TEXT_ESCAPE_SIZE(max) ((max) * 4 + 4)

/*
 * Write the escaped form of at most MAX bytes of the NUL-terminated string
 * S into BUF (SIZE bytes) and return BUF. The output is always
 * NUL-terminated (for SIZE >= 1) and never cuts an escape in half; when
 * not all of S fits (more than MAX bytes, or BUF too small) it ends in
 * "...", so that nobody takes it for the whole text. A BUF of
 * TEXT_ESCAPE_SIZE(MAX) bytes always holds MAX bytes of input.
 */
const char *text_escape(char *buf, size_t size, const char *s, size_t max);

/*
 * The same, except that '"' and '\\' are copied: for a whole message whose
 * own quoting the caller did (each untrusted value in it through
 * text_escape), such as an event's key=value text (daemon/events.h). Every
 * byte outside printable ASCII still becomes \xNN, so the result is safe
 * on a terminal, in syslog and on the wire whatever the message holds.
 */
const char *text_escape_controls(char *buf, size_t size, const char *s, size_t max);

#endif
