# The cached Swift chroot, shared by bindings-swift/run-tests and bindings-swift/in-chroot
# (sourced; needs REPO set). ensure_root makes sure it exists (building it once, under an
# exclusive flock) and keeps a shared lock for the rest of the caller's run; in_root runs a
# command in it inside a private mount namespace.

say() { printf '[swift] %s\n' "$*" >&2; }

CACHE=${SIGNALCRAFT_SWIFT_CACHE:-/var/cache/signalcraft}
SUITE=trixie
PACKAGES="swiftlang libc6-dev"
# What the cached chroot holds; change it (or PACKAGES) to make the next run build a new one.
KEY="debian-$SUITE-minbase; packages: $PACKAGES; layout 1"
ROOT="$CACHE/swift-chroot-$SUITE-1"


# Runs "$@" in the chroot $1 inside a private mount namespace: /proc, /dev, /sys and (when
# $2 is set) the repository at /src are mounted for this command only.
in_root() {
	local root=$1 repo=$2
	shift 2
	unshare --mount --propagation private -- /bin/bash -euc '
		root=$1 repo=$2
		shift 2
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mount --rbind /sys "$root/sys"
		if [ -n "$repo" ]; then mount --bind "$repo" "$root/src"; fi
		exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
	' in_root "$root" "$repo" "$@"
}

# The first URIs: line of this machine's Debian apt sources (deb822), else the first deb line.
mirror() {
	local m=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		m=$(awk '/^URIs:/{print $2; exit}' "$f")
		[ -n "$m" ] && break
	done
	if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
		m=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
	fi
	[ -n "$m" ] || { say "no Debian mirror found in /etc/apt/sources.list{,.d}"; return 1; }
	printf '%s\n' "$m"
}

build_root() {
	local tmp root m
	if ! command -v debootstrap >/dev/null; then
		say "installing debootstrap"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	fi
	m=$(mirror)
	tmp=$(mktemp -d "$CACHE/.swift-chroot-build.XXXXXX")
	root="$tmp/root"
	say "building the $SUITE chroot from $m (once; cached in $ROOT)"
	debootstrap --variant=minbase "$SUITE" "$root" "$m" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -20 "$tmp/debootstrap.log" >&2; rm -rf --one-file-system "$tmp"; return 1; }
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	mkdir -p "$root/src"
	in_root "$root" "" /bin/sh -ec "
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
		apt-get clean
		rm -rf /var/lib/apt/lists/*
		swift --version" >&2 ||
		{ rm -rf --one-file-system "$tmp"; return 1; }
	printf '%s\n' "$KEY" >"$root/.signalcraft-key"
	mv -T "$root" "$ROOT"
	rm -rf --one-file-system "$tmp"
}

ensure_root() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/swift-chroot.lock"
	flock 9 # exclusive while checking or building
	if [ -f "$ROOT/.signalcraft-key" ] && [ "$(cat "$ROOT/.signalcraft-key")" = "$KEY" ]; then
		say "chroot cached: $ROOT"
	else
		if [ -e "$ROOT" ]; then
			say "the cached chroot is stale or incomplete: replacing it"
			local old
			old=$(mktemp -d "$CACHE/.swift-chroot-old.XXXXXX")
			mv -T "$ROOT" "$old/root"
			rm -rf --one-file-system "$old"
		fi
		build_root
	fi
	# Shared while this run uses it: another run may use it too, none may replace it.
	flock -s 9
}
