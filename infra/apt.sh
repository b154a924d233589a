# shellcheck shell=bash
# Debian packages the project's scripts need (postgres.sh, proxy.sh, balancer.sh), installed quietly the first time.
#
#   apt_install PACKAGE   as root: apt-get update and install; otherwise, or when that fails, says what to run
#                         and returns 1 (the caller's die names what is missing)

apt_install() {
  local package="$1" out
  if [[ "$(id -u)" != 0 ]]; then
    echo "$package is not installed; run as root: apt-get update && apt-get install -y $package" >&2
    return 1
  fi
  echo "installing $package with apt-get (quiet)..." >&2
  out="/tmp/$package-apt-install.$$.log"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package"; } >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    echo "apt-get install $package failed (full output: $out)" >&2
    return 1
  fi
  rm -f "$out"
}

# A daemon's binary from a Debian package (nginx, haproxy): its path on PATH or in /usr/sbin (not on a user's PATH).
sbin_path() { command -v "$1" 2>/dev/null || { [[ -x "/usr/sbin/$1" ]] && echo "/usr/sbin/$1"; }; }

# sbin_path, installing the package of the same name first when it is missing; returns 1 (having said why) if it
# cannot be had.
apt_ensure() {
  sbin_path "$1" >/dev/null && return 0
  apt_install "$1" || return 1
  sbin_path "$1" >/dev/null || { echo "$1 installed but not found on PATH or at /usr/sbin/$1" >&2; return 1; }
}
