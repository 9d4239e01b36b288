# Host-side helpers for lab/run and lab/ci (sourced, bash).
# Everything cached lives under $LAB_WORK; nothing on the host is upgraded.

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$LAB/.." && pwd)
# A per-user cache, not the clone: fetched kernels and built initramfs
# outlive it and serve every clone and CI run of this user.
LAB_WORK=${LAB_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/smc-analyze/lab}
KERNEL_SUITE=${KERNEL_SUITE:-trixie}
KERNEL_MIRROR=${KERNEL_MIRROR:-http://deb.debian.org/debian}
# Modules the guests need; their dependencies are resolved with modinfo.
# crc32_generic is a soft dependency of rdma_rxe that modinfo does not list:
# without it `rdma link add` fails with ENOENT.
# tcp_diag (inet_diag) lets smc-analyze --abort-handshake see the TCP state.
GUEST_MODULES="crc32_generic virtio_net ib_uverbs rdma_rxe smc smc_diag tcp_diag 9pnet_virtio 9p"

say() { printf '[lab %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[lab %s] FAILED: %s\n' "$(date +%T)" "$*" >&2; exit 1; }

# step NAME SECONDS CMD...: run CMD with a time limit, and name the step on failure.
step() {
    local name=$1 secs=$2; shift 2
    say "step: $name"
    timeout --kill-after=5 "$secs" "$@"
    local rc=$?
    [ $rc -eq 124 ] && die "step '$name' timed out after ${secs}s"
    [ $rc -ne 0 ] && die "step '$name' exited with status $rc"
    return 0
}

# Install host tools only when missing; never upgrade what is there.
need_host_tools() {
    local missing=() pair
    for pair in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static cpio:cpio \
        modinfo:kmod rdma:iproute2 tcpdump:tcpdump xz:xz-utils python3:python3 gcc:gcc; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing missing host packages: ${missing[*]}"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-upgrade \
        --no-install-recommends "${missing[@]}"
}

# Path of this repository's release smc-analyze (wherever cargo puts targets).
repo_smc_analyze() {
    local target
    target=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    echo "$target/release/smc-analyze"
}

# apt options for the separate trixie index: own sources list, lists, cache and
# an empty status file, so the host's package state is never touched.
_apt_opts() {
    local a=$LAB_WORK/apt
    echo "-o Dir::Etc::sourcelist=$a/sources.list -o Dir::Etc::sourceparts=/nonexistent" \
        "-o Dir::State::Lists=$a/lists -o Dir::Cache=$a/cache -o Dir::State::status=$a/status" \
        "-o Acquire::Languages=none -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root"
}

# _apt_index: the separate trixie index, fetched.
_apt_index() {
    local a=$LAB_WORK/apt
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
    echo "deb $KERNEL_MIRROR $KERNEL_SUITE main" >"$a/sources.list"
    : >"$a/status"
    # shellcheck disable=SC2046
    step "apt-get update ($KERNEL_SUITE index)" 300 apt-get -q $(_apt_opts) update
}

# fetch_kernel: download and unpack the trixie linux-image (cached).
# Sets KDIR (unpacked root), KVER, VMLINUZ, MODDIR.
fetch_kernel() {
    local deb
    if [ ! -f "$LAB_WORK/kernel/.done" ]; then
        mkdir -p "$LAB_WORK/deb"
        _apt_index
        local pkg
        pkg=$(apt-cache $(_apt_opts) depends linux-image-amd64 2>/dev/null |
            sed -n 's/.*Depends: \(linux-image-6\.12\.[^ ]*-amd64\)$/\1/p' | head -1)
        [ -n "$pkg" ] || die "no linux-image-6.12.*-amd64 in $KERNEL_SUITE (linux-image-amd64 points elsewhere)"
        rm -f "$LAB_WORK"/deb/*.deb
        (cd "$LAB_WORK/deb" && step "apt-get download $pkg" 600 apt-get -q $(_apt_opts) download "$pkg") || exit 1
        deb=$(ls "$LAB_WORK"/deb/*.deb)
        rm -rf "$LAB_WORK/kernel"
        step "unpack $(basename "$deb")" 300 dpkg-deb -x "$deb" "$LAB_WORK/kernel"
        touch "$LAB_WORK/kernel/.done"
    fi
    KDIR=$LAB_WORK/kernel
    KVER=$(ls "$KDIR/usr/lib/modules" | head -1)
    VMLINUZ=$KDIR/boot/vmlinuz-$KVER
    MODDIR=$KDIR/usr/lib/modules/$KVER
    [ -f "$VMLINUZ" ] || die "no vmlinuz in $KDIR"
}

# Print module names in load order (dependencies first).
_module_order() {
    local -A seen=()
    local out=()
    _visit() {
        local m=$1 f d
        [ -n "${seen[$m]:-}" ] && return
        seen[$m]=1
        f=$(find "$MODDIR/kernel" -name "$m.ko*" | head -1)
        [ -n "$f" ] || die "module $m not found in $MODDIR"
        for d in $(modinfo -F depends "$f" | tr , ' '); do _visit "$d"; done
        out+=("$m")
    }
    local m
    for m in $GUEST_MODULES; do _visit "$m"; done
    printf '%s\n' "${out[@]}"
}

# Copy a binary and every library it loads into root $1 (same paths as the host).
_copy_with_libs() {
    local root=$1 bin=$2 dest=$3 lib
    install -D -m 755 "$bin" "$root$dest"
    for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
        [ -e "$root$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
    done
}

# build_base_initramfs: busybox, modules, ip/rdma/tcpdump with libs, /init.
# Cached by the content of the guest scripts and the kernel version.
# Sets BASE_CPIO.
build_base_initramfs() {
    local key root m f
    key=$(cat "$LAB/guest/init" "$LAB/lib/host.sh" | md5sum | cut -c1-12)
    BASE_CPIO=$LAB_WORK/initramfs-$KVER-$key.cpio
    [ -f "$BASE_CPIO" ] && return 0
    root=$LAB_WORK/rootfs
    rm -rf "$root" && mkdir -p "$root"/{bin,dev,proc,sys,tmp,share,opt/bin,lib/modules,etc}
    install -m 755 "$(command -v busybox)" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    install -m 755 "$LAB/guest/init" "$root/init"
    # Real iproute2 and tcpdump live in /opt/bin and are always called by full
    # path: busybox prefers its own (smaller) applets for bare names.
    _copy_with_libs "$root" "$(command -v ip || echo /usr/sbin/ip)" /opt/bin/ip
    _copy_with_libs "$root" "$(command -v rdma || echo /usr/bin/rdma)" /opt/bin/rdma
    _copy_with_libs "$root" "$(command -v tcpdump || echo /usr/bin/tcpdump)" /opt/bin/tcpdump
    _copy_with_libs "$root" "$(command -v tc || echo /usr/sbin/tc)" /opt/bin/tc
    for m in $(_module_order); do
        f=$(find "$MODDIR/kernel" -name "$m.ko*" | head -1)
        case $f in
        *.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
        *.zst) zstd -dcq "$f" >"$root/lib/modules/$m.ko" ;;
        *) cp "$f" "$root/lib/modules/$m.ko" ;;
        esac
        echo "$m" >>"$root/lib/modules/order"
    done
    echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
    echo "root:x:0:" >"$root/etc/group"
    (cd "$root" && find . | cpio -o -H newc --quiet) >"$BASE_CPIO.tmp" && mv "$BASE_CPIO.tmp" "$BASE_CPIO"
    rm -rf "$root"
    # Older archives for this kernel (other guest scripts) go.
    for f in "$LAB_WORK"/initramfs-"$KVER"-*.cpio; do
        [ "$f" = "$BASE_CPIO" ] || rm -f "$f"
    done
}

# build_run_initramfs OUT BINARY MINI: the base archive plus the workload (and
# the static mini-smc) with their libraries, as a second concatenated cpio
# archive (the kernel unpacks both).
build_run_initramfs() {
    local out=$1 bin=$2 mini=$3 root
    root=$(mktemp -d "$LAB_WORK/runroot.XXXXXX")
    [ -n "$bin" ] && _copy_with_libs "$root" "$bin" /opt/bin/smc-analyze
    install -D -m 755 "$mini" "$root/opt/bin/mini-smc"
    (cd "$root" && find . -mindepth 1 | cpio -o -H newc --quiet) >"$out.extra"
    cat "$BASE_CPIO" "$out.extra" >"$out" && rm -f "$out.extra"
    rm -rf "$root"
}

# build_lab_kernel VARIANT: Linux 6.12 from trixie's linux-source-6.12, built
# with tinyconfig plus lab/kernel/lab.config (and VARIANT.config for a variant
# other than `lab`), everything built in. Cached in the lab cache by source
# version and fragments. Sets LAB_BZIMAGE and LAB_KVER (source version-variant).
build_lab_kernel() {
    local variant=$1 fragments=("$LAB/kernel/lab.config") ver key src out
    [ "$variant" = lab ] || fragments+=("$LAB/kernel/$variant.config")
    local f
    for f in "${fragments[@]}"; do [ -f "$f" ] || die "no kernel fragment $f"; done
    _need_kernel_build_tools || die "step 'install kernel build tools' failed"
    _apt_index
    # shellcheck disable=SC2046
    ver=$(apt-cache $(_apt_opts) show linux-source-6.12 2>/dev/null | sed -n 's/^Version: //p' | head -1)
    [ -n "$ver" ] || die "no linux-source-6.12 in $KERNEL_SUITE"
    src=$LAB_WORK/src/linux-source-$ver
    if [ ! -f "$src/.done" ]; then
        local dl=$LAB_WORK/deb-src
        rm -rf "$dl" "$src" && mkdir -p "$dl" "$src"
        # shellcheck disable=SC2046
        (cd "$dl" && step "apt-get download linux-source-6.12 ($ver)" 900 \
            apt-get -q $(_apt_opts) download "linux-source-6.12=$ver") || exit 1
        step "unpack linux-source-6.12" 300 dpkg-deb -x "$dl"/linux-source-6.12_*.deb "$dl/root"
        step "untar the kernel tree" 600 tar -xJf "$dl"/root/usr/src/linux-source-6.12.tar.xz \
            -C "$src" --strip-components=1
        rm -rf "$dl"
        touch "$src/.done"
    fi
    key=$(cat "${fragments[@]}" | md5sum | cut -c1-12)
    out=$LAB_WORK/kbuild/$ver-$variant-$key
    LAB_KVER=$ver-$variant
    LAB_BZIMAGE=$out/bzImage
    [ -f "$LAB_BZIMAGE" ] && return 0
    mkdir -p "$out/obj"
    step "make tinyconfig ($variant)" 300 make -s -C "$src" O="$out/obj" tinyconfig
    step "merge ${fragments[*]##*/}" 300 env -C "$out/obj" \
        "$src/scripts/kconfig/merge_config.sh" -m -O "$out/obj" "$out/obj/.config" "${fragments[@]}"
    step "make olddefconfig ($variant)" 300 make -s -C "$src" O="$out/obj" olddefconfig
    # Kconfig drops what a dependency forbids without a word: every line must be there.
    local line name missing=()
    while read -r line; do
        case $line in
        "# CONFIG_"*" is not set")
            name=${line#\# } name=${name%% *}
            ! grep -q "^$name=" "$out/obj/.config" || missing+=("$line")
            ;;
        CONFIG_*) grep -qxF "$line" "$out/obj/.config" || missing+=("$line") ;;
        esac
    done < <(cat "${fragments[@]}")
    [ ${#missing[@]} -eq 0 ] || die "kernel config dropped: ${missing[*]}"
    local t0
    t0=$(date +%s)
    step "make bzImage ($variant, $(nproc) jobs)" 5400 nice -n 10 make -s -C "$src" O="$out/obj" \
        -j"$(nproc)" bzImage
    cp "$out/obj/arch/x86/boot/bzImage" "$LAB_BZIMAGE.tmp" && mv "$LAB_BZIMAGE.tmp" "$LAB_BZIMAGE"
    say "built $LAB_KVER in $(($(date +%s) - t0))s: $LAB_BZIMAGE"
    # Older builds of this variant (another source version or fragment) go:
    # a build tree takes 200-400 MB of the cache.
    local old
    for old in "$LAB_WORK"/kbuild/*-"$variant"-*; do
        [ "$old" = "$out" ] || rm -rf "$old"
    done
}

_need_kernel_build_tools() {
    local missing=() pair
    for pair in make:make gcc:gcc flex:flex bison:bison bc:bc perl:perl xz:xz-utils; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    # objtool links libelf.
    [ -f /usr/include/libelf.h ] || missing+=(libelf-dev)
    [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing missing host packages: ${missing[*]}"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-upgrade \
        --no-install-recommends "${missing[@]}"
}
