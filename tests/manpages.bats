#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The man pages (man/), the reference: every long option a program's
# --help prints has its entry in the program's page; each program page
# has the sections in the one order; groff (and mandoc, when installed)
# find nothing to warn about; man -l renders each page; DIAGNOSTICS and
# the messages the sources log agree (tests/helpers/logmsgs.py); the
# units a page's NAME lists exist, and every unit is in a NAME.

load helpers/common

PROGRAMS="daytime-tcp daytime-udp sntp-udp nts-ke-tcp"
SECTIONS="NAME|SYNOPSIS|DESCRIPTION|OPTIONS|ENVIRONMENT|SIGNALS|FILES|EXIT STATUS|DIAGNOSTICS|EXAMPLES|STANDARDS|SEE ALSO|CAVEATS"

# The .SH headings of a page, one a line, quotes removed.
sections() {
	sed -n 's/^\.SH *//p' "$1" | tr -d '"'
}

# The tag lines (the line after .TP or .TQ) of a page's OPTIONS.
option_tags() {
	awk '/^\.SH/ { in_opts = ($0 ~ /^\.SH "?OPTIONS"?$/); next }
		in_opts && tag { print; tag = 0; next }
		in_opts && /^\.T[PQ]/ { tag = 1 }' "$1"
}

@test "every long option of --help has an entry in its program's OPTIONS" {
	local p o missing=()
	for p in $PROGRAMS; do
		run "$BIN/$p" --help
		assert_success
		# The option column: lines starting with blanks and a dash.
		local opts
		opts=$(grep -E '^ +-' <<<"$output" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
		[ -n "$opts" ] || fail "$p --help: no options found"
		local tags
		# roff's \- as the dash it prints.
		tags=$(option_tags "$TOP/man/$p.8" | sed 's/\\-/-/g')
		for o in $opts; do
			# --NAME as a whole word of a tag (.B, .BR, .BI or \fB).
			grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|$)" <<<"$tags" ||
				missing+=("$p.8: $o")
		done
	done
	[ ${#missing[@]} = 0 ] || fail "options of --help without an entry: ${missing[*]}"
}

@test "each program's page has every section, in order, and no other" {
	local p want
	want=$(tr '|' '\n' <<<"$SECTIONS")
	for p in $PROGRAMS; do
		run sections "$TOP/man/$p.8"
		[ "$output" = "$want" ] || fail "$p.8 sections: $(tr '\n' ',' <<<"$output")"
	done
	# sockclock(7), the contract, in djb's order: the interface, then
	# what it does not do.
	run sections "$TOP/man/sockclock.7"
	assert_output "$(printf '%s\n' NAME DESCRIPTION INTERFACE SECURITY UNSUPPORTED STANDARDS 'SEE ALSO')"
}

@test "groff -man -ww -z: no warning in any page" {
	local f
	for f in "$TOP"/man/*.[0-9]; do
		run groff -man -ww -z "$f"
		assert_success
		assert_output ""
	done
}

@test "mandoc -T lint: nothing to say about any page" {
	command -v mandoc >/dev/null || skip "mandoc is not installed (scripts/deps test installs it)"
	local f
	for f in "$TOP"/man/*.[0-9]; do
		run mandoc -T lint "$f"
		assert_output ""
	done
}

@test "man -l renders every page, with its NAME and no warning" {
	local f
	for f in "$TOP"/man/*.[0-9]; do
		run env MANWIDTH=80 man -l "$f"
		assert_success
		assert_line --regexp '^NAME$'
		# What man, groff and the preprocessors say goes to stderr.
		run bash -c 'MANWIDTH=80 man -l "$1" 2>&1 >/dev/null' - "$f"
		assert_output ""
	done
}

@test "DIAGNOSTICS: every error and warning logged is in its page, every entry is logged" {
	run /usr/bin/python3 "$TOP/tests/helpers/logmsgs.py" check "$TOP"
	assert_success
	assert_output ""
	# Not a vacuous pass: the sources have messages, and pages entries.
	run /usr/bin/python3 "$TOP/tests/helpers/logmsgs.py" src "$TOP"
	[ "${#lines[@]}" -gt 20 ] || fail "only ${#lines[@]} messages found in the sources"
	run /usr/bin/python3 "$TOP/tests/helpers/logmsgs.py" man "$TOP/man/sntp-udp.8"
	[ "${#lines[@]}" -gt 10 ] || fail "only ${#lines[@]} DIAGNOSTICS entries in sntp-udp.8"
}

@test "NAME lists units that exist, and every unit is in a page's NAME" {
	local p u named=
	for p in $PROGRAMS; do
		# NAME: the line(s) after .SH NAME, up to the next request.
		local name
		name=$(awk '/^\.SH/ { n = ($0 ~ /NAME/); next } n && /^\./ { exit } n' "$TOP/man/$p.8")
		[[ $name == "$p,"* || $name == "$p "* ]] || fail "$p.8 NAME does not start with $p: $name"
		for u in $(grep -oE '[a-z@-]+\.(socket|service|timer)' <<<"$name"); do
			[ -e "$TOP/units/$u" ] || fail "$p.8 NAME lists $u, which units/ does not have"
			named="$named $u"
		done
	done
	# sockclock(7) names the units of no one program (the metrics writer).
	name=$(awk '/^\.SH/ { n = ($0 ~ /NAME/); next } n && /^\./ { exit } n' "$TOP/man/sockclock.7")
	for u in $(grep -oE '[a-z@-]+\.(socket|service|timer)' <<<"$name"); do
		[ -e "$TOP/units/$u" ] || fail "sockclock.7 NAME lists $u, which units/ does not have"
		named="$named $u"
	done
	for u in $(ls "$TOP/units"); do
		[[ " $named " == *" $u "* ]] || fail "units/$u is in no page's NAME"
	done
}
