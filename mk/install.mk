# SPDX-License-Identifier: ISC
# make install / make uninstall: the programs, the systemd units, the
# xinetd files, the man pages, tmpfiles.d and sysusers.d. The units, xinetd files and man pages
# in the tree are valid as they stand for the default SBINDIR
# (/usr/local/sbin); install writes the real SBINDIR in its place (and
# the version, VERSION, in the man pages' title). DESTDIR stages; uninstall removes exactly
# the files install puts there (directories are left in place).
# The xinetd files and the cron file (cron.d/) are the administrator's configuration: an existing
# one that differs from ours is never overwritten; ours goes next to it
# as FILE.new. Uninstall removes a configuration file only while it is
# still exactly what install wrote (FILE.new likewise).
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR    ?= $(PREFIX)/share/man
UNITDIR   ?= $(PREFIX)/lib/systemd/system
XINETDDIR ?= /etc/xinetd.d
CRONDIR   ?= /etc/cron.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# What creates the system users of sysusers.d/sockclock.conf on a
# DESTDIR-less install as root (empty: only print what to create).
SYSUSERS  ?= systemd-sysusers
INSTALL   ?= install
# Where the programs to install are (default: this build).
INSTALL_BIN ?= .

UNITS      := $(notdir $(wildcard units/*.socket units/*.service units/*.timer))
XINETD     := $(PROGRAMS:%=sockclock-%)
# Each configuration file as FILE,DIR: in the tree, then where it goes.
CONFFILES  := $(XINETD:%=xinetd.d/%,$(XINETDDIR)) cron.d/sockclock-nts-rotate,$(CRONDIR)
# Each page goes to the man directory of its section (man8, man7).
MANPAGES   := $(PROGRAMS:%=%.8) sockclock.7
manpath     = $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(1)))/$(1)
SUBST       = sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	-e 's|/usr/local/libexec/|$(LIBEXECDIR)/|g'
# The man pages also name the unit directory, and get the version
# (VERSION) in their title line.
MANSUBST    = $(SUBST) -e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g' \
	-e '/^\.TH /s|"sockclock"|"sockclock $(VERSION)"|'

INSTALLED = $(PROGRAMS:%=$(DESTDIR)$(SBINDIR)/%) \
	    $(DESTDIR)$(LIBEXECDIR)/sockclock/sockclock-metrics \
	    $(UNITS:%=$(DESTDIR)$(UNITDIR)/%) \
	    $(foreach f,$(MANPAGES),$(call manpath,$(f))) \
	    $(DESTDIR)$(TMPFILESDIR)/sockclock.conf \
	    $(DESTDIR)$(SYSUSERSDIR)/sockclock.conf

.PHONY: install uninstall install-files
# The system users (one per program with state) exist before anything
# runs: created here on a DESTDIR-less install as root; otherwise (a
# staged install, a package, no root, no systemd-sysusers) say what to
# create. Uninstall leaves them, as packages do: files may still be theirs.
install: $(if $(filter .,$(INSTALL_BIN)),all)
	@$(MAKE) --no-print-directory install-files
	@f=$(SYSUSERSDIR)/sockclock.conf; \
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && [ -n "$(SYSUSERS)" ] && \
		command -v $(firstword $(SYSUSERS)) >/dev/null; then \
		echo "$(SYSUSERS) $$f"; $(SYSUSERS) "$$f" || exit 1; \
	else \
		echo "make install: create the system users of $$f before enabling a unit or xinetd file:"; \
		echo "  systemd-sysusers $$f"; \
		echo "or, without systemd-sysusers:"; \
		echo "  groupadd --system sockclock-nts-keys"; \
		echo "  useradd --system --gid sockclock-nts-keys --home-dir /nonexistent --shell /usr/sbin/nologin sockclock-ntske"; \
		echo "  useradd --system --user-group --groups sockclock-nts-keys --home-dir /nonexistent --shell /usr/sbin/nologin sockclock-sntp"; \
		echo "  useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin sockclock-daytime"; \
	fi

install-files:
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(XINETDDIR) $(DESTDIR)$(CRONDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSUSERSDIR)
	$(INSTALL) -m 755 $(PROGRAMS:%=$(INSTALL_BIN)/%) $(DESTDIR)$(SBINDIR)/
	# The metrics writer (sockclock-metrics.service) names SBINDIR.
	$(INSTALL) -d $(DESTDIR)$(LIBEXECDIR)/sockclock
	$(SUBST) libexec/sockclock-metrics > $(DESTDIR)$(LIBEXECDIR)/sockclock/sockclock-metrics.tmp
	chmod 755 $(DESTDIR)$(LIBEXECDIR)/sockclock/sockclock-metrics.tmp
	mv -f $(DESTDIR)$(LIBEXECDIR)/sockclock/sockclock-metrics.tmp $(DESTDIR)$(LIBEXECDIR)/sockclock/sockclock-metrics
	for f in $(UNITS); do \
		$(SUBST) units/$$f > $(DESTDIR)$(UNITDIR)/$$f.tmp && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$f.tmp && \
		mv -f $(DESTDIR)$(UNITDIR)/$$f.tmp $(DESTDIR)$(UNITDIR)/$$f || exit 1; \
	done
	@for c in $(CONFFILES); do \
		f=$${c%,*}; t="$(DESTDIR)$${c#*,}/$${f##*/}"; \
		$(SUBST) $$f > "$$t.tmp" && chmod 644 "$$t.tmp" || exit 1; \
		if [ ! -e "$$t" ] || cmp -s "$$t.tmp" "$$t"; then \
			mv -f "$$t.tmp" "$$t"; \
		else \
			mv -f "$$t.tmp" "$$t.new" && \
			echo "$$t differs from sockclock's: kept; sockclock's is $$t.new"; \
		fi || exit 1; \
	done
	for f in $(MANPAGES); do \
		t=$(DESTDIR)$(MANDIR)/man$${f##*.}/$$f; \
		$(MANSUBST) man/$$f > $$t && chmod 644 $$t || exit 1; \
	done
	# The state directories for xinetd (tmpfiles.d(5); after the users
	# exist, systemd-tmpfiles --create makes them now, each boot after that).
	$(INSTALL) -m 644 tmpfiles.d/sockclock.conf $(DESTDIR)$(TMPFILESDIR)/
	$(INSTALL) -m 644 sysusers.d/sockclock.conf $(DESTDIR)$(SYSUSERSDIR)/

# A configuration file (or its .new) goes only while it is unchanged.
uninstall:
	rm -f $(INSTALLED)
	@for x in $(CONFFILES); do \
		f=$${x%,*}; t="$(DESTDIR)$${x#*,}/$${f##*/}"; \
		for c in "$$t" "$$t.new"; do \
			[ -e "$$c" ] || continue; \
			if $(SUBST) $$f | cmp -s - "$$c"; then \
				rm -f "$$c"; \
			else \
				echo "$$c was edited: kept"; \
			fi; \
		done; \
	done
