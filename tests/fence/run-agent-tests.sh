#!/bin/bash
# run-agent-tests.sh -- fence_havm_ipmi against a real simulated BMC.
#
# Starts its own OpenIPMI ipmi_sim on 127.0.0.1 (loopback only, never any
# other address) at a random free UDP port, with a chassis_control script
# that keeps the "host's" power state in a file, and runs the agent as
# Pacemaker and a person would: every action, stdin and command line,
# wrong credentials, an unreachable port, a BMC that refuses or lies, the
# password file checks, and the metadata against fence-agents' schema.
# The library calls under it (fence/ipmi.h, fence/secret_file.h) are run
# through tests/fence/ipmi_call, which prints the -errno each returns, so
# the exact errors are asserted too. Then it measures how long status and a
# verified off take, in the library and through the whole agent.
#
# Prints PASS:/FAIL: lines and "agent: N passed, M failed"; exits 1 if any
# failed. Needs no root. ipmi_sim (openipmi), xmllint (libxml2-utils) and
# fence-agents' metadata.rng are required: missing ones FAIL, naming the
# package, rather than skip.
#
# AGENT and IPMI_CALL override the binaries. By default it is fence/fence_havm_ipmi of the
# build tree (the working directory under `make check`, else the tree this
# script sits in). LATENCY_RUNS sets the number of timed runs (default 20).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${AGENT:-}" ]; then
	if [ -n "${srcdir:-}" ] && [ -x fence/fence_havm_ipmi ]; then
		AGENT=$PWD/fence/fence_havm_ipmi
	else
		AGENT=$root/fence/fence_havm_ipmi
	fi
fi
if [ -z "${IPMI_CALL:-}" ]; then
	if [ -n "${srcdir:-}" ] && [ -x tests/fence/ipmi_call ]; then
		IPMI_CALL=$PWD/tests/fence/ipmi_call
	else
		IPMI_CALL=$root/tests/fence/ipmi_call
	fi
fi
RNG=${RNG:-/usr/share/cluster/relaxng/metadata.rng}
LATENCY_RUNS=${LATENCY_RUNS:-20}

passed=0
failed=0
pass() {
	echo "PASS: $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL: $1"
	failed=$((failed + 1))
}
finish() {
	echo "agent: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}

for bin in "$AGENT" "$IPMI_CALL"; do
	if [ ! -x "$bin" ]; then
		echo "agent: $bin not found or not executable: build it first (make check) or set" \
			"AGENT / IPMI_CALL" >&2
		exit 99
	fi
done
for tool in ipmi_sim:openipmi ss:iproute2; do
	if ! command -v "${tool%%:*}" >/dev/null; then
		fail "${tool%%:*} not found: install it (apt-get install ${tool#*:})"
		finish
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/havm-fence.XXXXXX") || exit 99
sim_pid=
cleanup() {
	# Only the ipmi_sim this script started, by its pid.
	if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
		kill "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- the simulated BMC -------------------------------------------------

# The chassis: power state in $tmp/power (1 or 0), every call in
# $tmp/chassis.log. Faults, by file: $tmp/refuse makes every "set" fail
# (ipmi_sim then answers completion code 0xff); $tmp/stuck makes "set power
# 0" succeed without the power going off (a BMC that lies).
cat >"$tmp/chassis.sh" <<'EOF'
#!/bin/sh
dir=$(dirname "$0")
echo "$*" >>"$dir/chassis.log"
[ "$1" = 0x20 ] || { echo "unknown device $1"; exit 1; }
op=$2
shift 2
case $op in
get)
	for p in "$@"; do
		case $p in
		power) echo "power:$(cat "$dir/power")" ;;
		*) echo "cannot get $p"; exit 1 ;;
		esac
	done
	;;
set)
	[ -f "$dir/refuse" ] && { echo "refused"; exit 1; }
	while [ $# -ge 2 ]; do
		case $1 in
		power)
			if [ "$2" = 0 ] && [ -f "$dir/stuck" ]; then :; else echo "$2" >"$dir/power"; fi
			;;
		reset) ;;
		*) echo "cannot set $1"; exit 1 ;;
		esac
		shift 2
	done
	;;
*) echo "unknown operation $op"; exit 1 ;;
esac
exit 0
EOF
chmod 700 "$tmp/chassis.sh"
echo 1 >"$tmp/power"

cat >"$tmp/emu.cmd" <<'EOF'
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
EOF

# A free UDP port on 127.0.0.1, not the one in $1 (if given).
free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		[ "$p" = "${1:-}" ] && continue
		[ -z "$(ss -Hlun "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return 0; }
	done
	return 1
}

