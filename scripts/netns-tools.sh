#!/usr/bin/env bash
# Network-namespace isolation (`weft up` as root) needs iproute2's `ip`, iptables and util-linux's `setpriv`; this
# installs the Debian packages that are missing (as root, quietly; `apt-get update` only when a package is not found).
# Extra arguments name more commands to have, each from the package of the same name (./test.sh: curl, python3).
# Sourced by ./weft and ./test.sh; does nothing when not root, without apt-get, or when everything is there.
ensure_netns_tools() {
  [ "$(id -u)" = 0 ] || return 0
  command -v apt-get >/dev/null 2>&1 || return 0
  local missing=()
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v iptables-restore >/dev/null 2>&1 || missing+=(iptables)
  command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  [ "${#missing[@]}" -gt 0 ] || return 0
  echo "weft: installing ${missing[*]} (Debian) for network-namespace isolation..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
      || echo "weft: could not install ${missing[*]}; pods will run with process isolation" >&2
  fi
}
