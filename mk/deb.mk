# SPDX-License-Identifier: ISC
# make deb: the Debian package (debian/), built with dpkg-buildpackage
# (source and binary) in a copy of the tree under a temporary directory,
# so that this tree stays clean and worktrees built side by side do not
# write to one parent directory. The copy holds the files git knows of
# (tracked and not ignored, as they are now), or with no git the whole
# tree less build/. The results and the build log go to DEB_DIR.
# debian/changelog must name the version of VERSION.
DEB_DIR ?= $(BUILD)/deb

.PHONY: deb
deb:
	@set -e; cl=$$(dpkg-parsechangelog -S Version); \
	[ "$$cl" = "$(VERSION)" ] || { echo "make deb: debian/changelog says $$cl, VERSION $(VERSION):" \
		"give debian/changelog an entry for $(VERSION) (dch -v $(VERSION))" >&2; exit 1; }; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	src=$$tmp/sockclock-$(VERSION); mkdir "$$src"; \
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
			tar --null -T - --ignore-failed-read -cf - 2>/dev/null; \
	else \
		tar --exclude=./build --exclude=./debian/sockclock -cf - .; \
	fi | tar -xf - -C "$$src"; \
	mkdir -p $(DEB_DIR); rm -f $(DEB_DIR)/build.log $(DEB_DIR)/sockclock*_$(VERSION)[._]*; \
	if ! (cd "$$src" && dpkg-buildpackage -us -uc) >$(DEB_DIR)/build.log 2>&1; then \
		tail -30 $(DEB_DIR)/build.log; echo "make deb: failed; log: $(DEB_DIR)/build.log" >&2; exit 1; \
	fi; \
	cp "$$tmp"/sockclock*_$(VERSION)[._]* $(DEB_DIR)/; \
	echo "  DEB $(DEB_DIR)/sockclock_$(VERSION)_$$(dpkg --print-architecture).deb"
