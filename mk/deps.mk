# `make deps`: idempotent. Debian packages come from the lists in every fragment (DEB_PACKAGES);
# npm modules from package-lock.json. A stamp records a finished `npm ci` for the current lock.

DEB_PACKAGES += nasm lld binutils make

.PHONY: deps deps-apt deps-npm
deps: deps-apt deps-npm

deps-apt:
	@missing=$$(for p in $(sort $(DEB_PACKAGES)); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing Debian packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

deps-npm: node_modules/.ci-stamp
node_modules/.ci-stamp: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@
