# Sourced by the .ci scripts: apt_install PACKAGE installs a Debian package as root, directly when root,
# through sudo otherwise, and stops with a clear message when neither is possible.
apt_install() {
  local package=$1 root=()
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "$0: $package is not installed, and installing it (apt-get install $package) needs root or sudo" >&2
      exit 1
    fi
    root=(sudo)
  fi
  echo "installing $package from the system's packages" >&2
  "${root[@]}" apt-get update -qq >&2
  "${root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >&2
}
