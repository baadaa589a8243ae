#!/usr/bin/env bash
# Debian's Chromium (/usr/bin/chromium) for weft dashboard's browser test (tests/Weft.Cli.Tests/Dashboard), driven
# headless over the DevTools protocol: installs the package when missing (as root, quietly; `apt-get update` only when
# the package is not found). Sourced by ./test.sh; does nothing when not root, without apt-get, or when it is there.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  [ "$(id -u)" = 0 ] || return 0
  command -v apt-get >/dev/null 2>&1 || return 0
  echo "weft: installing chromium (Debian) for the dashboard's browser test..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
      || echo "weft: could not install chromium; the dashboard's browser test will fail" >&2
  fi
}