# Start ipmi_sim; a port taken between the check and the bind means another try.
start_sim() {
	local try i
	for try in 1 2 3 4 5; do
		PORT=$(free_port) || return 1
		cat >"$tmp/lan.conf" <<EOF
name "havmtest"
startlan 1
  addr 127.0.0.1 $PORT
  priv_limit admin
  allowed_auths_callback none
  allowed_auths_user md2 md5 straight
  allowed_auths_operator md2 md5 straight
  allowed_auths_admin md2 md5 straight
  guid a123456789abcdefa123456789abcdef
endlan
chassis_control "$tmp/chassis.sh 0x20"
user 2 true "admin" "secret" admin 10 none md2 md5 straight
user 3 true "viewer" "vsecret" user 10 none md2 md5 straight
EOF
		chmod 600 "$tmp/lan.conf"
		mkdir -p "$tmp/state"
		ipmi_sim -c "$tmp/lan.conf" -f "$tmp/emu.cmd" -s "$tmp/state" -n \
			</dev/null >"$tmp/ipmi_sim.log" 2>&1 &
		sim_pid=$!
		for i in $(seq 1 50); do
			kill -0 "$sim_pid" 2>/dev/null || break
			if [ -n "$(ss -Hlun "sport = :$PORT" 2>/dev/null)" ]; then
				return 0
			fi
			sleep 0.1
		done
		kill "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
		sim_pid=
	done
	return 1
}

if ! start_sim; then
	fail "ipmi_sim did not start on 127.0.0.1: $(tail -3 "$tmp/ipmi_sim.log" 2>/dev/null)"
	finish
fi
echo "agent: ipmi_sim pid $sim_pid on 127.0.0.1:$PORT, agent $AGENT"

# ---- helpers -------------------------------------------------------------

