#!/usr/bin/env bash
# The Debian packages the storage layer drives (docs: shared/spec/toolchain.md §1, §3), PostgreSQL (the
# scale-out database: tests start a throw-away cluster), curl (tests compare downloads), and the native
# ntfsmkdir and ntfsfs helpers (toolchain.md §3.4), the offsetio shim the ntfs-3g tools run under to work on a
# partition inside a disk image in place (docs/lab.md), the boot environment's streamcheck and the user state
# store's userstore (libdeflate, zlib, OpenSSL libcrypto: docs/user-state.md "Round 4"), built into .tmp/native/.
#   - Quiet when everything is present and the helper is up to date.
#   - Something missing: installs it with apt-get when run as root (no TTY needed); otherwise names
#     the packages and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(wimtools ntfs-3g ntfs-3g-dev mtools fdisk gdisk dosfstools gcc postgresql curl zstd zlib1g-dev libssl-dev libdeflate-dev)
TOOLS=(wimlib-imagex sfdisk sgdisk mkntfs ntfscp ntfscat ntfsls mformat mcopy mmd mdir mkfs.fat fsck.fat gcc curl runuser zstd)
HEADER=/usr/include/ntfs-3g/volume.h
HEADERS=(/usr/include/zlib.h /usr/include/openssl/evp.h /usr/include/libdeflate.h)
HELPERS=(ntfsmkdir ntfsfs streamcheck userstore offsetio)
# Tools live in /sbin and /usr/sbin too (toolchain.md §3); look there even for a non-root PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

missing() {
  local t
  for t in "${TOOLS[@]}"; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done
  [ -f "$HEADER" ] || echo "ntfs-3g headers ($HEADER)"
  local h
  for h in "${HEADERS[@]}"; do [ -f "$h" ] || echo "headers $h"; done
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || echo "PostgreSQL server (initdb)"
}

absent=$(missing)
if [ -n "$absent" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "OpenOSD's disk-image tools are missing: $(echo $absent)." >&2
    echo "  Install them as root:  apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    echo "  (or run \`make deps\` as root, which does it)." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_install() { apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"; }
  if ! apt_install; then
    apt-get update -q
    apt_install
  fi
  absent=$(missing)
  if [ -n "$absent" ]; then
    echo "Still missing after apt-get install: $(echo $absent)" >&2
    exit 1
  fi
fi

# The boot environment, network boot and the VM lab (issue 14; shared/spec/netboot.md): QEMU with
# SeaBIOS and OVMF, iPXE, busybox, GRUB, cpio, xorriso, radvd. Installed as root; otherwise named,
# and the tests that need them are skipped with that reason (never passed).
BOOT_PACKAGES=(qemu-system-x86 qemu-utils seabios ovmf ipxe-qemu ipxe busybox-static grub-efi-amd64-bin grub-pc-bin
  grub-common e2fsprogs cpio xorriso iproute2 radvd)
BOOT_FILES=(/usr/bin/qemu-system-x86_64 /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/seabios/bios-256k.bin
  /usr/lib/ipxe/qemu/efi-virtio.rom /usr/lib/ipxe/snponly.efi /usr/lib/ipxe/undionly.kpxe /bin/busybox
  /usr/bin/grub-mkstandalone /usr/lib/grub/i386-pc/boot.img /usr/lib/grub/x86_64-efi/linux.mod /usr/bin/cpio
  /usr/bin/xorriso /usr/sbin/radvd /usr/sbin/mke2fs)
boot_missing() {
  local f
  for f in "${BOOT_FILES[@]}"; do [ -e "$f" ] || echo "$f"; done
}
if [ -n "$(boot_missing)" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages for the boot environment and the VM lab: ${BOOT_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${BOOT_PACKAGES[@]}" || {
      apt-get update -q
      apt-get install -y -q --no-install-recommends "${BOOT_PACKAGES[@]}"
    }
  else
    echo "The boot environment and VM tests need: $(boot_missing | tr '\n' ' ')" >&2
    echo "  Install as root:  apt-get install -y --no-install-recommends ${BOOT_PACKAGES[*]}" >&2
    echo "  (until then the tests that boot VMs are skipped, with this reason)." >&2
  fi
fi

# The web console's browser tests (docs/console.md): Debian's chromium, driven by playwright-core.
# Installed as root; otherwise named, and the browser tests are skipped with that reason (never passed).
CONSOLE_PACKAGES=(chromium)
CHROMIUM=/usr/lib/chromium/chromium
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages for the console's browser tests: ${CONSOLE_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${CONSOLE_PACKAGES[@]}" || {
      apt-get update -q
      apt-get install -y -q --no-install-recommends "${CONSOLE_PACKAGES[@]}"
    }
  else
    echo "The console's browser tests need $CHROMIUM." >&2
    echo "  Install as root:  apt-get install -y --no-install-recommends ${CONSOLE_PACKAGES[*]}" >&2
    echo "  (until then the browser tests are skipped, with this reason)." >&2
  fi
fi

for helper in "${HELPERS[@]}"; do
  SRC=native/$helper.c
  OUT=.tmp/native/$helper
  # offsetio is an LD_PRELOAD library, not a program (native/offsetio.c; docs/lab.md "In place").
  [ "$helper" = offsetio ] && OUT=.tmp/native/offsetio.so
  if [ ! -x "$OUT" ] || [ "$SRC" -nt "$OUT" ]; then
    mkdir -p "$(dirname "$OUT")"
    # Flags from toolchain.md §3.4: the ntfs-3g headers need these HAVE_* macros, and no HAVE_CONFIG_H.
    if [ "$helper" = offsetio ]; then
      # The offset-mapping shim the ntfs-3g tools run under to work on a partition inside a disk image.
      gcc -O2 -Wall -shared -fPIC -o "$OUT.$$.tmp" "$SRC" -ldl -pthread
    elif [ "$helper" = streamcheck ]; then
      # The boot environment's stream check (native/streamcheck.c): libc only.
      gcc -O2 -Wall -o "$OUT.$$.tmp" "$SRC"
    elif [ "$helper" = userstore ]; then
      # The user state store's data path (native/userstore.c): libdeflate (zlib without it), libcrypto
      # (AES-NI, SHA-NI), threads.
      if [ -f /usr/include/libdeflate.h ]; then
        gcc -O2 -Wall -pthread -DHAVE_LIBDEFLATE -o "$OUT.$$.tmp" "$SRC" -ldeflate -lz -lcrypto -lm
      else
        gcc -O2 -Wall -pthread -o "$OUT.$$.tmp" "$SRC" -lz -lcrypto -lm
      fi
    else
      gcc -O2 -Wall -DHAVE_STDDEF_H -DHAVE_STDARG_H -DHAVE_TIME_H -DHAVE_SYS_TYPES_H -DHAVE_STDIO_H \
        -DHAVE_STDLIB_H -DHAVE_STRING_H -DHAVE_SYS_STAT_H -o "$OUT.$$.tmp" "$SRC" -lntfs-3g
    fi
    mv "$OUT.$$.tmp" "$OUT"  # atomic: parallel test workers may build at the same time
  fi
done
