/*
 * secret_file.h: read a password (or any one-line secret) from a file that
 * only its owner can read.
 *
 * A secret in a file anyone can read is no secret, and one in a file that
 * others can write lets them choose it; so the file must be a regular file
 * owned by root or by the user reading it, with no permission bit for group
 * or others (chmod 600 or 400). The check is made on the opened file, so
 * a rename or symlink swap between check and read changes nothing.
 *
 * The path may be a symbolic link (a chain of at most 8), as with sshd's
 * StrictModes: each link must be owned by root or by the user reading it,
 * since a link's owner can point it at any file at any time, and then its
 * target is checked as above. Links among the directories above the file
 * are followed as usual.
 *
 * Contents: the secret, optionally followed by one newline ("\n" or
 * "\r\n"). A second line, a NUL byte or an empty secret is an error: each
 * is far more likely a wrong file than a wanted secret.
 */
#ifndef HAVM_FENCE_SECRET_FILE_H
#define HAVM_FENCE_SECRET_FILE_H

#include <stddef.h>

/*
 * Read the secret in PATH into BUF (SIZE bytes, so at most SIZE - 1 bytes
 * of secret). WHAT names the file in messages ("password file"). Returns 0,
 * or -errno with a message in ERR naming PATH and what to do:
 *   -EACCES  group or others may read, write or execute it ("password file
 *            /etc/x is readable by others: chmod 600 /etc/x"), or it is
 *            owned by someone else, or so is a symbolic link on the way
 *   -ELOOP   more than 8 symbolic links, or a loop
 *   -EINVAL  not a regular file, empty, more than one line, a NUL byte
 *   -EMSGSIZE the secret is longer than SIZE - 1 bytes
 *   other    open or read failed (-ENOENT ...)
 * BUF is cleared on error. The caller should explicit_bzero it after use.
 */
int secret_file_read(const char *path, const char *what, char *buf, size_t size, char *err,
		     size_t errlen);

#endif