# run ARGS...: the agent with ARGS, stdin from /dev/null; sets rc, out, err, ms.
run() {
	local t0 t1
	t0=$(date +%s%N)
	"$AGENT" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# run_stdin TEXT: the agent with no arguments and TEXT on stdin.
run_stdin() {
	local t0 t1
	t0=$(date +%s%N)
	printf '%s' "$1" | "$AGENT" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# expect NAME RC [STDOUT-SUBSTRING [STDERR-SUBSTRING]]
expect() {
	local name=$1 want_rc=$2 want_out=${3:-} want_err=${4:-}
	if [ "$rc" != "$want_rc" ]; then
		fail "$name: exit $rc, want $want_rc (stdout: $out) (stderr: $err)"
	elif [ -n "$want_out" ] && [[ $out != *"$want_out"* ]]; then
		fail "$name: stdout lacks \"$want_out\": $out"
	elif [ -n "$want_err" ] && [[ $err != *"$want_err"* ]]; then
		fail "$name: stderr lacks \"$want_err\": $err"
	else
		pass "$name"
	fi
}

power() { cat "$tmp/power"; }
set_power() { echo "$1" >"$tmp/power"; }

BMC=(-a 127.0.0.1 -u "$PORT" -l admin -p secret)

# call EXPECTED-RC NAME ARGS...: ipmi_call ARGS; its rc= line must be EXPECTED-RC.
call() {
	local want=$1 name=$2
	shift 2
	out=$("$IPMI_CALL" "$@" 2>&1)
	if [[ $out == *"rc=$want"$'\n'* || $out == *"rc=$want" ]]; then
		pass "$name"
	else
		fail "$name: want rc=$want, got: $(echo "$out" | tr '\n' ' ')"
	fi
}
LIB=(-u admin -p secret)

# ---- library calls: exact errors ------------------------------------------

set_power 1
call OK "lib: power_status: 0" "${LIB[@]}" 127.0.0.1 "$PORT" status
[[ $out == *"on=1"* ]] && pass "lib: power_status reads on" || fail "lib: status: $out"
call OK "lib: power_set off: 0" "${LIB[@]}" 127.0.0.1 "$PORT" off
[ "$(power)" = 0 ] && pass "lib: power_set off: the chassis is off" || fail "lib: power $(power)"
call OK "lib: power_status of an off host: 0" "${LIB[@]}" 127.0.0.1 "$PORT" status
[[ $out == *"on=0"* ]] && pass "lib: power_status reads off" || fail "lib: status: $out"
call OK "lib: power_set on: 0" "${LIB[@]}" 127.0.0.1 "$PORT" on
[ "$(power)" = 1 ] && pass "lib: power_set on: the chassis is on" || fail "lib: power $(power)"
call OK "lib: power_set cycle: 0" "${LIB[@]}" 127.0.0.1 "$PORT" cycle
call OK "lib: power_set reset: 0" "${LIB[@]}" 127.0.0.1 "$PORT" reset
set_power 1
call OK "lib: off_verified: 0" "${LIB[@]}" 127.0.0.1 "$PORT" off-verified 2000 50
[ "$(power)" = 0 ] && pass "lib: off_verified: the chassis is off" || fail "lib: power $(power)"
call OK "lib: power_verified on: 0" "${LIB[@]}" 127.0.0.1 "$PORT" on-verified 2000 50
call EACCES "lib: wrong password: -EACCES" -u admin -p wrong 127.0.0.1 "$PORT" status
call EACCES "lib: unknown user: -EACCES" -u nobody -p secret 127.0.0.1 "$PORT" off-verified 1000 50
call EPERM "lib: privilege user, power off: -EPERM" -u viewer -p vsecret -L 2 127.0.0.1 "$PORT" off
call EPERM "lib: privilege user, off_verified: -EPERM" -u viewer -p vsecret -L 2 \
	127.0.0.1 "$PORT" off-verified 1000 50
[ "$(power)" = 1 ] && pass "lib: refused calls leave the power alone" || fail "lib: power $(power)"
dead=$(free_port "$PORT")
call ETIMEDOUT "lib: nothing at the port: -ETIMEDOUT" -t 300 "${LIB[@]}" 127.0.0.1 "$dead" status
call ETIMEDOUT "lib: nothing at the port, off_verified: -ETIMEDOUT" -t 300 "${LIB[@]}" \
	127.0.0.1 "$dead" off-verified 1000 50
touch "$tmp/stuck"
call ETIMEDOUT "lib: off accepted, power stays on: off_verified -ETIMEDOUT" "${LIB[@]}" \
	127.0.0.1 "$PORT" off-verified 300 50
rm -f "$tmp/stuck"
touch "$tmp/refuse"
call EREMOTEIO "lib: the BMC refuses off: power_set -EREMOTEIO" "${LIB[@]}" 127.0.0.1 "$PORT" off
call EREMOTEIO "lib: the BMC refuses off, host on: off_verified -EREMOTEIO" "${LIB[@]}" \
	127.0.0.1 "$PORT" off-verified 300 50
set_power 0
call OK "lib: the BMC refuses off, host already off: off_verified 0" "${LIB[@]}" \
	127.0.0.1 "$PORT" off-verified 300 50
rm -f "$tmp/refuse"
set_power 1
call EINVAL "lib: timeout below 100 ms: -EINVAL" -t 50 "${LIB[@]}" 127.0.0.1 "$PORT" status
call EINVAL "lib: cipher suite 4: -EINVAL" -C 4 "${LIB[@]}" 127.0.0.1 "$PORT" status
call EINVAL "lib: privilege 7: -EINVAL" -L 7 "${LIB[@]}" 127.0.0.1 "$PORT" status
call EINVAL "lib: bracketed IPv6 address: -EINVAL" "${LIB[@]}" "[::1]" "$PORT" status
call EINVAL "lib: 17-byte user name: -EINVAL" -u seventeen_chars_x -p x 127.0.0.1 "$PORT" status
call EINVAL "lib: 21-byte password: -EINVAL" -u admin -p twenty_one_characters 127.0.0.1 \
	"$PORT" status
call EINVAL "lib: poll interval 5 ms: -EINVAL" "${LIB[@]}" 127.0.0.1 "$PORT" off-verified 1000 5
[ "$(power)" = 1 ] && pass "lib: invalid calls leave the power alone" || fail "lib: power $(power)"

sf=$tmp/secret
printf 'secret\n' >"$sf"
chmod 644 "$sf"
call EACCES "secret_file: mode 644: -EACCES" secret "$sf"
[[ $out == *"is readable by others: chmod 600 $sf"* ]] && pass "secret_file: says chmod 600" ||
	fail "secret_file: message: $out"
chmod 640 "$sf"
call EACCES "secret_file: mode 640: -EACCES" secret "$sf"
chmod 602 "$sf"
call EACCES "secret_file: mode 602: -EACCES" secret "$sf"
chmod 600 "$sf"
call OK "secret_file: mode 600: 0" secret "$sf"
[[ $out == *"secret=secret"* ]] && pass "secret_file: reads the secret without its newline" ||
	fail "secret_file: $out"
chmod 400 "$sf"
call OK "secret_file: mode 400: 0" secret "$sf"
printf 'secret\r\n' >"$tmp/crlf" && chmod 600 "$tmp/crlf"
call OK "secret_file: CRLF line end: 0" secret "$tmp/crlf"
[[ $out == *"secret=secret"* ]] && pass "secret_file: CRLF stripped" || fail "secret_file: $out"
printf '12345678901234567890' >"$tmp/fits" && chmod 600 "$tmp/fits"
call OK "secret_file: 20 bytes, no newline, in 21: 0" secret "$tmp/fits"
printf '123456789012345678901\n' >"$tmp/long" && chmod 600 "$tmp/long"
call EMSGSIZE "secret_file: 21 bytes in 21: -EMSGSIZE" secret "$tmp/long"
: >"$tmp/empty" && chmod 600 "$tmp/empty"
call EINVAL "secret_file: empty: -EINVAL" secret "$tmp/empty"
printf 'a\nb\n' >"$tmp/two" && chmod 600 "$tmp/two"
call EINVAL "secret_file: two lines: -EINVAL" secret "$tmp/two"
printf 'a\0b\n' >"$tmp/nul" && chmod 600 "$tmp/nul"
call EINVAL "secret_file: NUL byte: -EINVAL" secret "$tmp/nul"
mkdir -m 700 "$tmp/dir"
call EINVAL "secret_file: a directory: -EINVAL" secret "$tmp/dir"
call ENOENT "secret_file: missing: -ENOENT" secret "$tmp/missing"
mkfifo -m 600 "$tmp/fifo"
t0=$(date +%s%N)
call EINVAL "secret_file: a FIFO: -EINVAL" secret "$tmp/fifo"
[ $((($(date +%s%N) - t0) / 1000000)) -lt 2000 ] && pass "secret_file: a FIFO is refused at once" ||
	fail "secret_file: a FIFO took more than 2 s"

# Symbolic links, sshd-style: a link owned by root or by the reader leads
# to the file, which is then checked like any; a link owned by anyone else
# is refused, wherever it is in the chain, since its owner can point it at
# any file.
printf 'secret\n' >"$tmp/real" && chmod 600 "$tmp/real"
ln -s "$tmp/real" "$tmp/link"
call OK "secret_file: our link to a mode 600 file: 0" secret "$tmp/link"
[[ $out == *"secret=secret"* ]] && pass "secret_file: reads the secret through our link" ||
	fail "secret_file: through a link: $out"
ln -s real "$tmp/rel-link"
call OK "secret_file: our link with a relative target: 0" secret "$tmp/rel-link"
mkdir -m 700 "$tmp/sub"
ln -s ../real "$tmp/sub/up-link"
call OK "secret_file: a relative target from another directory: 0" secret "$tmp/sub/up-link"
ln -s "$tmp/link" "$tmp/link2"
call OK "secret_file: a chain of two of our links: 0" secret "$tmp/link2"
printf 'secret\n' >"$tmp/open" && chmod 644 "$tmp/open"
ln -s "$tmp/open" "$tmp/link-open"
call EACCES "secret_file: our link to a mode 644 file: -EACCES" secret "$tmp/link-open"
[[ $out == *"$tmp/link-open (a symbolic link to $tmp/open) is readable by others: chmod 600 $tmp/open"* ]] &&
	pass "secret_file: names the link and its target" || fail "secret_file: message: $out"
ln -s "$tmp/missing" "$tmp/dangling"
call ENOENT "secret_file: a dangling link: -ENOENT" secret "$tmp/dangling"
ln -s "$tmp/loop" "$tmp/loop"
call ELOOP "secret_file: a link to itself: -ELOOP" secret "$tmp/loop"
ln -s "$tmp/dir" "$tmp/link-dir"
call EINVAL "secret_file: a link to a directory: -EINVAL" secret "$tmp/link-dir"
ln -s "$tmp/fifo" "$tmp/link-fifo"
call EINVAL "secret_file: a link to a FIFO: -EINVAL" secret "$tmp/link-fifo"
if [ "$(id -u)" = 0 ]; then
	# nobody (65534) stands for any other user.
	ln -s "$tmp/real" "$tmp/their-link" && chown -h 65534 "$tmp/their-link"
	call EACCES "secret_file: another user's link to a mode 600 file: -EACCES" \
		secret "$tmp/their-link"
	[[ $out == *"the symbolic link $tmp/their-link is owned by uid 65534"* ]] &&
		pass "secret_file: says whose link it is" || fail "secret_file: message: $out"
	ln -s "$tmp/their-link" "$tmp/our-link-to-theirs"
	call EACCES "secret_file: our link to another user's link: -EACCES" \
		secret "$tmp/our-link-to-theirs"
	[[ $out == *"the symbolic link $tmp/their-link is owned by uid 65534"* ]] &&
		pass "secret_file: names the link in the chain that is not ours" ||
		fail "secret_file: message: $out"
	cp -p "$tmp/real" "$tmp/their-file" && chown 65534 "$tmp/their-file"
	ln -s "$tmp/their-file" "$tmp/link-their-file"
	call EACCES "secret_file: our link to another user's mode 600 file: -EACCES" \
		secret "$tmp/link-their-file"
	ln -s "$tmp/real" "$tmp/root-link"
	call OK "secret_file: root's link to a mode 600 file: 0" secret "$tmp/root-link"
else
	echo "SKIP: secret_file: links owned by another user (not counted): chown needs root"
fi

# ---- actions ---------------------------------------------------------------

set_power 1
run "${BMC[@]}" -o status
expect "status of a host that is on: exit 0" 0 "Status: ON"

run "${BMC[@]}" -o off
expect "off: exit 0" 0 "Success: Powered OFF"
[ "$(power)" = 0 ] && pass "off: the chassis is off" || fail "off: chassis power is $(power)"

run "${BMC[@]}" -o status
expect "status of a host that is off: exit 2" 2 "Status: OFF"

run "${BMC[@]}" -o off
expect "off of a host already off: exit 0" 0 "Success: Powered OFF"

run "${BMC[@]}" -o monitor
expect "monitor with the host off: exit 0" 0

run "${BMC[@]}" -o on
expect "on: exit 0" 0 "Success: Powered ON"
[ "$(power)" = 1 ] && pass "on: the chassis is on" || fail "on: chassis power is $(power)"

: >"$tmp/chassis.log"
run "${BMC[@]}" -o reboot
expect "reboot: exit 0" 0 "Success: Rebooted"
if grep -q 'set power 0' "$tmp/chassis.log" && grep -q 'set power 1' "$tmp/chassis.log" &&
	[ "$(grep -n 'set power 0' "$tmp/chassis.log" | head -1 | cut -d: -f1)" -lt \
		"$(grep -n 'set power 1' "$tmp/chassis.log" | head -1 | cut -d: -f1)" ] &&
	[ "$(power)" = 1 ]; then
	pass "reboot: power off, then on; the host is on again"
else
	fail "reboot: chassis calls were: $(tr '\n' ';' <"$tmp/chassis.log"), power $(power)"
fi

set_power 1
: >"$tmp/chassis.log"
run "${BMC[@]}"
expect "no action given: reboot, the fence-agents default" 0 "Success: Rebooted"

run "${BMC[@]}" -o monitor
expect "monitor with the host on: exit 0" 0

: >"$tmp/chassis.log"
run -a 127.0.0.1 -u "$PORT" -o list
expect "list: exit 0, N/A (a device without plugs)" 0 "N/A"
[ ! -s "$tmp/chassis.log" ] && pass "list: does not contact the BMC" ||
	fail "list: chassis was called"

run -o diag -a 127.0.0.1
expect "an unknown action: exit 1, 'Unrecognised action'" 1 "" "Failed: Unrecognised action 'diag'"

# ---- metadata ------------------------------------------------------------

run -o metadata
if [ "$rc" != 0 ]; then
	fail "metadata: exit $rc: $err"
elif ! command -v xmllint >/dev/null; then
	fail "metadata: xmllint not found: install it (apt-get install libxml2-utils)"
elif [ ! -f "$RNG" ]; then
	fail "metadata: $RNG not found: install fence-agents (apt-get install fence-agents)"
elif verr=$(printf '%s\n' "$out" | xmllint --noout --relaxng "$RNG" - 2>&1); then
	pass "metadata validates against fence-agents' metadata.rng"
else
	fail "metadata does not validate: $verr"
fi
meta=$out
run -o manpage
[ "$rc" = 0 ] && [ "$out" = "$meta" ] && pass "manpage: prints the metadata" ||
	fail "manpage: exit $rc or output differs from metadata"
missing=
for p in action ip ipaddr ipport lanplus username login password passwd password_script \
	passwd_script password_file privlvl cipher method power_timeout power_wait delay; do
	[[ $meta == *"<parameter name=\"$p\""* ]] || missing="$missing $p"
done
[ -z "$missing" ] && pass "metadata: lists fence_ipmilan's parameter names" ||
	fail "metadata: parameters missing:$missing"
[[ $meta == *'<action name="on" automatic="0"/>'* && $meta == *'<action name="off" />'* &&
	$meta == *'<action name="validate-all" />'* ]] &&
	pass "metadata: actions on (not automatic), off, validate-all" ||
	fail "metadata: actions missing"

run -h
expect "-h: usage, exit 0" 0 "Usage:"
run -V
expect "-V: version, exit 0" 0 "fence_havm_ipmi"

# ---- validate-all ----------------------------------------------------------

: >"$tmp/chassis.log"
run "${BMC[@]}" -o validate-all
expect "validate-all with good options: exit 0" 0
[ ! -s "$tmp/chassis.log" ] && pass "validate-all: does not contact the BMC" ||
	fail "validate-all: chassis was called"
run -l admin -p secret -o validate-all
expect "validate-all without ip: exit 1" 1 "" "You have to enter fence address"
run "${BMC[@]}" -o validate-all --power-timeout=soon
expect "validate-all with a bad number: exit 1" 1 "" "--power-timeout \"soon\" is not a time"
run "${BMC[@]}" -o validate-all -C 4
expect "validate-all with an unsupported cipher suite: exit 1" 1 "" "cipher suite"

# ---- stdin -----------------------------------------------------------------

set_power 1
run_stdin "# as Pacemaker passes them
action=status
ip=127.0.0.1
ipport=$PORT

username=admin
password=\"secret\"
lanplus=1
nodename=kvm1
plug=kvm1
pcmk_host_list=kvm1
"
expect "stdin: status with comments, quotes and the cluster's own keys: exit 0" 0 "Status: ON"

run_stdin "option=off
ipaddr=127.0.0.1
ipport=$PORT
login=admin
passwd=secret
power-timeout=5
"
expect "stdin: off with the deprecated names: exit 0" 0 "Success: Powered OFF"
[ "$(power)" = 0 ] && pass "stdin: off powered the chassis off" || fail "stdin off: power $(power)"

run_stdin "action=status
ip=127.0.0.1
ipport=$PORT
username=admin
password=secret
"
expect "stdin: status of a host that is off: exit 2" 2 "Status: OFF"
stdin_out=$out
run "${BMC[@]}" -o status
[ "$rc" = 2 ] && [ "$out" = "$stdin_out" ] &&
	pass "stdin and command line give the same status and output" ||
	fail "stdin vs command line: exit $rc, \"$out\" vs \"$stdin_out\""

run_stdin "action=on
ip=127.0.0.1
ipport=$PORT
username=admin
password=secret
"
expect "stdin: on: exit 0" 0 "Success: Powered ON"

# A name given twice: the last value wins, and only it is checked (the
# fence-agents convention), on stdin and on the command line.
set_power 1
run_stdin "action=off
ip=127.0.0.1
ipport=not-a-port
ipport=$PORT
username=admin
password=wrong
passwd=secret
action=status
"
expect "stdin: a name given twice: the last value wins, earlier ones unchecked" 0 "Status: ON"
[ "$(power)" = 1 ] && pass "stdin: the overridden action=off was not run" ||
	fail "stdin: power is $(power) after an overridden action=off"
run_stdin "action=status
ip=127.0.0.1
ipport=$PORT
ipport=0
"
expect "stdin: a bad last value is refused, naming its line" 1 "" \
	'stdin line 4: ipport "0" is not a port number'
run -a 127.0.0.1 -u not-a-port --ipport="$PORT" -l admin -p wrong --password=secret -o off \
	-o status
expect "command line: an option given twice: the last value wins" 0 "Status: ON"
[ "$(power)" = 1 ] && pass "command line: the overridden -o off was not run" ||
	fail "command line: power is $(power) after an overridden -o off"
run -a 127.0.0.1 -u "$PORT" -u 0 -l admin -p secret -o status
expect "command line: a bad last value is refused" 1 "" '-u/--ipport "0" is not a port number'

run_stdin "action=status
ip=127.0.0.1
power_timout=60
"
expect "stdin: an unknown parameter is an error naming the line" 1 "" \
	"stdin line 3: unknown parameter \"power_timout\""

run "${BMC[@]}" -o status --power-timout=60
expect "command line: an unknown option is an error" 1 "" "unknown option --power-timout"

run "${BMC[@]}" -o status -n kvm1
expect "command line: -n/--plug is refused" 1 "" "-n/--plug is not used"

run "${BMC[@]}" -o off --method=cycle
expect "method=cycle is refused (cannot be verified)" 1 "" "cannot be verified"

# ---- hostile input ---------------------------------------------------------

# Input quoted back in a message is escaped (\xNN, \" and \\): no control
# byte, nor any byte outside printable ASCII, read from stdin or the command
# line reaches stderr, stdout or the debug file (syslog gets the same text
# as stderr). clean NAME: checks the last run's stdout and stderr, and the
# files given after NAME.
clean() {
	local name=$1 f n
	shift
	for f in "$tmp/out" "$tmp/err" "$@"; do
		n=$(LC_ALL=C tr -d '\n\040-\176' <"$f" | wc -c)
		if [ "$n" != 0 ]; then
			fail "$name: $n raw byte(s) in ${f##*/}: $(od -An -c "$f" | head -3 | tr -s ' \n' ' ')"
			return
		fi
	done
	pass "$name"
}

run_stdin $'\x01\x02\x1b[31m=1\n'
expect "stdin: a name of control bytes: refused, quoted escaped" 1 "" \
	'stdin line 1: unknown parameter "\x01\x02\x1b[31m"'
clean "stdin: a name of control bytes: no raw byte in the output"
run_stdin $'ipport=\x1b[2J\xff\n'
expect "stdin: a value of control bytes: refused, quoted escaped" 1 "" \
	'ipport "\x1b[2J\xff" is not a port number'
clean "stdin: a value of control bytes: no raw byte in the output"
run_stdin $'\x1b]0;title\x07\n'
expect "stdin: a line that is not name=value: quoted escaped" 1 "" \
	'stdin line 1: "\x1b]0;title\x07" is not name=value'
clean "stdin: a line that is not name=value: no raw byte in the output"
run_stdin $'action=a"b\\c\n'
expect "stdin: quote and backslash in a value get a backslash" 1 "" \
	"Unrecognised action 'a\\\"b\\\\c'"
run "${BMC[@]}" -o status $'\x1b[31mextra'
expect "command line: an unexpected argument of control bytes: quoted escaped" 1 "" \
	'unexpected argument "\x1b[31mextra"'
clean "command line: an unexpected argument: no raw byte in the output"
run "${BMC[@]}" -o status $'--\x1b[31m'
expect "command line: an unknown long option of control bytes: escaped" 1 "" \
	'unknown option --\x1b[31m'
clean "command line: an unknown long option: no raw byte in the output"
run "${BMC[@]}" -o status $'-\x01'
expect "command line: an unknown short option of a control byte: escaped" 1 "" \
	'unknown option -\x01'
clean "command line: an unknown short option: no raw byte in the output"
run -a 127.0.0.1 -o $'\x1b[31moff'
expect "command line: an action of control bytes: quoted escaped" 1 "" \
	"Unrecognised action '\x1b[31moff'"
clean "command line: an action of control bytes: no raw byte in the output"
run -a 127.0.0.1 -l admin --password-file=$'/nonexistent/\x1b[31m' -o validate-all
expect "a password file path of control bytes: quoted escaped" 1 "" \
	'password file /nonexistent/\x1b[31m: No such file'
clean "a password file path of control bytes: no raw byte in the output"
run -a $'bmc\x1b[31m' -l admin -p secret -o status
expect "an address of control bytes: refused, quoted escaped" 1 "" \
	'"bmc\x1b[31m" is not a host name or address'
clean "an address of control bytes: no raw byte in the output"
rm -f "$tmp/hostile.log"
run -a 127.0.0.1 -u "$PORT" -l $'\x1b[31m\xff' -p secret -o validate-all -v -D "$tmp/hostile.log"
expect "a user of control bytes: validate-all, verbose, debug file" 0 "" \
	'as user "\x1b[31m\xff"'
clean "a user of control bytes: no raw byte in the output or the debug file" "$tmp/hostile.log"
run -a 127.0.0.1 -u "$PORT" -l $'adm\x1bin' -p secret -o status
expect "a user of control bytes the BMC does not know: quoted escaped" 1 "" \
	'unknown user "adm\x1bin"'
clean "a user the BMC does not know: no raw byte in the output"

# ---- credentials and reachability -----------------------------------------

set_power 1
run -a 127.0.0.1 -u "$PORT" -l admin -p wrong -o status
expect "wrong password: exit 1, a message naming the BMC" 1 "" \
	"127.0.0.1:$PORT: authentication failed (wrong password for user \"admin\"?)"

run -a 127.0.0.1 -u "$PORT" -l admin -p wrong -o status -q -D "$tmp/debug.log"
if [ "$rc" = 1 ] && [ -z "$err" ] && grep -q 'ERROR: 127.0.0.1:.*authentication failed' "$tmp/debug.log" &&
	[ "$(stat -c %a "$tmp/debug.log")" = 600 ]; then
	pass "-q silences stderr; -D writes the error to a mode 600 debug file"
else
	fail "-q/-D: exit $rc, stderr \"$err\", file: $(cat "$tmp/debug.log" 2>&1)"
fi

run -a 127.0.0.1 -u "$PORT" -l nobody -p secret -o off
expect "unknown user: exit 1" 1 "" "127.0.0.1:$PORT: authentication failed (unknown user \"nobody\"?)"
[ "$(power)" = 1 ] && pass "failed logins leave the power alone" || fail "power is $(power)"

run -a 127.0.0.1 -u "$PORT" -l viewer -p vsecret -L user -o off
expect "privilege user may not power off: exit 1" 1 "" "privilege user is not enough for power off"

dead=$(free_port "$PORT")
run -a 127.0.0.1 -u "$dead" -l admin -p secret -o status --ipmi-timeout=1
expect "unreachable port: exit 1" 1 "" "127.0.0.1:$dead: no answer within 1000 ms"
[ "$ms" -lt 3000 ] && pass "unreachable port: gave up in $ms ms (timeout 1 s)" ||
	fail "unreachable port: took $ms ms with a 1 s timeout"

run -a 127.0.0.1 -u "$dead" -l admin -p secret -o off --ipmi-timeout=0.5
expect "unreachable port, off: exit 1" 1 "" "no answer within 500 ms"

# ---- BMCs that refuse or lie -------------------------------------------------

set_power 1
touch "$tmp/stuck"
run "${BMC[@]}" -o off --power-timeout=1 --stonith-status-sleep=0.1
rm -f "$tmp/stuck"
expect "a BMC that accepts off but stays on: exit 1 (only a verified off counts)" 1 "" \
	"power still on"
[ "$ms" -lt 3000 ] && pass "unverified off gave up after power_timeout ($ms ms)" ||
	fail "unverified off took $ms ms with power_timeout 1 s"

set_power 1
touch "$tmp/stuck"
run "${BMC[@]}" -o reboot --power-timeout=0.5 --stonith-status-sleep=0.1
rm -f "$tmp/stuck"
expect "reboot whose off is not verified: exit 1" 1 "" "power still on"

# The BMC goes silent while the host loses power (ipmi_sim stopped for
# 1.5 s): polls time out, the agent opens new sessions until the off reads.
set_power 1
touch "$tmp/stuck"
"$AGENT" "${BMC[@]}" -o off --power-timeout=4 --stonith-status-sleep=0.1 --ipmi-timeout=0.5 \
	</dev/null >"$tmp/out" 2>"$tmp/err" &
agent_pid=$!
sleep 0.3
kill -STOP "$sim_pid"
rm -f "$tmp/stuck"
set_power 0
sleep 1.5
kill -CONT "$sim_pid"
wait "$agent_pid"
rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
expect "a BMC silent for 1.5 s during the off: new sessions, off verified, exit 0" 0 \
	"Success: Powered OFF"

set_power 1
touch "$tmp/stuck"
"$AGENT" "${BMC[@]}" -o off --power-timeout=1.5 --stonith-status-sleep=0.1 --ipmi-timeout=0.5 \
	</dev/null >"$tmp/out" 2>"$tmp/err" &
agent_pid=$!
sleep 0.3
kill -STOP "$sim_pid"
t0=$(date +%s%N)
wait "$agent_pid"
rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$sim_pid"
rm -f "$tmp/stuck"
expect "a BMC silent until the end: exit 1, state unknown" 1 "" "power state unknown"
[ "$ms" -lt 4000 ] && pass "a silent BMC: gave up $ms ms after it went silent (bound 1.5 + 0.5 s + close)" ||
	fail "a silent BMC: took $ms ms"

set_power 1
touch "$tmp/refuse"
run "${BMC[@]}" -o off
expect "a BMC that refuses off with the host on: exit 1" 1 "" "the BMC refused power off"
set_power 0
run "${BMC[@]}" -o off
rm -f "$tmp/refuse"
expect "a BMC that refuses off with the host already off: exit 0" 0 "Success: Powered OFF"

# ---- password sources --------------------------------------------------------

set_power 1
pw=$tmp/bmc.pw
printf 'secret\n' >"$pw"
chmod 644 "$pw"
run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$pw" -o status
expect "password file readable by others: refused" 1 "" \
	"password file $pw is readable by others: chmod 600 $pw"
run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$pw" -o validate-all
expect "password file readable by others: validate-all refuses it too" 1 "" "readable by others"
chmod 620 "$pw"
run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$pw" -o status
expect "password file writable by its group: refused" 1 "" "writable by its group: chmod 600"
chmod 600 "$pw"
run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$pw" -o status
expect "password file mode 600: status exit 0" 0 "Status: ON"
run_stdin "action=status
ip=127.0.0.1
ipport=$PORT
username=admin
password_file=$pw
"
expect "password file on stdin: exit 0" 0 "Status: ON"
printf 'secret\nsecond line\n' >"$pw"
run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$pw" -o status
expect "password file with two lines: refused" 1 "" "has more than one line"
run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$tmp/none" -o status
expect "missing password file: exit 1" 1 "" "No such file"
printf 'secret\n' >"$pw"
ln -s "$pw" "$tmp/bmc.pw.link"
run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$tmp/bmc.pw.link" -o status
expect "password file through our own symbolic link: status exit 0" 0 "Status: ON"
if [ "$(id -u)" = 0 ]; then
	ln -s "$pw" "$tmp/bmc.pw.their-link" && chown -h 65534 "$tmp/bmc.pw.their-link"
	run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$tmp/bmc.pw.their-link" -o status
	expect "password file through another user's symbolic link: refused" 1 "" \
		"the symbolic link $tmp/bmc.pw.their-link is owned by uid 65534"
	run -a 127.0.0.1 -u "$PORT" -l admin --password-file="$tmp/bmc.pw.their-link" \
		-o validate-all
	expect "another user's symbolic link: validate-all refuses it too" 1 "" "owned by uid 65534"
fi
run -a 127.0.0.1 -u "$PORT" -l admin -p secret --password-file="$pw" -o status
expect "two password sources: refused" 1 "" "only one of password"

run -a 127.0.0.1 -u "$PORT" -l admin -S "echo secret" -o status
expect "password script: exit 0" 0 "Status: ON"
run -a 127.0.0.1 -u "$PORT" -l admin -S "exit 3" -o status
expect "failing password script: exit 1" 1 "" "password script failed (exit status 3)"

# ---- latency -------------------------------------------------------------------

# Timed against ipmi_sim on loopback, whose chassis_control is a shell
# script run for every power get and set: real BMCs are slower (their
# RMCP+ handshake alone is tens to hundreds of ms).
# stats NAME FILE: median, min and max of the numbers in FILE.
stats() {
	sort -n "$2" | awk -v name="$1" '{ v[NR] = $1 } END {
		printf "%s: median %d ms, min %d ms, max %d ms (%d runs)\n",
			name, v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}
: >"$tmp/lat-status" >"$tmp/lat-off"
lat_ok=1
for i in $(seq 1 "$LATENCY_RUNS"); do
	set_power 1
	run "${BMC[@]}" -o status
	[ "$rc" = 0 ] || lat_ok=0
	echo "$ms" >>"$tmp/lat-status"
	run "${BMC[@]}" -o off --stonith-status-sleep=0.05
	[ "$rc" = 0 ] || lat_ok=0
	echo "$ms" >>"$tmp/lat-off"
done
[ "$lat_ok" = 1 ] && pass "latency runs all succeeded" || fail "some latency runs failed"

echo "LATENCY: $(stats "agent status, whole process" "$tmp/lat-status")"
echo "LATENCY: $(stats "agent off until verified, whole process" "$tmp/lat-off")"
set_power 1
out=$("$IPMI_CALL" -n "$LATENCY_RUNS" "${LIB[@]}" 127.0.0.1 "$PORT" status)
echo "LATENCY: fence_ipmi_power_status in process, usec: ${out##*usec: }"
: >"$tmp/lat-offv"
for i in $(seq 1 "$LATENCY_RUNS"); do
	set_power 1
	out=$("$IPMI_CALL" "${LIB[@]}" 127.0.0.1 "$PORT" off-verified 5000 50)
	[[ $out == *rc=OK* ]] || fail "off_verified latency run: $out"
	us=${out##*median }
	echo "$((${us%% *} / 1000))" >>"$tmp/lat-offv"
done
echo "LATENCY: $(stats "fence_ipmi_off_verified in process" "$tmp/lat-offv")"

kill -0 "$sim_pid" 2>/dev/null && pass "ipmi_sim still running at the end" ||
	fail "ipmi_sim died during the tests: $(tail -3 "$tmp/ipmi_sim.log")"
finish
