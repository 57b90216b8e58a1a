# SPDX-License-Identifier: GPL-2.0
#
# Debian packages and the one version (debian/, tests/pkg/):
#   make check-version  fail if dkms.conf, fragalloc_version.h or
#                       debian/changelog disagree with VERSION (Makefile)
#   make deb            fragalloc-dkms, libfragalloc1, libfragalloc-dev and
#                       fragalloc-tools .debs in build/deb/, built with
#                       dpkg-buildpackage -us -uc -b from a copy of the tree
#                       (so `debian/rules clean` never touches this one)
#   make pkg-test       build the packages, unpack them in a scratch root,
#                       build a program against them with pkg-config, run the
#                       CLI, `dkms build` the packaged source for both target
#                       kernels, lintian (tests/pkg/pkg_test.sh)
#   make build-test     the build reports: a bad KDIR fails naming the
#                       headers package; plain `make` without the kselftest
#                       headers builds the rest and says what it skipped
#                       (tests/pkg/build_test.sh)
# The tests end with "pkg: N passed, N failed" / "build: N passed, N failed".

DEB_OUT	?= $(BUILD)/deb

check-version:
	@rc=0; \
	grep -qx 'PACKAGE_VERSION="$(VERSION)"' dkms.conf || \
		{ echo "check-version: dkms.conf: $$(grep '^PACKAGE_VERSION=' dkms.conf), VERSION is $(VERSION) (run make version)" >&2; rc=1; }; \
	grep -q '^#define FRAGALLOC_LIB_VERSION[[:space:]]*"$(VERSION)"' libfragalloc/include/fragalloc_version.h || \
		{ echo "check-version: libfragalloc/include/fragalloc_version.h is not $(VERSION) (run make version)" >&2; rc=1; }; \
	cl=$$(sed -n '1s/^[^ ]* (\([^)-]*\)\(-[^)]*\)\{0,1\}).*/\1/p' debian/changelog); \
	[ "$$cl" = "$(VERSION)" ] || \
		{ echo "check-version: debian/changelog's top entry is $$cl, VERSION is $(VERSION) (dch -v $(VERSION))" >&2; rc=1; }; \
	[ $$rc = 0 ] && echo "check-version: $(VERSION) everywhere"; exit $$rc

deb:
	@$(TOP)/tests/pkg/build-debs.sh "$(DEB_OUT)"

pkg-test:
	@$(TOP)/tests/pkg/pkg_test.sh

build-test:
	@$(TOP)/tests/pkg/build_test.sh

.PHONY: check-version deb pkg-test build-test
