# make install / make uninstall: the programs, the systemd units, the
# xinetd files (with the installed program paths substituted for
# @SBINDIR@) and the man pages. DESTDIR stages; uninstall removes exactly
# the files install puts there (directories are left in place).
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
UNITDIR   ?= $(PREFIX)/lib/systemd/system
XINETDDIR ?= /etc/xinetd.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
INSTALL   ?= install
# Where the programs to install are (default: this build).
INSTALL_BIN ?= .

UNITS      := $(notdir $(wildcard units/*.socket units/*.service))
XINETD     := $(PROGRAMS)
MANPAGES   := $(PROGRAMS:%=%.8)
SUBST       = sed -e 's|@SBINDIR@|$(SBINDIR)|g'

INSTALLED = $(PROGRAMS:%=$(DESTDIR)$(SBINDIR)/%) \
	    $(UNITS:%=$(DESTDIR)$(UNITDIR)/%) \
	    $(XINETD:%=$(DESTDIR)$(XINETDDIR)/%) \
	    $(MANPAGES:%=$(DESTDIR)$(MANDIR)/man8/%) \
	    $(DESTDIR)$(TMPFILESDIR)/sockclock.conf

.PHONY: install uninstall install-files
install: $(if $(filter .,$(INSTALL_BIN)),all)
	@$(MAKE) --no-print-directory install-files

install-files:
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(XINETDDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(TMPFILESDIR)
	$(INSTALL) -m 755 $(PROGRAMS:%=$(INSTALL_BIN)/%) $(DESTDIR)$(SBINDIR)/
	for f in $(UNITS); do \
		$(SUBST) units/$$f > $(DESTDIR)$(UNITDIR)/$$f.tmp && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$f.tmp && \
		mv -f $(DESTDIR)$(UNITDIR)/$$f.tmp $(DESTDIR)$(UNITDIR)/$$f || exit 1; \
	done
	for f in $(XINETD); do \
		$(SUBST) xinetd.d/$$f > $(DESTDIR)$(XINETDDIR)/$$f.tmp && \
		chmod 644 $(DESTDIR)$(XINETDDIR)/$$f.tmp && \
		mv -f $(DESTDIR)$(XINETDDIR)/$$f.tmp $(DESTDIR)$(XINETDDIR)/$$f || exit 1; \
	done
	$(INSTALL) -m 644 $(MANPAGES:%=man/%) $(DESTDIR)$(MANDIR)/man8/
	# The state directory for xinetd (tmpfiles.d(5); systemd-tmpfiles
	# --create makes it now, the boot after that).
	$(INSTALL) -m 644 tmpfiles.d/sockclock.conf $(DESTDIR)$(TMPFILESDIR)/

uninstall:
	rm -f $(INSTALLED)
